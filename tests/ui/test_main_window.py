"""The editor window on the sample project, in-process and as `aladdin-studio open`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtWidgets import QMessageBox

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import MainWindow, recent_projects


def open_window(qtbot, path, **kwargs) -> MainWindow:
    window = MainWindow(project_io.load(path), **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def test_window_has_the_docks_and_the_sample_scene(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    assert set(window.docks) == {"Media Bin", "Preview", "Inspector", "Timeline", "Jobs",
                                 "Scenes", "Library", "Director"}
    assert window.scene_box.currentText() == "Scene 1"
    report = window.smoke_report()
    assert report["tracks"] == ["V1", "Dialogue", "Music"] and report["visible"]
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[:5] == ["&File", "&Edit", "&Timeline", "&Playback", "&Generate"]
    window.close()


def test_edit_menu_names_the_command_and_undoes_it(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    scene = window.project.scene()
    assert window.ctx.push(C.RenameItem(scene, "Opening"))
    assert window.scene_box.currentText() == "Opening"
    assert window.windowTitle().startswith("Sample •")
    assert window.undo_action.text() == "&Undo Rename"
    window.undo_action.trigger()
    assert window.scene_box.currentText() == "Scene 1"
    window.redo_action.trigger()
    assert scene.name == "Opening"
    window.close()


def test_refused_edit_shows_in_the_status_bar(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    clip = window.project.scene().tracks[0][0]
    assert not window.ctx.push(C.SetSpeed(clip, 0.0))
    assert window.statusBar().currentMessage()
    assert window.ctx.stack.count() == 0
    window.close()


def test_recovery_prompt_after_a_crash_restores_the_autosave(qtbot, sample_project):
    project = project_io.load(sample_project)
    C.RenameItem(project.scene(), "Unsaved work").redo(project)
    project_io.autosave(project)  # what the autosaver left behind before the "crash"
    window = open_window(qtbot, sample_project)
    prompt = window.recovery_prompt
    assert prompt is not None and prompt.isVisible()
    assert "did not close normally" in prompt.text()
    prompt.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.project.scene().name == "Unsaved work")
    assert window.scene_box.currentText() == "Unsaved work"
    window.close()


def test_recent_projects_and_layout_are_remembered(qtbot, sample_project):
    window = open_window(qtbot, sample_project)
    assert str(sample_project) in recent_projects()
    window.docks["Inspector"].hide()
    window.close()  # saves the layout
    again = open_window(qtbot, sample_project)
    assert not again.docks["Inspector"].isVisible()
    assert again.docks["Preview"].isVisible()
    again.docks["Inspector"].show()
    again.close()


def test_open_command_starts_the_editor(sample_project):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALADDIN_SMOKE_EXIT_MS": "1500"}
    proc = subprocess.run([sys.executable, "-m", "aladdin_studio.cli", "open",
                           str(sample_project)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown["visible"] and shown["scene"] == "Scene 1"
    assert shown["tracks"] == ["V1", "Dialogue", "Music"]
    assert "Timeline" in shown["docks"]
