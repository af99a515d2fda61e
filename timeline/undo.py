"""Undo history without Qt (the CLI, services, tests; the editor's ``QUndoStack`` adapter is
``ui/undo_adapter.py``).

Commands run (and may be refused) *before* they enter a history, so a refused
edit never becomes an undo step.
"""

from __future__ import annotations

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
