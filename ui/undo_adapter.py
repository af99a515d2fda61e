"""The editor's undo history: timeline commands recorded in a ``QUndoStack`` (QtGui).

Commands run (and may be refused) *before* they enter the stack, so a refused edit never
becomes an undo step: each executed command is wrapped in a ``QUndoCommand`` whose first
``redo`` does nothing. (The Qt-free history is ``timeline.undo.UndoStack``.)
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..timeline.commands import Command
from ..timeline.document import Project

__all__ = ["QtUndoAdapter"]


class _QtCommand(QUndoCommand):
    _ids: dict[tuple, int] = {}

    def __init__(self, project: Project, command: Command) -> None:
        super().__init__(command.text)
        self.project = project
        self.command = command
        self._first = True

    def id(self) -> int:  # noqa: A003 - Qt's name
        key = self.command.merge_key
        if key is None:
            return -1
        return self._ids.setdefault(key, len(self._ids) + 1)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        return isinstance(other, _QtCommand) and self.command.merge(other.command)

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.command.redo(self.project)

    def undo(self) -> None:
        self.command.undo(self.project)


class QtUndoAdapter:
    """Runs commands on a project and records them in a ``QUndoStack``."""

    def __init__(self, project: Project, stack: QUndoStack | None = None) -> None:
        self.project = project
        self.stack = stack or QUndoStack()

    def push(self, command: Command) -> Command:
        command.redo(self.project)  # refused edits raise here and never reach the stack
        self.stack.push(_QtCommand(self.project, command))
        return command
