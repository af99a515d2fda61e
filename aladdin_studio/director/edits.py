"""How the director's job edits the project: one undo step per stage.

Outside the editor the project is edited on disk under its writer lock (load, push, save,
release: the same as every CLI write). The editor registers :func:`set_editor` for the
project it has open, so the stages land on its undo stack (on the GUI thread) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..timeline.commands import Command
    from ..timeline.document import Project

__all__ = ["BuildFn", "EditorFn", "apply_stage", "read_project", "set_editor"]

BuildFn = Callable[["Project"], "Command | None"]
# (project file, build) -> the command pushed; or NotImplemented for a project it lacks
EditorFn = Callable[[str, BuildFn], Any]

_editor: EditorFn | None = None
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def set_editor(fn: EditorFn | None) -> None:
    """The editor's bridge (None: edit on disk)."""
    global _editor
    _editor = fn


def _key(project_file: str | Path) -> str:
    from ..timeline.document import ProjectLocation

    return str(ProjectLocation.for_path(project_file).file)


def apply_stage(project_file: str | Path, build: BuildFn,
                writer: str = "aladdin-studio assemble") -> Command | None:
    """Build the stage's command from the project as it is now and push it as one step,
    then save. Returns the command (None when ``build`` had nothing to do)."""
    key = _key(project_file)
    editor = _editor
    if editor is not None:
        result = editor(key, build)
        if result is not NotImplemented:
            return result
    from ..services.session import ProjectSession

    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock, ProjectSession.open(key, writer=writer) as session:
        command = build(session.project)
        if command is None:
            return None
        session.push(command)
        session.save()
        return command


def read_project(project_file: str | Path) -> Project:
    """The project as saved (for reading only)."""
    from ..timeline.project_io import load

    return load(_key(project_file))
