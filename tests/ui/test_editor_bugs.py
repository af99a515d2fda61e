"""Regression tests for the editor bugs of issue 12 (redo keys, clip names, the wheel over the
Inspector, quitting with unsaved edits, autosave, file dialogs and the export preset)."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleOptionGraphicsItem

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import MainWindow

HERE = Path(__file__).resolve().parent


def open_window(qtbot, path, **kwargs) -> MainWindow:
    kwargs.setdefault("ask_recovery", True)
    window = MainWindow(project_io.load(path), **kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def discard_and_close(window: MainWindow) -> None:
    window.close()
    if window.save_prompt is not None:
        window.save_prompt.button(QMessageBox.StandardButton.Discard).click()


# --- 1. redo keys ------------------------------------------------------------------------------

def window_shortcuts(window: MainWindow) -> dict[str, list[str]]:
    """Key → names of the enabled window-wide actions bound to it."""
    keys: dict[str, list[str]] = defaultdict(list)
    for action in window.findChildren(QAction):
        if action.shortcutContext() not in (Qt.ShortcutContext.WindowShortcut,
                                            Qt.ShortcutContext.ApplicationShortcut):
            continue
        for key in action.shortcuts():
            if not key.isEmpty():
                keys[key.toString()].append(action.text() or action.objectName())
    return keys


def test_no_two_actions_of_the_main_window_share_a_shortcut(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    shared = {k: names for k, names in window_shortcuts(window).items() if len(names) > 1}
    assert shared == {}
    window.close()


def test_no_shared_shortcuts_on_x11_where_redo_is_ctrl_shift_z(sample_project, tmp_path):
    """Offscreen Qt's Redo key is Ctrl+Y; on X11 desktops it is Ctrl+Shift+Z, the key the
    window also bound by hand (the "Ambiguous shortcut overload")."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is needed (make setup installs it)"
    read_fd, write_fd = os.pipe()  # Xvfb picks a free display and writes its number here
    server = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0",
                               "1600x1000x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # EOF (""): Xvfb exited without a display
        assert number.isdigit(), "Xvfb did not start"
        display = f":{number}"
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        proc = subprocess.run([sys.executable, str(HERE / "shortcuts_proc.py"),
                               str(sample_project)], capture_output=True, text=True,
                              env=env, timeout=120)
    finally:
        server.terminate()
        server.wait(10)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown["redo_key"] == "Ctrl+Shift+Z"
    assert shown["shared"] == {}


def test_redo_by_ctrl_shift_z_and_ctrl_y(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    keys = {k.toString() for k in window.redo_action.shortcuts()}
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= keys
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    scene = window.project.scene()
    for key, mods in ((Qt.Key.Key_Z, Qt.KeyboardModifier.ShiftModifier),
                      (Qt.Key.Key_Y, Qt.KeyboardModifier.NoModifier)):
        assert window.ctx.push(C.RenameItem(scene, "Renamed"))
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert scene.name == "Scene 1"
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier | mods)
        assert scene.name == "Renamed", f"redo by {key} did nothing"
        window.ctx.stack.undo()
    discard_and_close(window)


# --- 2. clip names under partial repaints ------------------------------------------------------

def test_clip_name_is_the_same_whatever_part_of_the_clip_is_repainted(qtbot, ctx):
    from aladdin_studio.ui.timeline_view import TimelineWidget

    widget = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(widget)
    widget.resize(1400, 400)
    widget.show()
    widget.set_zoom(100.0, 0)
    item = widget.view.rows[0].clips[0]
    width = item.boundingRect().width()  # frames; 100 px/s at 24 fps
    image = QImage(4000, 200, QImage.Format.Format_ARGB32)

    def paint(exposed: QRectF) -> str:
        item._elided = (-1, "")
        option = QStyleOptionGraphicsItem()
        option.exposedRect = exposed
        painter = QPainter(image)
        painter.scale(100.0 / 24.0, 1.0)
        item.paint(painter, option)
        painter.end()
        return item._elided[1]

    full = paint(item.boundingRect())
    assert full == item.name  # a 7 s clip at 100 px/s has room for its name
    for left, right in ((0, 6), (0, width / 3), (width / 2, width)):
        part = QRectF(left, 0, right - left, item.boundingRect().height())
        assert paint(part) == full


# --- 3. the wheel over the Inspector ----------------------------------------------------------

def wheel(widget, dy: int = -120) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_over_the_inspector_scrolls_it_and_edits_nothing(qtbot, ctx):
    from aladdin_studio.ui.inspector import Inspector

    inspector = Inspector(ctx)
    qtbot.addWidget(inspector)
    inspector.resize(360, 260)  # shorter than the clip page: it scrolls
    inspector.show()
    qtbot.waitExposed(inspector)
    clip = ctx.project.scene().tracks[0][0]
    ctx.select([clip])
    panel = inspector.clip_panel
    scroll = inspector.pages.currentWidget().verticalScrollBar()
    assert scroll.maximum() > 0
    before = (panel.speed.value(), panel.opacity.value(), panel.fit.currentIndex())
    for field in (panel.speed, panel.opacity.slider, panel.opacity.spin, panel.fit):
        wheel(field)
    assert (panel.speed.value(), panel.opacity.value(), panel.fit.currentIndex()) == before
    assert ctx.stack.count() == 0
    assert scroll.value() > 0  # the panel scrolled instead
    panel.speed.setFocus()  # a focused field still takes the wheel
    qtbot.waitUntil(panel.speed.hasFocus, timeout=2000)
    wheel(panel.speed, 120)
    assert panel.speed.value() != before[0] and ctx.stack.count() == 1


# --- 4. quitting with unsaved changes ---------------------------------------------------------

def test_closing_with_unsaved_edits_asks_save_discard_cancel(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    saved = window.project.location.file.read_bytes()
    assert window.ctx.push(C.RenameItem(window.project.scene(), "Edited"))
    window.close()
    prompt = window.save_prompt
    assert prompt is not None and prompt.isVisible() and window.isVisible()
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and window.project.dirty
    window.close()
    window.save_prompt.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert window.project.location.file.read_bytes() != saved
    assert project_io.load(sample_project).scene().name == "Edited"


def test_discard_closes_and_the_next_start_does_not_offer_recovery(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    saved = window.project.location.file.read_bytes()
    assert window.ctx.push(C.RenameItem(window.project.scene(), "Thrown away"))
    window.autosaver.tick()  # the autosave had already run
    assert window.project.location.recovery_file.exists()
    window.close()
    window.save_prompt.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert window.project.location.file.read_bytes() == saved
    again = open_window(qtbot, sample_project)
    assert again.recovery_prompt is None and not again.project.recovery_available
    again.close()


def test_the_quit_action_asks_too(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    quit_action = next(a for a in window.menuBar().actions()[0].menu().actions()
                       if a.text() == "&Quit")
    assert window.ctx.push(C.RenameItem(window.project.scene(), "Edited"))
    quit_action.trigger()
    assert window.save_prompt is not None and window.isVisible()
    window.save_prompt.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)


# --- 5. autosave a few seconds after the last edit --------------------------------------------

def test_autosave_runs_once_shortly_after_the_last_edit(qtbot, sample_project):
    project = project_io.load(sample_project)
    # 1 s: a 100 ms wait stretched past the delay by a loaded machine must not look like a
    # save between edits (0.3 s left 0.2 s of slack)
    saver = project_io.Autosaver(project, delay_s=1.0)
    recovery = project.location.recovery_file
    written: list[Path] = []
    saver.saved.connect(written.append)
    scene = project.scene()
    for i in range(5):  # a burst of edits: the delay counts from the last one
        C.RenameItem(scene, f"Edit {i}").redo(project)
        qtbot.wait(100)
    assert not recovery.exists()
    qtbot.waitUntil(lambda: bool(written), timeout=10_000)
    assert written == [recovery]
    assert json.loads(recovery.read_text())["children"][0]["name"] == "Edit 4"
    assert project.location.file.read_text() != recovery.read_text()  # never the project
    project_io.save(project)
    assert not recovery.exists()
    saver.close()


def test_an_edit_5_s_before_kill_9_is_offered_back(qtbot, sample_project):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALADDIN_AUTOSAVE_INTERVAL": "3"}
    proc = subprocess.Popen([sys.executable, str(HERE / "autosave_proc.py"), str(sample_project)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)  # a deadline, not a hang
        assert ready, "the editor did not make its edit within 120 s"
        line = proc.stdout.readline()
        assert line.strip() == "edited", line
        edited = time.monotonic()
        recovery = project_io.load(sample_project).location.recovery_file
        while not recovery.exists():  # killed as soon as the autosave is there, within 5 s
            assert time.monotonic() - edited < 5.0, "no autosave within 5 s of the edit"
            assert proc.poll() is None, "the editor exited by itself"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
    window = open_window(qtbot, sample_project)  # the next start
    prompt = window.recovery_prompt
    assert prompt is not None and prompt.isVisible()
    prompt.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.project.scene().name == "Edited before the crash")
    discard_and_close(window)


# --- 7. file dialogs and the export preset ----------------------------------------------------

def test_file_dialogs_start_in_the_projects_folder_then_the_last_one(qtbot, ctx, sample_project,
                                                                     tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from aladdin_studio.ui.media_bin import MediaBin

    media_bin = MediaBin(ctx)
    qtbot.addWidget(media_bin)
    asked: list[str] = []
    chosen = tmp_path / "footage"
    chosen.mkdir()
    answer: list[str] = []

    def fake_dialog(parent, caption, folder, *args, **kwargs):
        asked.append(folder)
        return answer, ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_dialog))
    media_bin.import_dialog()
    assert asked[-1] == str(sample_project.parent)  # not the process's working directory
    answer.append(str(chosen / "missing.mp4"))
    media_bin.import_dialog()  # the user picked a file in another folder
    media_bin.import_dialog()
    assert asked[-1] == str(chosen)


def test_export_preset_is_remembered_per_project(qtbot, ctx, sample_master, tmp_path):
    import shutil

    from aladdin_studio.ui.editor_context import EditorContext
    from aladdin_studio.ui.export_dialog import ExportDialog

    dialog = ExportDialog(ctx)
    qtbot.addWidget(dialog)
    default = dialog.preset.name
    index = next(i for i in range(dialog.preset_combo.count())
                 if dialog.preset_combo.itemData(i).name == "720p")
    dialog.preset_combo.setCurrentIndex(index)
    again = ExportDialog(ctx)
    qtbot.addWidget(again)
    assert again.preset.name == "720p"
    other_path = tmp_path / "Other.aladdin"
    shutil.copytree(sample_master, other_path)
    other = EditorContext(project_io.load(other_path))
    try:
        third = ExportDialog(other)
        qtbot.addWidget(third)
        assert third.preset.name == default  # another project keeps its own
    finally:
        other.close()
