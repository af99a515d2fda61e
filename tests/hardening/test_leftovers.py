"""Leftovers: SIGTERM unwinds like Ctrl+C, stale temp names of dead processes are swept by
pid and age, an identical version is not backed up twice, render errors name the user's
output (never a temporary path)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from aladdin_studio.files import sweep_stale, temp_prefix
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io

CLI = [sys.executable, "-m", "aladdin_studio.cli"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sweep_removes_dead_processes_temp_names_only(tmp_path):
    dead = dead_pid()
    stale = [tmp_path / f".project.otio.{dead}.tmp", tmp_path / f".out.mp4.{dead}.x1y2.part"]
    for path in stale:
        path.write_text("half")
    folder = tmp_path / f".out.mp4.{dead}.ab12cd.parts"
    folder.mkdir()
    (folder / "segment-000.mp4").write_bytes(b"x")
    live = tmp_path / f".out.mp4.{os.getppid()}.zz.parts"  # a live process's render
    live.mkdir()
    old_live = tmp_path / f".old.mp4.{os.getppid()}.tmp"
    old_live.write_text("x")
    day_ago = time.time() - 25 * 3600
    os.utime(old_live, (day_ago, day_ago))
    keep = [tmp_path / "project.otio", tmp_path / ".hidden-notes.tmp", tmp_path / "a.parts"]
    for path in keep:
        path.write_text("mine")
    removed = sweep_stale(tmp_path)
    assert sorted(removed) == sorted([*stale, folder, old_live])
    assert live.exists() and all(p.exists() for p in keep)
    assert temp_prefix(tmp_path / "x.mp4") == f".x.mp4.{os.getpid()}."


def test_sigterm_during_render_leaves_nothing(sample_project, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "t.mp4"
    proc = subprocess.Popen([*CLI, "render", str(sample_project), "-o", str(out),
                             "--preset", "720p"], stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 60
    while not list(folder.glob(".t.mp4.*.parts")):
        assert proc.poll() is None and time.monotonic() < deadline, "the render never began"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 130 and "cancelled" in err, err
    assert list(folder.iterdir()) == []


def test_identical_versions_are_backed_up_once(sample_project):
    def count() -> int:
        return len(list((sample_project / "backups").glob("*.otio")))

    project = project_io.load(sample_project)
    project_io.save(project)  # the version on disk is kept (unless it already is) ...
    project_io.save(project)  # ... and so is this one, once
    kept = count()
    for _ in range(3):  # saves of an unchanged project (what killed saves repeat)
        project_io.save(project)
    assert count() == kept
    contents = [b.read_bytes() for b in (sample_project / "backups").glob("*.otio")]
    assert len(set(contents)) == len(contents)  # no duplicate pushed a distinct one out
    C.RenameItem(project.scene(), "Changed").redo(project)
    project_io.save(project)
    project_io.save(project)
    assert count() == min(kept + 1, project_io.BACKUPS_KEPT)


def test_a_save_killed_between_backup_and_prune_is_pruned_by_the_next_save(sample_project):
    """A kill after the previous version was linked into backups/ but before the oldest was
    pruned leaves one backup too many, whose newest is the version on disk: the next save
    (even of the same content) prunes it instead of skipping the backup step altogether."""
    import shutil

    project = project_io.load(sample_project)
    for i in range(project_io.BACKUPS_KEPT):  # a full set of distinct backups
        C.RenameItem(project.scene(), f"Version {i}").redo(project)
        project_io.save(project)
    folder = sample_project / "backups"
    kept = sorted(folder.glob("*.otio"))
    assert len(kept) == project_io.BACKUPS_KEPT
    # the killed save: linked the file on disk as the newest backup, then died
    shutil.copy2(sample_project / "project.otio", folder / "project-99991231-235959-0.otio")
    assert len(list(folder.glob("*.otio"))) == project_io.BACKUPS_KEPT + 1
    project_io.save(project_io.load(sample_project))  # the same content again
    after = sorted(folder.glob("*.otio"))
    assert len(after) == project_io.BACKUPS_KEPT
    assert after[-1].name == "project-99991231-235959-0.otio" and kept[0] not in after


def _small_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a core dump
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_render_errors_name_the_users_output(sample_project, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "big.mp4"
    proc = subprocess.run([*CLI, "render", str(sample_project), "-o", str(out), "--preset",
                           "draft"], capture_output=True, text=True, env=ENV, timeout=120,
                          preexec_fn=_small_files)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"'{out}'" in lines[0] and "File too large" in lines[0]
    assert ".parts" not in proc.stderr and Path(out).exists() is False
    assert list(folder.iterdir()) == []


def test_loading_a_project_sweeps_killed_saves_and_downloads(sample_project):
    dead = dead_pid()
    stale = [sample_project / f".project.otio.{dead}.tmp",
             sample_project / "media" / f".take-1.mp4.{dead}.k3j2.part"]
    for path in stale:
        path.write_text("half-written")
    project_io.load(sample_project)
    assert not any(p.exists() for p in stale)
