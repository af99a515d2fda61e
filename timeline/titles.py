"""Title clips: text drawn over the picture, stored as plain OTIO.

A title is a clip whose media reference is an OTIO ``GeneratorReference`` of kind
``aladdin.title`` (generation placeholders use the kind ``aladdin.generation``; the two
never mix). The reference has no available range, so a title can be trimmed to any
length like a still. Its look lives in ``clip.metadata["aladdin"]["title"]``
(:data:`DEFAULT_TITLE` lists the keys); the render engine rasterises it (``render.titles``).

Sizes and outline widths are pixels of a 1080-line frame (they scale with the output),
``x``/``y`` the centre of the text block as fractions of the frame, fades in seconds.
"""

from __future__ import annotations

import re
from typing import Any

import opentimelineio as otio

from . import schema as S
from .commands import Command, OverwriteClip, _require_clip, _track_of
from .document import Project
from .errors import InvalidEditError
from .layout import layout, track_end
from .transaction import Transaction

__all__ = [
    "DEFAULT_TITLE",
    "DEFAULT_TITLE_SECONDS",
    "FONTS",
    "TITLE_KIND",
    "AddTitle",
    "SetTitle",
    "is_title",
    "new_title_clip",
    "title_params",
]

TITLE_KIND = "aladdin.title"
META_KEY = "title"
DEFAULT_TITLE_SECONDS = 5.0
#: Font names a title may use; ``render.titles`` maps them to files (DejaVu from
#: fonts-dejavu-core) and falls back to Pillow's built-in scalable font.
FONTS = ("Sans", "DejaVu Sans", "DejaVu Sans Bold", "DejaVu Serif", "DejaVu Sans Mono")
DEFAULT_TITLE: dict[str, Any] = {
    "text": "Title",
    "font": "DejaVu Sans Bold",
    "size": 96.0,
    "color": "#ffffff",
    "outline": 0.0,
    "outline_color": "#000000",
    "shadow": True,
    "x": 0.5,
    "y": 0.5,
    "fade_in": 0.5,
    "fade_out": 0.5,
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_RANGES = {"size": (8.0, 400.0), "outline": (0.0, 20.0), "x": (0.0, 1.0), "y": (0.0, 1.0),
           "fade_in": (0.0, 3600.0), "fade_out": (0.0, 3600.0)}


def is_title(clip: Any) -> bool:
    """Whether ``clip``'s active take is a title."""
    if not isinstance(clip, otio.schema.Clip):
        return False
    ref = clip.media_reference
    return isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == TITLE_KIND


def title_params(clip: otio.schema.Clip) -> dict[str, Any]:
    """The title's settings, defaults filled in (a copy)."""
    stored = S.get(clip, META_KEY, {}) or {}
    return {**DEFAULT_TITLE, **{k: v for k, v in stored.items() if k in DEFAULT_TITLE}}


def _title_name(text: str) -> str:
    words = " ".join(str(text).split())
    return f"Title: {words[:28]}{'…' if len(words) > 28 else ''}" if words else "Title"


def new_title_clip(rate: float, *, seconds: float = DEFAULT_TITLE_SECONDS,
                   **params: Any) -> otio.schema.Clip:
    """A title clip of ``seconds`` at ``rate`` with ``params`` over the defaults."""
    values = validate({**DEFAULT_TITLE, **params})
    ref = otio.schema.GeneratorReference(name="title", generator_kind=TITLE_KIND,
                                         parameters={})
    ref.metadata[S.NS] = {"media": {"has_video": True, "has_audio": False, "is_still": True}}
    clip = S.new_clip(_title_name(values["text"]), ref, start=0,
                      duration=max(1, S.seconds_to_frames(seconds, rate)), rate=rate)
    S.ns(clip)[META_KEY] = values
    return clip


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Checked and normalised title settings; InvalidEditError says what is wrong."""
    out = dict(values)
    unknown = set(out) - set(DEFAULT_TITLE)
    if unknown:
        raise InvalidEditError(f"Unknown title setting: {', '.join(sorted(unknown))}.")
    out["text"] = str(out["text"])
    if not out["text"].strip():
        raise InvalidEditError("A title needs some text.")
    if out["font"] not in FONTS:
        raise InvalidEditError(f"Unknown font {out['font']!r}; choose one of "
                               f"{', '.join(FONTS)}.")
    for key in ("color", "outline_color"):
        if not isinstance(out[key], str) or not _COLOR.match(out[key]):
            raise InvalidEditError(f"Colours are written #rrggbb, not {out[key]!r}.")
        out[key] = out[key].lower()
    for key, (lo, hi) in _RANGES.items():
        try:
            value = float(out[key])
        except (TypeError, ValueError):
            raise InvalidEditError(f"Title {key} must be a number.") from None
        if not lo <= value <= hi:
            raise InvalidEditError(f"Title {key.replace('_', ' ')} must be between {lo:g} "
                                   f"and {hi:g}.")
        out[key] = value
    out["shadow"] = bool(out["shadow"])
    return out


class SetTitle(Command):
    """Change a title's text or look; slider drags fold into one step (``merge_key``)."""

    text = "Change Title"

    def __init__(self, clip: otio.schema.Clip, **changes: Any) -> None:
        super().__init__()
        unknown = set(changes) - set(DEFAULT_TITLE)
        if unknown:
            raise InvalidEditError(f"Unknown title setting: {', '.join(sorted(unknown))}.")
        self.clip, self.changes = clip, changes
        self.merge_key = ("title", id(clip), tuple(sorted(changes)))

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        if not is_title(clip):
            raise InvalidEditError(f"Clip '{clip.name}' is not a title.")
        old = title_params(clip)
        values = validate({**old, **self.changes})
        rate = S.scene_rate(project.scene_of(_track_of(clip)))
        length = S.frames(clip.source_range.duration, rate) / rate
        if values["fade_in"] + values["fade_out"] > length + 1e-9:
            raise InvalidEditError(f"Fades of {values['fade_in']:.2f} s and "
                                   f"{values['fade_out']:.2f} s do not fit in the title "
                                   f"({length:.2f} s).")
        tx.set_meta(clip, META_KEY, values)
        if values["text"] != old["text"] and clip.name == _title_name(old["text"]):
            tx.set_attr(clip, "name", _title_name(values["text"]))  # a name the user kept


def _free(track: otio.schema.Track, start: int, end: int, rate: float) -> bool:
    """Whether ``[start, end)`` of ``track`` holds nothing but gaps."""
    if start >= track_end(track, rate):
        return True
    return all(not (slot.is_clip or slot.is_transition) or slot.end <= start
               or slot.start >= end for slot in layout(track, rate))


class AddTitle(Command):
    """Put a title at ``at`` on ``track`` when that span is free, else on the first free
    video track above it, else on a new video track above every other one."""

    text = "Add Title"

    def __init__(self, scene: otio.schema.Timeline, at: int, clip: otio.schema.Clip,
                 track: otio.schema.Track | None = None) -> None:
        super().__init__()
        self.scene, self.at, self.clip, self.track = scene, int(at), clip, track
        self.placed_on: otio.schema.Track | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        rate = S.scene_rate(self.scene)
        length = S.frames(self.clip.source_range.duration, rate)
        video = [t for t in self.scene.tracks if not S.is_audio(t)]
        start = 0
        if self.track is not None and not S.is_audio(self.track) and self.track in video:
            start = video.index(self.track)
        elif video:
            start = len(video) - 1  # the upper video track
        target = next((t for t in video[start:]
                       if not S.track_flag(t, "locked") and _free(t, self.at, self.at + length,
                                                                    rate)), None)
        if target is None:
            target = S.new_track("video", f"V{len(video) + 1}")
            tracks = list(self.scene.tracks)
            index = max((i for i, t in enumerate(tracks) if not S.is_audio(t)), default=-1) + 1
            tx.insert(self.scene.tracks, index, target)
            tx.touch_scene(self.scene)
            tx.notices.append(f"Added track '{target.name}' for the title.")
        self.placed_on = target
        OverwriteClip(target, self.clip, self.at).build(project, tx)
