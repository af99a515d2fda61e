"""The editor's main window: docks around one shared :class:`EditorContext`.

Widgets only: the open project is a ``services.session.ProjectSession`` (writer lock, undo
history shown by the Edit menu's ``QUndoStack``, background autosave, save); edits go through
timeline commands on it (``ctx.push``), renders through the render engine's worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from ..errors import AladdinError
from ..services.session import ProjectSession
from ..timeline.document import ChangeSet, Project
from .dialog_dirs import remember_dir, start_dir
from .editor_context import EDITOR_HOLDER, EditorContext

__all__ = ["AUTOSAVE_DIALOG_AFTER", "EDITOR_HOLDER", "MainWindow", "recent_projects"]

ORG = APP = "Aladdin Studio"
MAX_RECENT = 8


def qsettings() -> QSettings:
    return QSettings(ORG, APP)


def recent_projects() -> list[str]:
    value = qsettings().value("recent/list", [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [p for p in items if Path(p).exists()]


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Shift+Z and Ctrl+Y, each once (a key bound
    twice in a window is an "ambiguous shortcut" and fires nothing)."""
    keys = [*QKeySequence.keyBindings(QKeySequence.StandardKey.Redo),
            QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    unique: dict[str, QKeySequence] = {}
    for key in keys:
        if not key.isEmpty():
            unique.setdefault(key.toString(), key)
    return list(unique.values())


def remember_project(path: Path) -> None:
    items = [str(path)] + [p for p in recent_projects() if p != str(path)]
    settings = qsettings()
    settings.setValue("recent/list", items[:MAX_RECENT])
    settings.setValue("recent/last", str(path))
    from ..project_registry import try_register

    try_register(path)  # the automation API addresses projects by their registry id


AUTOSAVE_DIALOG_AFTER = 3  # failed autosaves in a row before a dialog says so


class MainWindow(QMainWindow):
    def __init__(self, project: Project | ProjectSession, autosave_s: float = 3.0, *,
                 settings: Any = None, ask_recovery: bool = True,
                 generation: Callable[[EditorContext], Any] | None = None) -> None:
        """``project``: an editor session (``ProjectSession.open(path, writer=EDITOR_HOLDER)``)
        or a loaded project, whose writer lock the window then takes."""
        super().__init__()
        self.setObjectName("MainWindow")
        self.resize(1500, 900)
        self.setDockNestingEnabled(True)
        session = project if isinstance(project, ProjectSession) else self._session_for(project)
        project = session.project
        self.ctx = EditorContext(session, settings=settings)
        if generation is None:  # makes the GenerationController (tests: on a test queue)
            from .generation_controller import GenerationController

            generation = GenerationController
        self.generation = generation(self.ctx)
        self.ctx.generation = self.generation  # found by the timeline's placeholders and menus
        from .editor_api import EditorApi

        self.automation = EditorApi(self.ctx)  # Settings ▸ Automation: the API in-process
        self.ctx.automation = self.automation
        self._autosave_s = autosave_s
        self.recovery_prompt: QMessageBox | None = None
        self.autosave_prompt: QMessageBox | None = None  # "Autosave Is Failing"
        self.save_prompt: QMessageBox | None = None
        self._close_confirmed = False
        self._build_docks()
        self._build_menus()
        self._build_toolbar()
        self.limit_label = QLabel()  # the current scene past its clip limit, if it is
        self.limit_label.setObjectName("scene-limit")
        self.limit_label.setStyleSheet("color: #e06c4c;")
        self.statusBar().addPermanentWidget(self.limit_label)
        self.ctx.scene_changed.connect(lambda _scene: self.refresh())
        self.ctx.error.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.ctx.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.ctx.project_replaced.connect(self._on_project_replaced)
        self._on_project_replaced(project)
        self._restore_layout()
        # Keys start on the timeline (Ctrl+Z, S, Delete…), not in the media bin's search
        # field, whose own undo swallowed the first Ctrl+Z.
        self.timeline.view.setFocus()
        self.automation.start_if_enabled()
        if ask_recovery and project.recovery_available:
            self.ask_recovery()

    # ------------------------------------------------------------------ construction

    @property
    def project(self) -> Project:
        return self.ctx.project

    @property
    def session(self) -> ProjectSession:
        """The open project's session (the context's)."""
        return self.ctx.session

    @property
    def autosaver(self) -> Any:
        """The session's background autosaver (``project_io.Autosaver``)."""
        return self.session.autosaver

    @property
    def project_lock(self) -> Any:
        """The writer lock held while the project is open (None: another writer has it)."""
        return self.session.lock

    @property
    def undo(self):
        return self.ctx.undo

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_docks(self) -> None:
        from .inspector import Inspector
        from .jobs_panel import JobsPanel
        from .media_bin import MediaBin
        from .player import PlayerWidget
        from .timeline_view import TimelineWidget

        self.docks: dict[str, QDockWidget] = {}
        self.bin = MediaBin(self.ctx)
        self.player = PlayerWidget(self.ctx)
        self.inspector = Inspector(self.ctx)
        self.timeline = TimelineWidget(self.ctx)
        self.jobs = JobsPanel(self.ctx, self.generation)
        from .scene_panel import ScenePanel

        self.scenes = ScenePanel(self.ctx)
        top, bottom = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self._dock("Media Bin", self.bin, top)
        self._dock("Preview", self.player, top)
        self._dock("Inspector", self.inspector, top)
        self._dock("Timeline", self.timeline, bottom)
        self._dock("Jobs", self.jobs, bottom)
        self.splitDockWidget(self.docks["Media Bin"], self.docks["Preview"],
                             Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["Preview"], self.docks["Inspector"],
                             Qt.Orientation.Horizontal)
        # Jobs share the bin's place (not the timeline's: the timeline stays in view).
        self.tabifyDockWidget(self.docks["Media Bin"], self.docks["Jobs"])
        self._dock("Scenes", self.scenes, top)
        self.tabifyDockWidget(self.docks["Media Bin"], self.docks["Scenes"])
        from .library_panel import LibraryPanel

        self.library = LibraryPanel(self.ctx)
        self._dock("Library", self.library, top)
        self.tabifyDockWidget(self.docks["Media Bin"], self.docks["Library"])
        from .director_panel import DirectorPanel

        self.director = DirectorPanel(self.ctx)  # brief → generated, voiced, rendered scene
        self._dock("Director", self.director, top)
        self.tabifyDockWidget(self.docks["Media Bin"], self.docks["Director"])
        self.docks["Media Bin"].raise_()

    def _action(self, text: str, slot, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        std = QKeySequence.StandardKey
        file_menu.addAction(self._action("&New Project…", self.new_dialog, std.New))
        file_menu.addAction(self._action("&Open…", self.open_dialog, std.Open))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self._action("&Save", self.save, std.Save))
        file_menu.addAction(self._action("Save &As…", self.save_as, std.SaveAs))
        file_menu.addAction(self._action("Restore Autosave", self.restore_autosave))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Import Media…", self.bin.import_dialog,
                                         QKeySequence("Ctrl+I")))
        file_menu.addAction(self._action("&Export Video…", self.export_dialog,
                                         QKeySequence("Ctrl+E")))
        file_menu.addAction(self._action("&Publish…", self.publish_dialog))
        file_menu.addAction(self._action("Export &Timeline…", self.export_timeline_dialog,
                                         QKeySequence("Ctrl+Shift+E")))
        file_menu.addSeparator()
        file_menu.addAction(self._action("Settings…", self.settings_dialog, std.Preferences))
        file_menu.addAction(self._action("&Quit", self.close, std.Quit))

        edit = bar.addMenu("&Edit")
        undo = self.ctx.stack.createUndoAction(self, "&Undo")
        undo.setShortcut(std.Undo)
        redo = self.ctx.stack.createRedoAction(self, "&Redo")
        redo.setShortcuts(redo_shortcuts())
        edit.addAction(undo)
        edit.addAction(redo)
        self.undo_action, self.redo_action = undo, redo
        from .edit_actions import EditActions
        from .timeline_view.widget import _KeysToFocusedList

        self.edit_actions = EditActions(self.ctx, self.timeline, self)
        named = self.edit_actions.named
        # Ctrl+A in a focused list (the media bin) selects there, not on the timeline
        named["select_all"].installEventFilter(_KeysToFocusedList(self.timeline))
        for group in (("cut", "copy", "paste", "duplicate"),
                      ("select_all", "select_forward", "deselect")):
            edit.addSeparator()
            for key in group:
                self.addAction(named[key])
                edit.addAction(named[key])
        edit.addSeparator()
        edit.addAction(self.timeline.named_actions["lift"])
        edit.addAction(self.timeline.named_actions["ripple_delete"])
        self.timeline.named_actions["lift"].setText("Delete (Lift)")
        timeline = bar.addMenu("&Timeline")
        for action in self.timeline.actions_for_menu():
            timeline.addAction(action)
        timeline.addSeparator()
        timeline.addAction(self._action("Add &Title", self.add_title, QKeySequence("Ctrl+T")))
        source = self.player.source_monitor  # the three-point edit from the Source mode
        source.target_track = self._current_track
        self.bin.source_requested.connect(source.open)
        for action in source.actions():
            timeline.addAction(action)
        playback = bar.addMenu("&Playback")
        for action in self.player.actions_for_menu():
            playback.addAction(action)
        from .generate_dialog import METHOD_LABELS

        generate = bar.addMenu("&Generate")
        for method, label in METHOD_LABELS.items():
            generate.addAction(self._action(f"{label}…", lambda _=False, m=method:
                                            self.generate_dialog(m)))
        generate.addSeparator()
        generate.addAction(self._action("Regenerate Selected Clip…", self.regenerate_selected))
        from .voice_menu import VoiceMenu

        self.voice_menu = VoiceMenu(self, bar.addMenu("&Voice"))
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        scenes = timeline.addMenu("&Scenes")
        for action in self.scenes.menu().actions():
            scenes.addAction(action)
        from .help_menu import build_help_menu

        build_help_menu(self)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Project")
        bar.setObjectName("toolbar-project")
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Scene "))
        self.scene_box = QComboBox()
        self.scene_box.setMinimumWidth(180)
        self.scene_box.activated.connect(self._scene_chosen)
        bar.addWidget(self.scene_box)

    # ------------------------------------------------------------------ project

    def _on_project_replaced(self, project: Project) -> None:
        project.changed.connect(self._on_changed)
        project.enforce_clip_limit = bool(getattr(self.ctx.settings, "enforce_clip_limit", 0))
        saver = self.session.start_autosave(self._autosave_s, self)
        saver.failed.connect(self._autosave_failed)
        saver.saved.connect(self._autosave_worked)
        self._autosave_warned = False
        if project.location is not None:
            remember_project(project.location.file if not project.location.bundle
                             else project.location.root)
        for warning in project.warnings:
            self.statusBar().showMessage(warning, 8000)
        self.refresh()

    def _autosave_failed(self, reason: str) -> None:
        """A status-bar warning each time; a dialog once after AUTOSAVE_DIALOG_AFTER
        failures in a row (until an autosave works again)."""
        self.statusBar().showMessage(f"Autosave failed: {reason} Save the project to keep "
                                     "your edits.", 15000)
        failures = self.session.autosave_failures or 1
        if failures >= AUTOSAVE_DIALOG_AFTER and not self._autosave_warned:
            self._autosave_warned = True
            box = QMessageBox(QMessageBox.Icon.Warning, "Autosave Is Failing",
                              f"The last {failures} autosaves of '{self.project.name}' "
                              f"failed:\n\n{reason}\n\nYour edits since the last save are "
                              "not protected against a crash. Save the project (or Save As "
                              "somewhere else) to keep them.", QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("autosave-failed")
            self.autosave_prompt = box
            box.open()

    def _autosave_worked(self, _path: object = None) -> None:
        self._autosave_warned = False

    def _session_for(self, project: Project) -> ProjectSession:
        """A session holding ``project``'s writer lock (CLI writes are refused while it is
        open); when another writer has it the user is told, and the window edits without."""
        try:
            return ProjectSession(project, writer=EDITOR_HOLDER)
        except AladdinError as exc:
            self._error(exc)
            return ProjectSession(project, writer=EDITOR_HOLDER, take_lock=False)

    def set_project(self, project: Project) -> None:
        """Edit ``project`` instead (its lock taken first: refused with a message)."""
        try:
            session = ProjectSession(project, writer=EDITOR_HOLDER)
        except AladdinError as exc:
            self._error(exc)
            return
        self.set_session(session)

    def set_session(self, session: ProjectSession) -> None:
        """Switch to ``session``; the previous one is closed (its lock let go)."""
        self.player.release_preview()  # the render thread must be idle before the swap
        self.ctx.set_session(session)

    def _on_changed(self, change: ChangeSet) -> None:
        self.refresh()

    def refresh(self) -> None:
        project = self.project
        self.setWindowTitle(f"{project.name}{' •' if project.dirty else ''} — Aladdin Studio")
        names = [scene.name for scene in project.scenes]
        if [self.scene_box.itemText(i) for i in range(self.scene_box.count())] != names:
            self.scene_box.clear()
            self.scene_box.addItems(names)
        if self.ctx.scene is not None and self.ctx.scene in project.scenes:
            self.scene_box.setCurrentIndex(project.scenes.index(self.ctx.scene))
        from .scene_panel import limit_warning

        if hasattr(self, "limit_label"):
            self.limit_label.setText(limit_warning(self.ctx.scene))

    def _scene_chosen(self, index: int) -> None:
        scenes = self.project.scenes
        if 0 <= index < len(scenes):
            self.ctx.set_scene(scenes[index])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            self.recent_menu.addAction(self._action(path, lambda _=False, p=path:
                                                    self.when_saved(lambda: self.open_path(p),
                                                                    "opening another")))
        if not self.recent_menu.actions():
            empty = QAction("No recent projects", self)
            empty.setEnabled(False)
            self.recent_menu.addAction(empty)

    def _error(self, exc: Exception) -> None:
        from .errors import show_error

        show_error(self, exc)

    def ask_recovery(self) -> QMessageBox:
        """Offer the newer autosave (after a crash); non-blocking so tests can answer it."""
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                          "Aladdin Studio did not close normally. An autosave newer than "
                          f"'{self.project.name}' exists.\n\nRestore the autosaved version?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self)
        box.setObjectName("recovery-prompt")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda result: self._recovery_answer(result))
        self.recovery_prompt = box
        box.open()
        return box

    def _recovery_answer(self, result: int) -> None:
        self.recovery_prompt = None
        if result == QMessageBox.StandardButton.Yes:
            self.restore_autosave()

    def open_path(self, path: str, recover: bool = False) -> None:
        try:  # the lock before reading: no stale state
            session = ProjectSession.open(path, writer=EDITOR_HOLDER, recover=recover)
        except AladdinError as exc:
            self._error(exc)
            return
        self.set_session(session)
        if recover:
            self.statusBar().showMessage("Restored the autosaved version; save to keep it.",
                                         8000)

    def open_dialog(self) -> None:
        self.when_saved(self._open_dialog, "opening another project")

    def _open_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open Project (a .aladdin folder)",
                                                start_dir(self.project, "projects"))
        if path:
            remember_dir("projects", Path(path).parent)
            self.open_path(path)

    def new_dialog(self) -> None:
        self.when_saved(self._new_dialog, "starting a new project")

    def _new_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New Project",
                                              start_dir(self.project, "projects"),
                                              "Aladdin project (*.aladdin)")
        if not path:
            return
        remember_dir("projects", path)
        if not path.endswith(".aladdin"):
            path += ".aladdin"
        try:
            session = ProjectSession.create(path, writer=EDITOR_HOLDER)
        except AladdinError as exc:
            self._error(exc)
            return
        self.set_session(session)

    def save(self) -> None:
        try:
            if self.project.location is None:
                self.save_as()
                return
            self.session.save()
            self.refresh()
            self.statusBar().showMessage(f"Saved {self.project.location.file}", 4000)
        except AladdinError as exc:
            self._error(exc)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Project As",
                                              start_dir(self.project, "projects"),
                                              "Aladdin project (*.aladdin);;OTIO (*.otio)")
        if path:
            remember_dir("projects", path)
            try:
                self.session.save(path)  # the lock follows the project to its new place
                self.refresh()
            except AladdinError as exc:
                self._error(exc)

    def restore_autosave(self) -> None:
        if self.project.location is not None:
            self.open_path(str(self.project.location.file), recover=True)

    def export_dialog(self):
        from .export_dialog import ExportDialog

        dialog = ExportDialog(self.ctx, self)
        dialog.finished_export.connect(self._export_done)
        dialog.open()
        return dialog

    def publish_dialog(self):
        """A scene render, selected clips or generated media to R2 or the local folder."""
        from .publish_dialog import PublishDialog

        dialog = PublishDialog(self.ctx, self)
        dialog.published.connect(lambda _r: self.library.search())
        dialog.open()
        return dialog

    def export_timeline_dialog(self):
        """OTIO / OTIOZ / EDL / FCP XML, as ``aladdin-studio export`` writes them."""
        from .export_timeline_dialog import ExportTimelineDialog

        dialog = ExportTimelineDialog(self.ctx, self)
        dialog.open()
        return dialog

    def _export_done(self, result: Any) -> None:
        path = getattr(result, "path", str(result))
        self.jobs.add_export(result)
        self.statusBar().showMessage(f"Exported {path}", 8000)

    def _current_track(self) -> Any:
        row = self.timeline.view.current_row
        return row.track if row is not None else None

    def _current_video_track(self) -> Any:
        row = self.timeline.view.current_row
        return row.track if row is not None and not row.audio else None

    def add_title(self) -> Any:
        """A title at the playhead on the current (or upper) video track, or a new one."""
        from .title_actions import add_title

        return add_title(self.ctx, self._current_video_track())

    def generate_dialog(self, method: str = "text-to-video"):
        from .generate_dialog import open_generate_dialog

        return open_generate_dialog(self.ctx, method, self, track=self._current_video_track())

    def regenerate_selected(self):
        from ..timeline import schema as S
        from .generate_dialog import open_generate_dialog

        clips = [i for i in self.ctx.selection if type(i).__name__ == "Clip"
                 and i.parent() is not None and not S.is_audio(i.parent())]
        if not clips:
            self.statusBar().showMessage("Select a video clip on the timeline to regenerate.",
                                         8000)
            return None
        return open_generate_dialog(self.ctx, parent=self, clip=clips[0])

    def settings_dialog(self):
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx.settings, self)
        dialog.accepted.connect(lambda: setattr(
            self.project, "enforce_clip_limit",
            bool(getattr(dialog.settings, "enforce_clip_limit", 0))))
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ layout

    def _restore_layout(self) -> None:
        settings = qsettings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None:
                self.setGeometry(screen)
        if isinstance(state, QByteArray) and self.restoreState(state):
            return
        QTimer.singleShot(0, self._default_sizes)

    def _default_sizes(self) -> None:
        """First run: bin | preview | inspector on top (55 %), the timeline below."""
        w, h = self.width(), self.height()
        top = [self.docks["Media Bin"], self.docks["Preview"], self.docks["Inspector"]]
        self.resizeDocks(top, [int(w * 0.22), int(w * 0.53), int(w * 0.25)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Preview"], self.docks["Timeline"]],
                         [int(h * 0.52), int(h * 0.40)], Qt.Orientation.Vertical)

    def save_layout(self) -> None:
        settings = qsettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())

    def ask_to_save(self, then: Callable[[], Any] | None = None,
                    doing: str = "closing") -> QMessageBox:
        """Save / Discard / Cancel with unsaved edits (non-blocking, so tests can answer
        it); after Save or Discard ``then`` runs (default: close the window)."""
        buttons = QMessageBox.StandardButton
        text = (f"Save the changes to '{self.project.name}' before {doing}?\n\n"
                "If you don't save, your changes since the last save are lost.")
        failed = self.session.last_autosave_error
        if failed:
            text += (f"\n\nThe last autosave failed ({failed}), so there is no recovery "
                     "copy of these changes either.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", text,
                          buttons.Save | buttons.Discard | buttons.Cancel, self)
        box.setObjectName("save-prompt")
        box.setDefaultButton(buttons.Save)
        box.setEscapeButton(buttons.Cancel)
        box.finished.connect(lambda _result: self._save_answer(box, then or self._close_now))
        self.save_prompt = box
        box.open()
        return box

    def when_saved(self, then: Callable[[], Any], doing: str = "continuing") -> bool:
        """Run ``then`` now when nothing is unsaved, else once the user saved or discarded
        the edits (Cancel: never). True when it ran at once."""
        if not self.project.dirty:
            then()
            return True
        if self.save_prompt is None:
            self.ask_to_save(then, doing)
        return False

    def _close_now(self) -> None:
        self._close_confirmed = True
        self.close()

    def _save_answer(self, box: QMessageBox, then: Callable[[], Any]) -> None:
        self.save_prompt = None
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else \
            QMessageBox.StandardButton.Cancel
        if answer == QMessageBox.StandardButton.Save:
            self.save()
            if self.project.dirty:  # Save As cancelled, or the save failed
                return
        elif answer == QMessageBox.StandardButton.Discard:
            self.session.discard_recovery()  # no crash-recovery prompt next time
        else:
            return
        then()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.project.dirty and not self._close_confirmed:
            event.ignore()
            if self.save_prompt is None:
                self.ask_to_save()
            return
        self.session.stop_autosave()
        self.save_layout()
        self.player.shutdown()
        self.automation.close()
        self.generation.close()
        self.ctx.close()  # closes the session: the writer lock is let go
        event.accept()

    def stage_for_screenshot(self) -> None:
        """Select the graded clip and park the playhead in the dissolve (docs screenshot)."""
        scene = self.ctx.scene
        if scene is None or not scene.tracks:
            return
        clips = [item for item in scene.tracks[0] if type(item).__name__ == "Clip"]
        if len(clips) > 1:
            self.ctx.select([clips[1]])
        self.ctx.set_playhead(int(self.ctx.rate * 13.4))

    def smoke_report(self) -> dict[str, Any]:
        """What the window shows, for `ALADDIN_SMOKE_EXIT_MS` start-up checks."""
        scene = self.ctx.scene
        return {"title": self.windowTitle(), "visible": self.isVisible(),
                "scene": scene.name if scene is not None else None,
                "tracks": [t.name for t in scene.tracks] if scene is not None else [],
                "docks": [t for t, d in self.docks.items() if d.isVisible()]}
