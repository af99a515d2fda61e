"""The editor holds its project's writer lock while the project is open."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import project_lock as L
from aladdin_studio.ui.main_window import EDITOR_HOLDER, MainWindow

CLI = [sys.executable, "-m", "aladdin_studio.cli"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def cli(*args, timeout=60):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def test_cli_import_is_refused_while_the_editor_has_the_project(qtbot, sample_project):
    window = MainWindow(project_io.load(sample_project), ask_recovery=False)
    qtbot.addWidget(window)
    before = (sample_project / "project.otio").read_bytes()
    assert L.holder_of(sample_project)["holder"] == EDITOR_HOLDER
    proc = cli("import", sample_project, sample_project / "media" / "title-card.png")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and EDITOR_HOLDER in lines[0] and f"pid {os.getpid()}" in lines[0]
    assert "Imported" not in proc.stdout
    assert (sample_project / "project.otio").read_bytes() == before
    window.close()
    assert L.holder_of(sample_project) is None
    assert cli("import", sample_project, sample_project / "media" / "title-card.png"
               ).returncode == 0


def test_opening_another_project_moves_the_lock(qtbot, sample_project, tmp_path):
    other = tmp_path / "Other.aladdin"
    shutil.copytree(sample_project, other)
    window = MainWindow(project_io.load(sample_project), ask_recovery=False)
    qtbot.addWidget(window)
    window.open_path(str(other))
    assert window.project.location.root == other
    assert L.holder_of(sample_project) is None
    assert L.holder_of(other)["pid"] == os.getpid()
    window.close()
    assert L.holder_of(other) is None


HOLD = ("import sys, time; from aladdin_studio.timeline import project_lock as L;"
        "l = L.acquire(sys.argv[1], 'aladdin-studio import'); print('held', flush=True);"
        "time.sleep(60)")


def test_editor_start_on_a_project_a_cli_command_is_writing(sample_project):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(sample_project)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = subprocess.run([*CLI, "open", str(sample_project)], capture_output=True, text=True,
                              env={**ENV, "ALADDIN_SMOKE_EXIT_MS": "100"}, timeout=60)
        assert proc.returncode == 2
        assert "aladdin-studio import" in proc.stderr and f"pid {holder.pid}" in proc.stderr
        assert "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_window_in_another_process_refuses_with_a_message(qtbot, sample_project,
                                                             monkeypatch):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(sample_project)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        shown = []
        monkeypatch.setattr(MainWindow, "_error", lambda self, exc: shown.append(str(exc)))
        monkeypatch.setattr(L, "DEFAULT_WAIT_S", 0.2)
        window = MainWindow(project_io.load(sample_project), ask_recovery=False)
        qtbot.addWidget(window)
        assert window.project_lock is None and "aladdin-studio import" in shown[0]
        window.close()
    finally:
        holder.kill()
        holder.wait()


def test_demo_force_is_refused_while_the_editor_has_the_sample(qtbot, sample_project):
    window = MainWindow(project_io.load(sample_project), ask_recovery=False)
    qtbot.addWidget(window)
    before = (sample_project / "project.otio").read_bytes()
    proc = cli("demo", sample_project, "--force", "--size", "320x180")
    assert proc.returncode == 2 and EDITOR_HOLDER in proc.stderr
    assert (sample_project / "project.otio").read_bytes() == before
    window.close()
