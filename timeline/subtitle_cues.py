"""Subtitle cues and a scene's burn-in style, read from the document without Qt (the
render engine reads them; the editing commands are in ``timeline/subtitles.py``).

A take (media reference) of a dialogue clip holds ``metadata["aladdin"]["subtitles"]``: cues
``{"start", "end", "text"}`` in seconds of *its media*; a scene's
``metadata["aladdin"]["subtitles"]`` holds the burn-in switch and style.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import opentimelineio as otio

from . import schema as S
from .layout import layout

__all__ = ["DEFAULT_STYLE", "MAX_CHARS", "MAX_LINES", "META_KEY", "POSITIONS", "Cue",
           "burn_in_params", "clip_cues", "scene_cues", "subtitle_style", "take_cues"]

META_KEY = "subtitles"
MAX_CHARS = 42
MAX_LINES = 2
POSITIONS = {"bottom": 0.88, "top": 0.12, "middle": 0.5}
DEFAULT_STYLE: dict[str, Any] = {"burn_in": False, "font": "DejaVu Sans", "size": 44,
                                 "outline": 3, "position": "bottom", "color": "#FFFFFF",
                                 "outline_color": "#000000"}


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str  # lines joined by "\n"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cue:
        return cls(float(data["start"]), float(data["end"]), str(data["text"]))


def take_cues(ref: Any) -> list[Cue]:
    """The cues stored on a take (media-relative seconds)."""
    if ref is None or S.NS not in ref.metadata:
        return []
    raw = S.to_py(ref.metadata[S.NS].get(META_KEY)) or []
    return [Cue.from_dict(c) for c in raw if isinstance(c, dict)]


def clip_cues(clip: otio.schema.Clip, start_frame: int, rate: float) -> list[Cue]:
    """The active take's cues in scene seconds for ``clip`` starting at ``start_frame``, cut
    to the part of the media the clip shows."""
    cues = take_cues(clip.media_reference)
    if not cues or clip.source_range is None:
        return []
    speed = S.clip_speed(clip) or 1.0
    media_in = S.frames_exact(clip.source_range.start_time, rate) / rate
    length = S.frames(clip.source_range.duration, rate) / rate
    media_out = media_in + length * speed
    at = start_frame / rate
    out = []
    for cue in cues:
        a, b = max(cue.start, media_in), min(cue.end, media_out)
        if b - a < 0.05:
            continue
        out.append(Cue(round(at + (a - media_in) / speed, 3),
                       round(at + (b - media_in) / speed, 3), cue.text))
    return out


def scene_cues(scene: otio.schema.Timeline) -> list[Cue]:
    """All cues of a scene's unmuted dialogue tracks, in time order."""
    rate = S.scene_rate(scene)
    cues: list[Cue] = []
    for track in scene.tracks:
        if not S.is_audio(track) or S.track_role(track) != S.TrackRole.DIALOGUE \
                or S.track_flag(track, "muted"):
            continue
        for slot in layout(track, rate):
            if slot.is_clip:
                cues += clip_cues(slot.item, slot.start, rate)
    return sorted(cues, key=lambda c: (c.start, c.end))


def subtitle_style(scene: otio.schema.Timeline) -> dict[str, Any]:
    style = dict(DEFAULT_STYLE)
    stored = S.get(scene, META_KEY, {}) or {}
    if isinstance(stored, dict):
        style.update({k: v for k, v in stored.items() if k in DEFAULT_STYLE})
    return style


def burn_in_params(style: dict[str, Any], text: str) -> str:
    """A cue as title settings (canonical JSON) for ``render.titles``."""
    params = {"text": text, "font": style["font"], "size": float(style["size"]),
              "outline": float(style["outline"]), "x": 0.5,
              "y": POSITIONS.get(str(style["position"]), POSITIONS["bottom"]),
              "color": style["color"], "outline_color": style["outline_color"],
              "shadow": False}
    return json.dumps(params, sort_keys=True)
