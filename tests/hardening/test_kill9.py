"""kill -9 at random moments during render, import and save: no partial output, the
project always loads, the lock is free, and the next run leaves no temporary leftovers.
Tries are bounded in number and time; the seed is printed for a failing run."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import project_lock as L
from aladdin_studio.timeline.probe import clear_probe_cache, probe

CLI = [sys.executable, "-m", "aladdin_studio.cli"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
SEED = int(os.environ.get("ALADDIN_KILL_SEED", "0")) or random.randrange(1, 10**6)
BUDGET_S = 45.0


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and p.name.endswith((".tmp", ".part", ".parts")))


def kill_once(argv: list[str], began: Callable[[int], bool], delay: float) -> int:
    """Start ``argv``, wait until ``began(pid)`` says its work is under way, then kill it
    ``delay`` s later; its exit code. Timing the kill from the start instead missed every
    render on a fast CI machine (and hit only the interpreter starting on a slow one)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=ENV)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not began(proc.pid):
        assert time.monotonic() < deadline, f"{argv[3]} never got under way"
        time.sleep(0.005)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=30)


def writing_in(folder: Path) -> Callable[[int], bool]:
    """A render has begun writing: a temporary of its own (named with its pid: a killed
    run's are still there) is in ``folder``."""
    return lambda pid: any(f".{pid}." in name for name in leftovers(folder))


def holding_lock_of(project: Path) -> Callable[[int], bool]:
    """An import holds the project's writer lock: its work and save follow."""
    return lambda pid: (L.holder_of(project) or {}).get("pid") == pid


def test_kill_9_during_render(sample_project, tmp_path):
    rng = random.Random(SEED)
    start = time.monotonic()
    out = tmp_path / "out.mp4"
    argv = [*CLI, "render", str(sample_project), "-o", str(out), "--preset", "draft",
            "--range", "0", "2"]
    killed = 0
    # 3 tries, each killed a random moment after it began writing (0-0.6 s of a ~2 s
    # write); up to 6 while none was killed
    for attempt in range(6):
        if time.monotonic() - start > BUDGET_S or (attempt >= 3 and killed):
            break
        code = kill_once(argv, writing_in(tmp_path), rng.uniform(0.0, 0.6))
        killed += code == -signal.SIGKILL
        if out.exists():  # it finished before the kill: then it is whole
            clear_probe_cache()
            assert abs(probe(out).duration - 2.0) < 0.2, f"seed {SEED}"
            out.unlink()
    assert killed >= 1, f"seed {SEED}: every render finished before its kill"
    # the next run sweeps what the killed ones left and writes a whole file
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 0, done.stderr
    assert leftovers(tmp_path) == [], f"seed {SEED}"
    clear_probe_cache()
    assert abs(probe(out).duration - 2.0) < 0.2


def test_kill_9_during_import_and_save(sample_project, tmp_path):
    rng = random.Random(SEED + 1)
    start = time.monotonic()
    media = sample_project / "media"
    files = [str(p) for p in sorted(media.iterdir())]
    copies = []
    for i in range(8):  # new files each try, so every import has something to save
        target = tmp_path / f"copy-{i}.png"
        target.write_bytes((media / "title-card.png").read_bytes())
        copies.append(str(target))
    tries = killed = 0
    # 4 tries killed 0-0.25 s into the locked work (~0.15-0.35 s here); up to 8 while none
    # was killed, then 0-0.02 s in (a fast machine may finish within 0.25 s every time)
    for i in range(8):
        if time.monotonic() - start > BUDGET_S or (i >= 4 and killed):
            break
        delay = rng.uniform(0.0, 0.25 if i < 4 else 0.02)
        code = kill_once([*CLI, "import", str(sample_project), copies[i], *files],
                         holding_lock_of(sample_project), delay)
        tries += 1
        killed += code == -signal.SIGKILL
        project = project_io.load(sample_project)  # loads after every kill
        assert project.scenes, f"seed {SEED}"
        with L.acquire(sample_project, "test", wait_s=0):  # no stale lock
            pass
    assert tries >= 3
    assert killed >= 1, f"seed {SEED}: every import finished before its kill"
    assert leftovers(sample_project) == [], f"seed {SEED}"  # the load above swept them
    backups = sorted((sample_project / "backups").glob("*.otio"))
    digests = [hashlib.sha256(b.read_bytes()).hexdigest() for b in backups]
    assert len(digests) == len(set(digests)), "a killed save added a duplicate backup"


SAVE_LOOP = """
import sys
from aladdin_studio.timeline import commands as C, project_io
project = project_io.load(sys.argv[1])
scene = project.scene()
print("ready", flush=True)
for i in range(100000):
    C.RenameItem(scene, f"Take {i}").redo(project)
    project_io.save(project)
"""


def test_kill_9_during_repeated_saves(sample_project):
    rng = random.Random(SEED + 2)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(sample_project)],
                                stdout=subprocess.PIPE, text=True, env=ENV)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        project = project_io.load(sample_project)
        assert project.scene().name.startswith(("Take", "Scene")), f"seed {SEED}"
        assert leftovers(sample_project) == [], f"seed {SEED}"
    backups = sorted((sample_project / "backups").glob("*.otio"))
    # a kill between linking the new backup and pruning the oldest leaves one extra,
    # which the next save prunes; none of them may be a duplicate
    assert project_io.BACKUPS_KEPT <= len(backups) <= project_io.BACKUPS_KEPT + 1
    assert len({hashlib.sha256(b.read_bytes()).hexdigest() for b in backups}) == len(backups)
    project_io.save(project_io.load(sample_project))
    backups = sorted((sample_project / "backups").glob("*.otio"))
    assert len(backups) == project_io.BACKUPS_KEPT
    digests = {hashlib.sha256(b.read_bytes()).hexdigest() for b in backups}
    assert len(digests) == len(backups)
