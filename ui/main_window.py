"""The editor's main window (first cut: the project's scenes, tracks and clips).

Widgets only: edits go through timeline commands on the undo stack, files
through ``timeline.project_io``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QTreeWidget, QTreeWidgetItem

from ..timeline import project_io
from ..timeline import schema as S
from ..timeline.document import ChangeSet, Project
from ..timeline.errors import TimelineError
from ..timeline.layout import layout, track_end
from ..timeline.undo import QtUndoAdapter


def _tc(frames: int, rate: float) -> str:
    seconds = frames / rate
    return f"{int(seconds // 60):02d}:{seconds % 60:05.2f}"


class MainWindow(QMainWindow):
    def __init__(self, project: Project, autosave_s: float = 60.0) -> None:
        super().__init__()
        self.resize(1280, 800)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Item", "Kind", "Start", "End", "Details"])
        self.tree.setColumnWidth(0, 320)
        self.setCentralWidget(self.tree)
        self.undo = QtUndoAdapter(project)
        self.autosaver: project_io.Autosaver | None = None
        self._autosave_s = autosave_s
        self._build_menus()
        self.set_project(project)

    # --- project ---
    def set_project(self, project: Project) -> None:
        self.project = project
        self.undo = QtUndoAdapter(project, self.undo.stack)
        self.undo.stack.clear()
        project.changed.connect(self._on_changed)
        if self.autosaver is not None:
            self.autosaver.timer.stop()
        self.autosaver = project_io.Autosaver(project, self._autosave_s, self)
        self.refresh()
        if project.recovery_available:
            self.statusBar().showMessage(
                "An autosave newer than this project exists: File ▸ Restore Autosave.")
        for warning in project.warnings:
            self.statusBar().showMessage(warning)

    def _on_changed(self, change: ChangeSet) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.setWindowTitle(f"{self.project.name}{' •' if self.project.dirty else ''} "
                            "— Aladdin Studio")
        self.tree.clear()
        for scene in self.project.scenes:
            rate = S.scene_rate(scene)
            w, h = S.scene_size(scene)
            length = max((track_end(t, rate) for t in scene.tracks), default=0)
            top = QTreeWidgetItem([scene.name, "scene", _tc(0, rate), _tc(length, rate),
                                   f"{w}×{h} @ {rate:g} fps"])
            self.tree.addTopLevelItem(top)
            for track in scene.tracks:
                role = S.track_role(track).value
                end = _tc(track_end(track, rate), rate)
                locked = "locked" if S.track_flag(track, "locked") else ""
                node = QTreeWidgetItem([track.name, f"{role} track", "", end, locked])
                top.addChild(node)
                for slot in layout(track, rate):
                    if slot.is_gap:
                        continue
                    item = slot.item
                    kind = S.transition_kind(item).value if slot.is_transition else "clip"
                    url = getattr(item.media_reference, "target_url", "") if slot.is_clip else ""
                    detail = "offline" if url in self.project.offline else Path(url).name
                    node.addChild(QTreeWidgetItem([item.name, kind, _tc(slot.start, rate),
                                                   _tc(slot.end, rate), detail]))
            top.setExpanded(True)
            for i in range(top.childCount()):
                top.child(i).setExpanded(True)

    # --- menus ---
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, key, slot in (("&Open…", QKeySequence.StandardKey.Open, self.open_dialog),
                                ("&Save", QKeySequence.StandardKey.Save, self.save),
                                ("Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as)):
            action = QAction(text, self)
            action.setShortcut(key)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        restore = QAction("Restore Autosave", self)
        restore.triggered.connect(self.restore_autosave)
        file_menu.addAction(restore)
        edit = self.menuBar().addMenu("&Edit")
        undo = self.undo.stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo.stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addAction(undo)
        edit.addAction(redo)

    def _error(self, exc: Exception) -> None:
        QMessageBox.warning(self, "Aladdin Studio", str(exc))

    def open_path(self, path: str, recover: bool = False) -> None:
        try:
            self.set_project(project_io.load(path, recover=recover))
        except TimelineError as exc:
            self._error(exc)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Project", "",
                                              "Projects (*.otio project.otio)")
        if path:
            self.open_path(path)

    def save(self) -> None:
        try:
            if self.project.location is None:
                self.save_as()
                return
            project_io.save(self.project)
            self.refresh()
            self.statusBar().showMessage(f"Saved {self.project.location.file}", 4000)
        except TimelineError as exc:
            self._error(exc)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Project As", "",
                                              "Aladdin project (*.aladdin);;OTIO (*.otio)")
        if path:
            try:
                project_io.save(self.project, path)
                self.refresh()
            except TimelineError as exc:
                self._error(exc)

    def restore_autosave(self) -> None:
        if self.project.location is not None:
            self.open_path(str(self.project.location.file), recover=True)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.project.dirty and self.project.location is not None:
            try:
                project_io.autosave(self.project)
            except TimelineError:
                pass
        event.accept()


__all__ = ["MainWindow", "Qt"]
