"""Undo history: a plain stack for the CLI and tests, and a ``QUndoStack`` adapter.

Commands run (and may be refused) *before* they enter a history, so a refused
edit never becomes an undo step. The Qt adapter wraps each executed command in a
``QUndoCommand`` whose first ``redo`` does nothing.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from .commands import Command
from .document import Project


class UndoStack:
    """Undo/redo history with merging of consecutive commands that share a key."""

    def __init__(self, project: Project, limit: int = 0) -> None:
        self.project = project
        self.limit = limit
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, command: Command, *, merge: bool = True) -> Command:
        command.redo(self.project)  # raises EditError if refused; nothing recorded then
        self._undone.clear()
        if merge and self._done and self._done[-1].merge(command):
            return self._done[-1]
        self._done.append(command)
        if self.limit and len(self._done) > self.limit:
            del self._done[0]
        return command

    def undo(self) -> Command | None:
        if not self._done:
            return None
        command = self._done.pop()
        command.undo(self.project)
        self._undone.append(command)
        return command

    def redo(self) -> Command | None:
        if not self._undone:
            return None
        command = self._undone.pop()
        command.redo(self.project)
        self._done.append(command)
        return command

    def can_undo(self) -> bool:
        return bool(self._done)

    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def __len__(self) -> int:
        return len(self._done)


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
