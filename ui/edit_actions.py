"""Edit menu commands on timeline clips: Cut, Copy, Paste, Duplicate, Select All, Select
Track Forward.

The clipboard keeps copies of the clips (with their tracks' kind and order and their
positions relative to the first one), so it survives scene switches and later edits of the
originals. Paste puts them at the playhead, the first on the target track (the timeline's
current track) and the others on the tracks below/above it as they were, overwriting what
lies there (as every editor's paste does); Duplicate inserts copies right after the
selection. Every paste, cut or duplicate is one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.layout import layout, slot_of


@dataclass(frozen=True)
class ClipboardItem:
    clip: otio.schema.Clip  # a detached copy
    audio: bool  # from an audio track
    rank: int  # the track's position among the scene's tracks of its kind
    offset_s: float  # start relative to the first copied clip, in seconds


class Clipboard:
    """Copied clips; lives with the editor window, not with a scene or project."""

    def __init__(self) -> None:
        self.items: list[ClipboardItem] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def copy(self, project: Any, clips: list[otio.schema.Clip]) -> int:
        placed = []
        for clip in clips:
            track = clip.parent()
            scene = project.scene_of(track)
            rate = S.scene_rate(scene)
            same = [t for t in scene.tracks if S.is_audio(t) == S.is_audio(track)]
            rank = next(i for i, t in enumerate(same) if t is track)
            placed.append((clip, S.is_audio(track), rank,
                           slot_of(track, clip, rate).start / rate))
        if not placed:
            return 0
        first = min(p[3] for p in placed)
        self.items = [ClipboardItem(clip.clone(), audio, rank, start - first)
                      for clip, audio, rank, start in placed]
        return len(self.items)

    def commands(self, scene: otio.schema.Timeline, target: otio.schema.Track | None,
                 at: int) -> list[C.Command]:
        """Overwrite commands placing fresh copies at frame ``at`` of ``scene``."""
        rate = S.scene_rate(scene)
        commands: list[C.Command] = []
        for audio in (False, True):
            items = [i for i in self.items if i.audio == audio]
            if not items:
                continue
            tracks = [t for t in scene.tracks if S.is_audio(t) == audio]
            if not tracks:
                kind = "an audio" if audio else "a video"
                raise C.InvalidEditError(f"The clipboard holds {kind} clip; this scene has "
                                         f"no {kind.split()[1]} track.")
            base = 0
            if target is not None and S.is_audio(target) == audio:
                base = next(i for i, t in enumerate(tracks) if t is target)
            low = min(i.rank for i in items)
            for item in items:
                track = tracks[min(base + item.rank - low, len(tracks) - 1)]
                clip = item.clip.clone()
                if S.NS in clip.metadata:
                    S.ns(clip)["id"] = S.new_id()
                start = at + round(item.offset_s * rate)
                commands.append(C.OverwriteClip(track, clip, start))
        return commands


def selected_clips(ctx: Any) -> list[otio.schema.Clip]:
    return [i for i in ctx.selection if isinstance(i, otio.schema.Clip)
            and isinstance(i.parent(), otio.schema.Track)]


class EditActions(QObject):
    """The Edit menu's clip commands for a main window's timeline."""

    def __init__(self, ctx: Any, timeline: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.timeline = timeline
        self.clipboard = Clipboard()
        self.named: dict[str, QAction] = {}
        std = QKeySequence.StandardKey
        specs = (("cut", "Cu&t", self.cut, std.Cut, "Copy the selected clips and lift them"),
                 ("copy", "&Copy", self.copy, std.Copy, "Copy the selected clips"),
                 ("paste", "&Paste", self.paste, std.Paste,
                  "Paste at the playhead on the current track (overwrites)"),
                 ("duplicate", "&Duplicate", self.duplicate, QKeySequence("Ctrl+D"),
                  "Insert copies of the selected clips right after them"),
                 ("select_all", "Select &All", self.select_all, std.SelectAll,
                  "Select every clip of the scene"),
                 ("select_forward", "Select Track &Forward", self.select_track_forward,
                  QKeySequence("A"), "Select the current track's clips from the playhead on"),
                 ("deselect", "Deselect All", lambda: self.ctx.select([]),
                  QKeySequence("Ctrl+Shift+A"), "Clear the selection"))
        for key, text, slot, shortcut, tip in specs:
            action = QAction(text, self)
            action.setObjectName(f"edit-{key}")
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setStatusTip(tip)
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, f=slot: f())
            self.named[key] = action

    def actions(self) -> list[QAction]:
        return list(self.named.values())

    # ------------------------------------------------------------------ commands

    def _target_track(self) -> otio.schema.Track | None:
        row = self.timeline.view.current_row
        return row.track if row is not None else None

    def copy(self) -> int:
        clips = selected_clips(self.ctx)
        if not clips:
            self.ctx.error.emit("Select clips to copy first.")
            return 0
        count = self.clipboard.copy(self.ctx.project, clips)
        self.ctx.message.emit(f"Copied {count} clip{'s' if count != 1 else ''}.")
        return count

    def cut(self) -> bool:
        clips = selected_clips(self.ctx)
        if not self.copy():
            return False
        commands: list[C.Command] = [C.Lift(c) for c in clips]
        self.ctx.select([])  # the cut clips leave the timeline
        if self.ctx.push(C.Macro("Cut", commands)):
            return True
        self.ctx.select(clips)
        return False

    def paste(self) -> bool:
        scene = self.ctx.scene
        if not self.clipboard or scene is None:
            self.ctx.error.emit("Nothing to paste: copy clips first.")
            return False
        try:
            commands = self.clipboard.commands(scene, self._target_track(),
                                               int(self.ctx.playhead))
        except C.InvalidEditError as exc:
            self.ctx.error.emit(str(exc))
            return False
        if not self.ctx.push(C.Macro("Paste", commands)):
            return False
        pasted = [c.clip for c in commands]
        self.ctx.select(pasted)
        rate = S.scene_rate(scene)
        end = max(slot_of(c.parent(), c, rate).end for c in pasted)
        self.ctx.set_playhead(end)  # the next paste follows this one
        return True

    def duplicate(self) -> bool:
        clips = selected_clips(self.ctx)
        scene = self.ctx.scene
        if not clips or scene is None:
            self.ctx.error.emit("Select clips to duplicate first.")
            return False
        rate = S.scene_rate(scene)
        spans = [(c, slot_of(c.parent(), c, rate)) for c in clips]
        first = min(s.start for _, s in spans)
        end = max(s.end for _, s in spans)
        tracks: list[otio.schema.Track] = []
        for clip, _slot in spans:
            if not any(t is clip.parent() for t in tracks):
                tracks.append(clip.parent())
        room = C.InsertSpace(tracks, end, end - first)  # later clips (and synced tracks) move
        copies: list[C.OverwriteClip] = []
        for clip, slot in spans:
            copy_ = clip.clone()
            if S.NS in copy_.metadata:
                S.ns(copy_)["id"] = S.new_id()
            copies.append(C.OverwriteClip(clip.parent(), copy_, end + slot.start - first))
        if not self.ctx.push(C.Macro("Duplicate", [room, *copies])):
            return False
        self.ctx.select([c.clip for c in copies])
        return True

    def select_all(self) -> int:
        scene = self.ctx.scene
        clips = [i for t in scene.tracks for i in t if isinstance(i, otio.schema.Clip)] \
            if scene is not None else []
        self.ctx.select(clips)
        return len(clips)

    def select_track_forward(self) -> int:
        track = self._target_track()
        if track is None:
            self.ctx.error.emit("Click a track first: Select Track Forward works on the "
                                "current track.")
            return 0
        rate = self.ctx.rate
        at = int(self.ctx.playhead)
        clips = [s.item for s in layout(track, rate) if s.is_clip and s.end > at]
        self.ctx.select(clips)
        return len(clips)
