"""One open project for any front end: open, edit (undo/redo), save, autosave, one writer.

A session opened with ``writer="aladdin-studio import"`` (any holder name) takes the
project's writer lock (``timeline/project_lock.py``) before reading it and keeps it until
``close()``; another writer waits a moment and is then refused with the holder named. A
session with ``writer=None`` is read-only: it can read and describe the project, and refuses
edits and saves.

The editor runs on a session too: its ``QUndoStack`` adapter (``ui/undo_adapter.py``) is the
session's history (:meth:`ProjectSession.replace_history`), and :meth:`start_autosave` gives
it the debounced background autosaver whose failures it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.commands import Command
from aladdin_studio.timeline.document import Project, ProjectLocation
from aladdin_studio.timeline.undo import UndoStack

__all__ = ["History", "ProjectSession", "ReadOnlySession"]


class History(Protocol):
    """An undo history of one project: ``timeline.undo.UndoStack`` or the editor's adapter."""

    def push(self, command: Command) -> Command: ...
    def undo(self) -> Command | None: ...
    def redo(self) -> Command | None: ...
    def can_undo(self) -> bool: ...
    def can_redo(self) -> bool: ...


class ReadOnlySession(AladdinError):
    """An edit or save on a project opened read-only."""

    kind = ErrorKind.CONFLICT


def _acquire(location: ProjectLocation | str | Path, writer: str) -> Any:
    from aladdin_studio.timeline import project_lock

    return project_lock.acquire(location, writer)


class ProjectSession:
    """``project`` with its undo history, held for ``writer`` (None: read-only)."""

    def __init__(self, project: Project, *, writer: str | None = None,
                 lock: Any = None, take_lock: bool = True,
                 history: History | None = None) -> None:
        """``take_lock=False``: a writer that edits without the lock (an editor window whose
        lock another process has: the user was told; widgets tested on their own)."""
        self.project = project
        self.writer = writer
        self.undo_stack: History = history if history is not None else UndoStack(project)
        self._lock = lock
        if writer is not None and lock is None and take_lock and project.location is not None:
            self._lock = _acquire(project.location, writer)
        self.autosaver: Any = None  # project_io.Autosaver once start_autosave() ran
        self._autosave_error: str | None = None

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, writer: str | None = None,
             recover: bool = False, history: History | None = None) -> ProjectSession:
        """Load the project at ``path`` (a bundle or .otio); a writer locks it first, so
        what it reads is not changed under it."""
        lock = _acquire(path, writer) if writer is not None else None
        try:
            project = project_io.load(path, recover=recover)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(project, writer=writer, lock=lock, history=history)

    @classmethod
    def create(cls, path: str | Path, *, writer: str, history: History | None = None,
               **options: Any) -> ProjectSession:
        """A new project at ``path`` (``project_io.new_project`` options), held by ``writer``."""
        lock = _acquire(path, writer)
        try:
            project = project_io.new_project(path, **options)
        except BaseException:
            lock.release()
            raise
        return cls(project, writer=writer, lock=lock, history=history)

    @property
    def read_only(self) -> bool:
        return self.writer is None

    @property
    def lock(self) -> Any:
        """The held writer lock (``project_lock.ProjectLock``), or None."""
        return self._lock

    def replace_history(self, history: History) -> None:
        """Record edits in ``history`` from now on (a front end's own view of the history,
        e.g. the editor's ``QUndoStack``); the previous history is dropped."""
        self.undo_stack = history

    def _check_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlySession(f"'{self.project.name}' is open read-only; cannot {what}.")

    # --- editing ------------------------------------------------------------------------

    def push(self, command: Command) -> Command:
        """Apply ``command`` as one undo step (a refused edit raises and changes nothing)."""
        self._check_writable("edit it")
        return self.undo_stack.push(command)

    def undo(self) -> Command | None:
        self._check_writable("undo")
        return self.undo_stack.undo()

    def redo(self) -> Command | None:
        self._check_writable("redo")
        return self.undo_stack.redo()

    @property
    def dirty(self) -> bool:
        return self.project.dirty

    # --- files --------------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically (to ``path`` for Save As, whose lock is taken first)."""
        self._check_writable("save it")
        if path is None:
            return project_io.save(self.project)
        assert self.writer is not None
        new_lock = _acquire(path, self.writer)
        try:
            written = project_io.save(self.project, path)
        except BaseException:
            new_lock.release()
            raise
        old, self._lock = self._lock, new_lock
        if old is not None:
            old.release()
        return written

    def autosave(self) -> Path | None:
        """Write the recovery file now (never the project); a failure is raised and kept in
        ``last_autosave_error`` for the front end to show."""
        self._check_writable("autosave")
        if self.autosaver is not None:
            self.autosaver.wait()  # a background write in flight lands first
        try:
            written = project_io.autosave(self.project)
        except (AladdinError, OSError) as exc:
            self._autosave_error = " ".join(str(exc).split()) or type(exc).__name__
            raise
        self._autosave_error = None
        return written

    def start_autosave(self, delay_s: float = 3.0, parent: Any = None) -> Any:
        """Autosave ``delay_s`` seconds after the last edit, the write off the calling
        thread (``project_io.Autosaver``, a QtCore object: it needs a running Qt event loop;
        its ``saved``/``failed`` signals are for the front end). Returns the autosaver."""
        self._check_writable("autosave")
        self.stop_autosave()
        self.autosaver = project_io.Autosaver(self.project, delay_s, parent)
        return self.autosaver

    def stop_autosave(self) -> None:
        """No more autosaves (a write in flight finishes)."""
        saver, self.autosaver = self.autosaver, None
        if saver is not None:
            saver.close()
            saver.deleteLater()

    @property
    def last_autosave_error(self) -> str | None:
        """Why the last autosave failed (None once one worked)."""
        if self.autosaver is not None and self.autosaver.last_error is not None:
            return self.autosaver.last_error
        return self._autosave_error

    @property
    def autosave_failures(self) -> int:
        """Background autosaves that failed in a row."""
        return self.autosaver.failures if self.autosaver is not None else 0

    def discard_recovery(self) -> None:
        """The user threw the unsaved edits away: leave no recovery file to offer."""
        if self.autosaver is not None:
            self.autosaver.discard()
        elif self.project.location is not None:
            self.project.location.recovery_file.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop autosaving and let go of the writer lock (unsaved edits stay in the recovery
        file, if any)."""
        self.stop_autosave()
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.release()

    def __enter__(self) -> ProjectSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
