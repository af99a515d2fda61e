"""Edit commands for title clips (see ``titles``): add one where there is room, change it."""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from . import schema as S
from .commands import Command, OverwriteClip, _require_clip, _track_of
from .document import Project
from .errors import InvalidEditError
from .layout import layout, track_end
from .titles import DEFAULT_TITLE, META_KEY, is_title, title_name, title_params, validate
from .transaction import Transaction

__all__ = ["AddTitle", "SetTitle"]


class SetTitle(Command):
    """Change a title's text or look; slider drags fold into one step (``merge_key``)."""

    text = "Change Title"

    def __init__(self, clip: otio.schema.Clip, **changes: Any) -> None:
        super().__init__()
        unknown = set(changes) - set(DEFAULT_TITLE)
        if unknown:
            raise InvalidEditError(f"Unknown title setting: {', '.join(sorted(unknown))}.")
        self.clip, self.changes = clip, changes
        self.merge_key = ("title", S.item_id(clip), tuple(sorted(changes)))

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
        if values["text"] != old["text"] and clip.name == title_name(old["text"]):
            tx.set_attr(clip, "name", title_name(values["text"]))  # a name the user kept


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
        start = next((i for i, t in enumerate(video) if t is self.track), None)
        if start is None:
            start = max(0, len(video) - 1)  # the upper video track
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
