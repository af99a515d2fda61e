"""The editor window on the sample project, in-process and as `aladdin-studio open`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import MainWindow


def test_window_shows_the_sample_scene(qtbot, sample_project):
    window = MainWindow(project_io.load(sample_project))
    qtbot.addWidget(window)
    window.show()
    top = window.tree.topLevelItem(0)
    assert top.text(0) == "Scene 1"
    assert [top.child(i).text(0) for i in range(top.childCount())] == ["V1", "Dialogue", "Music"]
    video = top.child(0)
    kinds = [video.child(i).text(1) for i in range(video.childCount())]
    assert kinds.count("clip") == 5 and "dissolve" in kinds


def test_edits_show_up_and_undo_from_the_menu(qtbot, sample_project):
    window = MainWindow(project_io.load(sample_project))
    qtbot.addWidget(window)
    scene = window.project.scene()
    window.undo.push(C.RenameItem(scene, "Opening"))
    assert window.tree.topLevelItem(0).text(0) == "Opening"
    assert window.windowTitle().startswith("Sample •")
    assert window.undo.stack.undoText() == "Rename"
    window.undo.stack.undo()
    assert window.tree.topLevelItem(0).text(0) == "Scene 1"


def test_open_command_starts_the_editor(sample_project):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALADDIN_SMOKE_EXIT_MS": "300"}
    proc = subprocess.run([sys.executable, "-m", "aladdin_studio.cli", "open",
                           str(sample_project)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown["visible"] and shown["scene"] == "Scene 1"
    assert shown["tracks"] == ["V1", "Dialogue", "Music"]
