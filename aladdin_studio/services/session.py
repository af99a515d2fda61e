"""One open project for any front end: open, edit (undo/redo), save, autosave, one writer.

A session opened with ``writer="aladdin-studio import"`` (any holder name) takes the
project's writer lock (``timeline/project_lock.py``) before reading it and keeps it until
``close()``; another writer waits a moment and is then refused with the holder named. A
session with ``writer=None`` is read-only: it can read and describe the project, and refuses
edits and saves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.commands import Command
from aladdin_studio.timeline.document import Project, ProjectLocation
from aladdin_studio.timeline.undo import UndoStack

__all__ = ["ProjectSession", "ReadOnlySession"]


class ReadOnlySession(AladdinError):
    """An edit or save on a project opened read-only."""

    kind = ErrorKind.CONFLICT


def _acquire(location: ProjectLocation | str | Path, writer: str) -> Any:
    from aladdin_studio.timeline import project_lock

    return project_lock.acquire(location, writer)


class ProjectSession:
    """``project`` with its undo history, held for ``writer`` (None: read-only)."""

    def __init__(self, project: Project, *, writer: str | None = None,
                 lock: Any = None) -> None:
        self.project = project
        self.writer = writer
        self.undo_stack = UndoStack(project)
        self._lock = lock
        if writer is not None and lock is None and project.location is not None:
            self._lock = _acquire(project.location, writer)
        self.last_autosave_error: str | None = None

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, writer: str | None = None,
             recover: bool = False) -> ProjectSession:
        """Load the project at ``path`` (a bundle or .otio); a writer locks it first, so
        what it reads is not changed under it."""
        lock = _acquire(path, writer) if writer is not None else None
        try:
            project = project_io.load(path, recover=recover)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(project, writer=writer, lock=lock)

    @classmethod
    def create(cls, path: str | Path, *, writer: str, **options: Any) -> ProjectSession:
        """A new project at ``path`` (``project_io.new_project`` options), held by ``writer``."""
        lock = _acquire(path, writer)
        try:
            project = project_io.new_project(path, **options)
        except BaseException:
            lock.release()
            raise
        return cls(project, writer=writer, lock=lock)

    @property
    def read_only(self) -> bool:
        return self.writer is None

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
        try:
            written = project_io.autosave(self.project)
        except (AladdinError, OSError) as exc:
            self.last_autosave_error = str(exc)
            raise
        self.last_autosave_error = None
        return written

    def close(self) -> None:
        """Let go of the writer lock (unsaved edits stay in the recovery file, if any)."""
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.release()

    def __enter__(self) -> ProjectSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
