"""Title clips: text drawn over the picture, stored as plain OTIO.

A title is a clip whose media reference is an OTIO ``GeneratorReference`` of kind
``aladdin.title`` (generation placeholders use the kind ``aladdin.generation``; the two
never mix). The reference has no available range, so a title can be trimmed to any
length like a still. Its look lives in ``clip.metadata["aladdin"]["title"]``
(:data:`DEFAULT_TITLE` lists the keys); the render engine rasterises it (``render.titles``).

Sizes and outline widths are pixels of a 1080-line frame (they scale with the output),
``x``/``y`` the centre of the text block as fractions of the frame, fades in seconds.
The edit commands are in ``title_commands`` (this module stays free of Qt, for render/).
"""

from __future__ import annotations

import re
from typing import Any

import opentimelineio as otio

from . import schema as S
from .errors import InvalidEditError

__all__ = [
    "DEFAULT_TITLE",
    "DEFAULT_TITLE_SECONDS",
    "FONTS",
    "TITLE_KIND",
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


def title_name(text: str) -> str:
    words = " ".join(str(text).split())
    return f"Title: {words[:28]}{'…' if len(words) > 28 else ''}" if words else "Title"


def new_title_clip(rate: float, *, seconds: float = DEFAULT_TITLE_SECONDS,
                   **params: Any) -> otio.schema.Clip:
    """A title clip of ``seconds`` at ``rate`` with ``params`` over the defaults."""
    values = validate({**DEFAULT_TITLE, **params})
    ref = otio.schema.GeneratorReference(name="title", generator_kind=TITLE_KIND,
                                         parameters={})
    ref.metadata[S.NS] = {"media": {"has_video": True, "has_audio": False, "is_still": True}}
    clip = S.new_clip(title_name(values["text"]), ref, start=0,
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
