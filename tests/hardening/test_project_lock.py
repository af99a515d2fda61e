"""The per-project writer lock: one writer, the holder named, nothing stale after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from aladdin_studio.errors import ErrorKind
from aladdin_studio.timeline import project_lock as L

HOLD = """
import sys, time
from aladdin_studio.timeline import project_lock as L
lock = L.acquire(sys.argv[1], sys.argv[2])
print("held", flush=True)
time.sleep(60)
"""


def hold_in_child(project, holder="aladdin-studio import"):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(project), holder],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_is_refused_naming_the_holder(tmp_path):
    project = tmp_path / "P.aladdin"
    child = hold_in_child(project)
    try:
        start = time.monotonic()
        with pytest.raises(L.ProjectLockedError) as err:
            L.acquire(project, "the editor", wait_s=0.5)
        assert 0.45 <= time.monotonic() - start < 3
        message = str(err.value)
        assert "aladdin-studio import" in message and f"pid {child.pid}" in message
        assert "since" in message and "\n" not in message
        assert err.value.kind == ErrorKind.CONFLICT
        assert L.holder_of(project)["pid"] == child.pid
    finally:
        child.kill()
        child.wait()


def test_kill_9_never_leaves_a_stale_lock(tmp_path):
    project = tmp_path / "P.aladdin"
    child = hold_in_child(project)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    start = time.monotonic()
    with L.acquire(project, "aladdin-studio import", wait_s=0.0) as lock:
        assert time.monotonic() - start < 2  # wall time on a shared box: no waiting, no retry
        assert L.lock_path(project).exists()
        assert lock.info["pid"] == os.getpid()


def test_waiting_writer_gets_the_lock_when_the_holder_finishes(tmp_path):
    project = tmp_path / "P.aladdin"
    child = hold_in_child(project)
    # the holder ends 0.3 s into the wait (waiting for the killer first left nothing to
    # wait for); the generous wait_s only bounds a slow machine
    killer = subprocess.Popen(["sh", "-c", f"sleep 0.3; kill {child.pid}"])
    try:
        with L.acquire(project, "the editor", wait_s=30.0) as lock:
            assert lock.info["holder"] == "the editor"
            assert child.wait(timeout=30) == -signal.SIGTERM  # it got it from the holder
    finally:
        killer.wait(timeout=30)
        if child.poll() is None:
            child.kill()
            child.wait()


def test_reentrant_in_one_process_and_released_with_the_last_handle(tmp_path):
    project = tmp_path / "Plain.otio"
    first = L.acquire(project, "the editor")
    second = L.acquire(project, "aladdin-studio import")
    assert L.lock_path(project) == tmp_path / "Plain.aladdin-data" / L.LOCK_NAME
    first.release()
    proc = subprocess.run([sys.executable, "-c",
                           "import sys; from aladdin_studio.timeline import project_lock as L;"
                           "L.acquire(sys.argv[1], 'x', wait_s=0)", str(project)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "ProjectLockedError" in proc.stderr
    second.release()
    assert L.holder_of(project) is None
    with L.acquire(project, "x", wait_s=0):
        pass


def test_a_lock_on_a_missing_project_leaves_no_folder(tmp_path, capsys):
    from aladdin_studio.cli import main

    with L.acquire(tmp_path / "Typo.aladdin", "aladdin-studio import"):
        assert (tmp_path / "Typo.aladdin" / L.LOCK_NAME).exists()
    assert list(tmp_path.iterdir()) == []
    png = tmp_path.parent / "x.png"
    png.write_bytes(b"\x89PNG")
    assert main(["import", str(tmp_path / "Typo.aladdin"), str(png)]) == 2
    assert "There is no project" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    with L.acquire(tmp_path / "New.aladdin", "the editor") as lock:  # Save As: a project
        (tmp_path / "New.aladdin" / "project.otio").write_text("{}")  # arrives meanwhile
        assert lock.info["holder"] == "the editor"
    assert (tmp_path / "New.aladdin" / L.LOCK_NAME).exists()
