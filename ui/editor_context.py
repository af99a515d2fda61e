"""What every editor widget shares: the project's session (``services.session.
ProjectSession``: the project, its undo history, its writer lock and autosave), the current
scene, the playhead, the selection, in/out points and the render engine's preview and media
cache.

Widgets get one :class:`EditorContext` and talk through it: edits go through
:meth:`EditorContext.push` (a timeline command through the session onto the undo stack;
refused edits become an ``error`` signal with the readable message, never an exception in a
slot), and views listen to the project's ``changed`` signal plus the context's own signals
below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..render.media_cache import BackgroundCache, MediaCache
from ..render.preview import Preview
from ..services.session import ProjectSession
from ..timeline import schema as S
from ..timeline.commands import Command
from ..timeline.document import Project
from ..timeline.errors import TimelineError
from ..timeline.layout import track_end
from .undo_adapter import QtUndoAdapter

EDITOR_HOLDER = "the Aladdin Studio editor"  # the editor's name on a project's writer lock


class EditorContext(QObject):
    project_replaced = Signal(object)  # Project: a different project was opened
    document_changed = Signal(object)  # ChangeSet: the current project's ``changed``, relayed
    scene_changed = Signal(object)  # otio Timeline: the scene shown in the timeline/player
    playhead_moved = Signal(int)  # frame
    selection_changed = Signal(list)  # OTIO clips/transitions selected in the timeline
    in_out_changed = Signal(object)  # (in_frame, out_frame) or None
    error = Signal(str)  # a refused edit or failed action, for the status bar
    message = Signal(str)  # notices (e.g. "made room for the transition")

    def __init__(self, project: Project | ProjectSession, *, settings: Any = None,
                 stack: QUndoStack | None = None) -> None:
        """``project``: the session the editor runs on (the window's, with the writer lock),
        or a bare project for a session without the lock (widgets used on their own)."""
        super().__init__()
        self.settings = settings
        self._watched: Project | None = None
        self.stack = stack or QUndoStack(self)
        self.session: ProjectSession | None = None
        session = project if isinstance(project, ProjectSession) else None
        self.project = session.project if session is not None else project
        self.scene: otio.schema.Timeline | None = None
        self.playhead = 0
        self.selection: list[Any] = []
        # What the user selected, as (object, stable id, a transition's (track, left, right)):
        # the selection is what of it is on the current scene; an undo/redo that puts a
        # removed item back selects it again (_follow_selection).
        self._chosen: list[tuple[Any, str, tuple | None]] = []
        self.in_out: tuple[int, int] | None = None
        self.media_cache: MediaCache | None = None
        self.background: BackgroundCache | None = None
        self.preview: Preview | None = None
        if session is not None:
            self.set_session(session)
        else:
            self.set_project(project)

    # ------------------------------------------------------------------ project

    @property
    def undo(self) -> QtUndoAdapter:
        """The session's history: the Qt undo stack's adapter."""
        return self.session.undo_stack

    def set_project(self, project: Project) -> None:
        """Switch to ``project`` in a session without the writer lock (widget tests; the
        window opens its projects as locked sessions through :meth:`set_session`)."""
        self.set_session(ProjectSession(project, writer=EDITOR_HOLDER, take_lock=False))

    def set_session(self, session: ProjectSession) -> None:
        """Switch to ``session`` (open, new, recover): fresh history, caches and preview; the
        previous session is closed (its autosave stops, its lock is let go)."""
        old, self.session = self.session, session
        project = session.project
        self.project = project
        self.stack.clear()
        session.replace_history(QtUndoAdapter(project, self.stack))
        if old is not None and old is not session:
            old.close()
        self._watch(project)
        self._close_engine()
        cache_dir = project.location.cache_dir if project.location else _fallback_cache()
        self.media_cache = MediaCache(cache_dir)
        self.background = BackgroundCache(self.media_cache)
        duck = float(getattr(self.settings, "duck_db", -12.0) or -12.0)
        self.preview = Preview(project.resolve_media, media_cache=self.media_cache,
                               background=self.background, duck_db=duck)
        self.scene = project.scenes[0] if project.scenes else None
        self.playhead = 0
        self.selection = []
        self._chosen = []
        self.in_out = None
        self.project_replaced.emit(project)
        self.scene_changed.emit(self.scene)

    def close(self) -> None:
        """Stop the engine and close the session (autosave off, writer lock let go)."""
        self._close_engine()
        if self.session is not None:
            self.session.close()

    def _watch(self, project: Project) -> None:
        """Relay ``project.changed`` as ``document_changed`` so views connect only once."""
        if self._watched is not None:
            for slot in (self._follow_selection, self.document_changed):
                try:
                    self._watched.changed.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self._watched = project
        # The selection follows the document first, so views refresh onto it.
        project.changed.connect(self._follow_selection)
        project.changed.connect(self.document_changed)  # signal to signal: Qt-owned

    def _close_engine(self) -> None:
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        if self.background is not None:
            self.background.shutdown(wait=False)
            self.background = None

    # ------------------------------------------------------------------ editing

    def push(self, command: Command) -> bool:
        """Run ``command`` on the undo stack; a refused edit emits ``error`` instead."""
        try:
            self.session.push(command)
        except TimelineError as exc:
            self.error.emit(str(exc))
            return False
        notices = getattr(command, "notices", None) or []
        for notice in notices:
            self.message.emit(notice)
        return True

    # ------------------------------------------------------------------ state

    @property
    def rate(self) -> float:
        return S.scene_rate(self.scene) if self.scene is not None else float(S.DEFAULT_FPS)

    @property
    def duration_frames(self) -> int:
        if self.scene is None:
            return 0
        return max((track_end(t, self.rate) for t in self.scene.tracks), default=0)

    def set_scene(self, scene: otio.schema.Timeline) -> None:
        if scene is not self.scene:
            self.scene = scene
            self.selection = []
            self._chosen = []
            self.scene_changed.emit(scene)
            self.set_playhead(0)

    def set_playhead(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self.playhead:
            self.playhead = frame
            self.playhead_moved.emit(frame)

    def select(self, items: list[Any]) -> None:
        self._chosen = [(i, _stable_id(i), _cut_of(i)) for i in items]
        self._set_selection(list(items))

    @property
    def selection_gone(self) -> bool:
        """Part of what the user selected is no longer on the scene (removed by an edit or
        an undo); a redo/undo that brings it back selects it again."""
        return len(self.selection) < len(self._chosen)

    def _set_selection(self, items: list[Any]) -> None:
        if [id(i) for i in items] != [id(i) for i in self.selection]:
            self.selection = items
            self.selection_changed.emit(self.selection)

    def _scene_tracks(self) -> set[int]:
        return {id(t) for t in self.scene.tracks} if self.scene is not None else set()

    @staticmethod
    def _on(tracks: set[int], item: Any) -> bool:
        """``item`` sits on one of ``tracks`` (ids of the current scene's tracks)."""
        parent = item.parent() if hasattr(item, "parent") else None
        return isinstance(parent, otio.schema.Track) and id(parent) in tracks

    def _follow_selection(self, change: Any) -> None:
        """After a document change: the chosen items still on the scene stay selected;
        removed ones leave the selection, and come back — found by stable id — when an
        undo or redo puts them back (the same objects, or the reloaded ones)."""
        if not self._chosen:
            return
        tracks = self._scene_tracks()
        if len(self.selection) == len(self._chosen) and \
                all(self._on(tracks, item) for item in self.selection):
            return  # the usual case: nothing selected was removed
        search = getattr(change, "kind", "") in ("undo", "redo", "reset")
        live: list[Any] = []
        for n, (item, item_id, cut) in enumerate(self._chosen):
            if not self._on(tracks, item):
                found = self._find(item_id, tracks) if search else None
                if found is None and cut is not None:
                    found = _transition_on(cut)  # edits and undo replace transitions
                    if found is not None:
                        self._chosen[n] = (found, _stable_id(found), cut)
                item = found
            if item is not None:
                live.append(item)
        self._set_selection(live)

    def _find(self, item_id: str, tracks: set[int]) -> Any:
        if not item_id:
            return None
        try:
            item = self.project.find(item_id)
        except TimelineError:  # ItemNotFound
            return None
        return item if self._on(tracks, item) else None

    def set_in_out(self, in_out: tuple[int, int] | None) -> None:
        self.in_out = in_out
        self.in_out_changed.emit(in_out)


def _cut_of(item: Any) -> tuple | None:
    """A transition's (track, outgoing clip, incoming clip), to find its replacement."""
    if not isinstance(item, otio.schema.Transition):
        return None
    track = item.parent()
    if not isinstance(track, otio.schema.Track):
        return None
    index = next((i for i, child in enumerate(track) if child is item), -1)
    if index <= 0 or index + 1 >= len(track):
        return None
    return track, track[index - 1], track[index + 1]


def _transition_on(cut: tuple) -> Any:
    """The transition now between the clips of ``cut``, or None."""
    track, left, right = cut
    for index, item in enumerate(track):
        if item is left and index + 2 < len(track):
            candidate = track[index + 1]
            if isinstance(candidate, otio.schema.Transition) and track[index + 2] is right:
                return candidate
    return None


def _stable_id(item: Any) -> str:
    try:
        return str(S.get(item, "id", "") or "")
    except (AttributeError, TypeError):  # not a document object
        return ""


def _fallback_cache() -> Path:
    from .. import paths

    return paths.cache_dir() / "unsaved-project"
