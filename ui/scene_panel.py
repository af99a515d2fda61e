"""The Scenes dock: the project's scenes in order, with their clip counts against the limit.

Add, rename (in place), duplicate, delete, reorder (drag or the arrows) and move or copy the
selected clips into a new scene; each is one timeline command on the undo stack. Clicking a
scene shows it in the timeline and the player. A scene past its clip limit says so here and
in the window's status bar (manual edits only warn unless the setting enforces the limit).
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import ChangeSet, video_clip_count
from ..timeline.layout import track_end
from .timecode import format_timecode


def scene_status(scene: otio.schema.Timeline) -> str:
    """``7 clips · 00:00:33:00`` (and the limit when over it)."""
    count, limit = video_clip_count(scene), S.scene_max_clips(scene)
    rate = S.scene_rate(scene)
    length = max((track_end(t, rate) for t in scene.tracks), default=0)
    text = f"{count} clip{'s' if count != 1 else ''} · {format_timecode(length, rate)}"
    if count > limit:
        text += f" · over the limit of {limit}"
    return text


def limit_warning(scene: otio.schema.Timeline | None) -> str:
    """The status-bar note for a scene past its clip limit ("" within it)."""
    if scene is None:
        return ""
    count, limit = video_clip_count(scene), S.scene_max_clips(scene)
    if count <= limit:
        return ""
    return (f"Scene '{scene.name}': {count} video clips, over the limit of {limit} "
            "(generation and scene assembly keep to it)")


def clips_to_new_scene(ctx: Any, *, copy: bool = False) -> bool:
    """Move (or copy) the selected clips into a new scene after theirs and show it."""
    clips = [i for i in ctx.selection if isinstance(i, otio.schema.Clip)
             and isinstance(i.parent(), otio.schema.Track)]
    if not clips:
        ctx.error.emit("Select clips on the timeline first.")
        return False
    command = C.ClipsToNewScene(clips, copy=copy)
    if ctx.push(command):
        ctx.set_scene(command.scene)
        return True
    return False


class _SceneList(QListWidget):
    """The list; a drag inside it reorders scenes through ``MoveScene``."""

    moved = Signal(int, int)  # from row, to row

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        source = self.currentRow()
        target = self.indexAt(event.position().toPoint()).row()
        event.ignore()  # the document moves the scene; the list follows it
        if source >= 0:
            self.moved.emit(source, self.count() - 1 if target < 0 else target)


class ScenePanel(QWidget):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scene-panel")
        self.ctx = ctx
        self.list = _SceneList()
        self.list.setObjectName("scene-list")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.list.currentRowChanged.connect(self._row_chosen)
        self.list.itemChanged.connect(self._renamed)
        self.list.moved.connect(self._moved)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(
            lambda pos: self.menu().exec(self.list.mapToGlobal(pos)))
        self.status = QLabel()
        self.status.setObjectName("scene-status")
        self.status.setWordWrap(True)
        self.actions_by_name: dict[str, QAction] = {}
        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key, text, tip, slot in (
                ("add", "Add", "Add an empty scene after this one", self.add_scene),
                ("rename", "Rename", "Rename the scene (or double-click it)", self.start_rename),
                ("duplicate", "Duplicate", "Copy the scene with its clips", self.duplicate),
                ("delete", "Delete", "Delete the scene (undoable)", self.delete),
                ("up", "▲", "Move the scene up", lambda: self.move_by(-1)),
                ("down", "▼", "Move the scene down", lambda: self.move_by(1))):
            action = QAction(text, self)
            action.setObjectName(f"scene-{key}")
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, f=slot: f())
            self.actions_by_name[key] = action
            bar.addAction(action)
        for key, text, copy in (("move_clips", "Move Selected Clips to New Scene", False),
                                ("copy_clips", "Copy Selected Clips to New Scene", True)):
            action = QAction(text, self)
            action.setObjectName(f"scene-{key}")
            action.triggered.connect(lambda _=False, c=copy: self.clips_to_new_scene(copy=c))
            self.actions_by_name[key] = action
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(bar)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        ctx.project_replaced.connect(lambda _p: self.refresh())
        ctx.document_changed.connect(self._on_changed)
        ctx.scene_changed.connect(lambda _s: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------ showing

    @property
    def scenes(self) -> list[otio.schema.Timeline]:
        return self.ctx.project.scenes

    def _on_changed(self, change: ChangeSet) -> None:
        scenes = self.scenes
        if self.ctx.scene is not None and not any(s is self.ctx.scene for s in scenes):
            # the shown scene was deleted (or an undo removed it): show a neighbour
            self.ctx.set_scene(scenes[0] if scenes else None)
            return
        self.refresh()

    def refresh(self) -> None:
        scenes = self.scenes
        self.list.blockSignals(True)
        try:
            while self.list.count() > len(scenes):
                self.list.takeItem(self.list.count() - 1)
            for row, scene in enumerate(scenes):
                item = self.list.item(row)
                if item is None:
                    item = QListWidgetItem()
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                    self.list.addItem(item)
                status = scene_status(scene)
                item.setText(scene.name)
                item.setData(Qt.ItemDataRole.UserRole, status)
                item.setToolTip(f"{scene.name}: {status}")
                over = "over the limit" in status
                item.setForeground(Qt.GlobalColor.red if over else
                                   self.list.palette().text().color())
            current = self.ctx.scene
            row = next((i for i, s in enumerate(scenes) if s is current), -1)
            self.list.setCurrentRow(row)
        finally:
            self.list.blockSignals(False)
        current = self.ctx.scene
        self.status.setText(f"{current.name}: {scene_status(current)}"
                            if current is not None else "No scene")
        can = len(scenes) > 1
        self.actions_by_name["delete"].setEnabled(can)
        self.actions_by_name["up"].setEnabled(can)
        self.actions_by_name["down"].setEnabled(can)

    # ------------------------------------------------------------------ edits

    def _current(self) -> otio.schema.Timeline | None:
        return self.ctx.scene

    def _row_chosen(self, row: int) -> None:
        scenes = self.scenes
        if 0 <= row < len(scenes):
            self.ctx.set_scene(scenes[row])

    def add_scene(self, name: str | None = None) -> bool:
        current = self._current()
        project = self.ctx.project
        name = name or C.unique_scene_name(project, f"Scene {len(self.scenes) + 1}")
        index = (next(i for i, s in enumerate(project.collection) if s is current) + 1
                 if current is not None else None)
        command = (C.AddScene.like(project, current, name, index=index) if current is not None
                   else C.AddScene(name))
        if self.ctx.push(command):
            self.ctx.set_scene(command.scene)
            return True
        return False

    def start_rename(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def rename(self, scene: otio.schema.Timeline, name: str) -> bool:
        if name.strip() == scene.name:
            return False
        return self.ctx.push(C.RenameItem(scene, name))

    def _renamed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        scenes = self.scenes
        if 0 <= row < len(scenes) and not self.rename(scenes[row], item.text()):
            self.refresh()

    def duplicate(self) -> bool:
        current = self._current()
        if current is None:
            return False
        command = C.DuplicateScene(current)
        if self.ctx.push(command):
            self.ctx.set_scene(command.scene)
            return True
        return False

    def delete(self) -> bool:
        current = self._current()
        return current is not None and self.ctx.push(C.RemoveScene(current))

    def move_by(self, step: int) -> bool:
        current = self._current()
        if current is None:
            return False
        row = next(i for i, s in enumerate(self.scenes) if s is current)
        return self._moved(row, row + step)

    def _moved(self, source: int, target: int) -> bool:
        scenes = self.scenes
        target = min(max(0, target), len(scenes) - 1)
        if source == target or not 0 <= source < len(scenes):
            return False
        return self.ctx.push(C.MoveScene(scenes[source], target))

    def clips_to_new_scene(self, *, copy: bool = False) -> bool:
        return clips_to_new_scene(self.ctx, copy=copy)

    def menu(self) -> QMenu:
        menu = QMenu(self)
        for key in ("add", "rename", "duplicate", "delete"):
            menu.addAction(self.actions_by_name[key])
        menu.addSeparator()
        menu.addAction(self.actions_by_name["up"])
        menu.addAction(self.actions_by_name["down"])
        menu.addSeparator()
        menu.addAction(self.actions_by_name["move_clips"])
        menu.addAction(self.actions_by_name["copy_clips"])
        return menu
