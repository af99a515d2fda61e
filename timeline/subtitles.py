"""Subtitles in the document: cues on dialogue takes, and a scene's burn-in style.

A take (media reference) of a dialogue clip holds ``metadata["aladdin"]["subtitles"]``: cues
``{"start", "end", "text"}`` in seconds of *its media*. Their scene time follows from where
the clip sits and which part of the media it shows, so moving, trimming, switching takes and
undo carry the cues with no extra bookkeeping. A scene's ``metadata["aladdin"]["subtitles"]``
holds the burn-in switch and style (font, size, outline, position) the compositor uses for
preview and export alike.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from .commands import Command
from .document import Project
from .errors import InvalidEditError
from .subtitle_cues import (  # noqa: F401 - re-exported: the Qt-free readers live there
    DEFAULT_STYLE,
    MAX_CHARS,
    MAX_LINES,
    META_KEY,
    POSITIONS,
    Cue,
    burn_in_params,
    clip_cues,
    scene_cues,
    subtitle_style,
    take_cues,
)
from .transaction import Transaction

__all__ = ["DEFAULT_STYLE", "MAX_CHARS", "MAX_LINES", "META_KEY", "POSITIONS", "Cue",
           "SetCues", "SetSubtitleStyle", "burn_in_params", "clip_cues", "scene_cues",
           "subtitle_style", "take_cues"]


class SetCues(Command):
    """Replace the cues of a clip's active take (the Subtitles view's edits)."""

    text = "Edit Subtitles"

    def __init__(self, clip: otio.schema.Clip, cues: list[Cue]) -> None:
        super().__init__()
        self.clip, self.cues = clip, cues

    def build(self, project: Project, tx: Transaction) -> None:
        if not isinstance(self.clip, otio.schema.Clip) or self.clip.media_reference is None:
            raise InvalidEditError("Select a dialogue clip first.")
        for cue in self.cues:
            if cue.end <= cue.start:
                raise InvalidEditError(f"Subtitle '{cue.text[:30]}' ends before it starts.")
            lines = cue.text.split("\n")
            if len(lines) > MAX_LINES or any(len(line) > MAX_CHARS for line in lines):
                raise InvalidEditError(f"Subtitle '{cue.text[:30]}' is longer than {MAX_LINES} "
                                       f"lines of {MAX_CHARS} characters.")
        tx.set_meta(self.clip.media_reference, META_KEY, [c.to_dict() for c in self.cues])
        track = self.clip.parent()
        if isinstance(track, otio.schema.Track):
            tx.touch_track(track)


class SetSubtitleStyle(Command):
    """Burn-in on/off and the style of a scene's subtitles."""

    text = "Change Subtitles"

    def __init__(self, scene: otio.schema.Timeline, **changes: Any) -> None:
        super().__init__()
        unknown = set(changes) - set(DEFAULT_STYLE)
        if unknown:
            raise InvalidEditError(f"Unknown subtitle setting: {', '.join(sorted(unknown))}.")
        self.scene, self.changes = scene, changes

    def build(self, project: Project, tx: Transaction) -> None:
        style = subtitle_style(self.scene)
        style.update(self.changes)
        if style["position"] not in POSITIONS:
            raise InvalidEditError(f"Subtitle position must be one of {', '.join(POSITIONS)}.")
        if not 8 <= float(style["size"]) <= 200:
            raise InvalidEditError("Subtitle size must be between 8 and 200 pixels.")
        if not 0 <= float(style["outline"]) <= 20:
            raise InvalidEditError("Subtitle outline must be between 0 and 20 pixels.")
        from .titles import FONTS

        if style["font"] not in FONTS:
            raise InvalidEditError(f"Subtitle font must be one of {', '.join(FONTS)}.")
        style["burn_in"] = bool(style["burn_in"])
        tx.set_meta(self.scene, META_KEY, style)
        tx.touch_scene(self.scene)
