"""The editor's undo history: timeline commands recorded in a ``QUndoStack`` (QtGui).

Commands run (and may be refused) *before* they enter the stack, so a refused edit never
becomes an undo step: each executed command is wrapped in a ``QUndoCommand`` whose first
``redo`` does nothing. (The Qt-free history is ``timeline.undo.UndoStack``.) The adapter is
the editor's ``ProjectSession`` history (``services.session.History``): the session pushes,
undoes and redoes through it, and the Edit menu's actions show the same ``QUndoStack``.
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
    """Runs commands on a project and records them in a ``QUndoStack`` (a session
    ``History``)."""

    def __init__(self, project: Project, stack: QUndoStack | None = None) -> None:
        self.project = project
        self.stack = stack or QUndoStack()

    def push(self, command: Command) -> Command:
        command.redo(self.project)  # refused edits raise here and never reach the stack
        self.stack.push(_QtCommand(self.project, command))
        return command

    def undo(self) -> Command | None:
        if not self.stack.canUndo():
            return None
        command = self.stack.command(self.stack.index() - 1)
        self.stack.undo()
        return command.command if isinstance(command, _QtCommand) else None

    def redo(self) -> Command | None:
        if not self.stack.canRedo():
            return None
        command = self.stack.command(self.stack.index())
        self.stack.redo()
        return command.command if isinstance(command, _QtCommand) else None

    def can_undo(self) -> bool:
        return self.stack.canUndo()

    def can_redo(self) -> bool:
        return self.stack.canRedo()

    def undo_text(self) -> str:
        return self.stack.undoText()

    def redo_text(self) -> str:
        return self.stack.redoText()

    def __len__(self) -> int:
        return self.stack.index()
