"""Damaged project files through info, import, render and export: one line, exit 2, the
file untouched, each within 5 s (in-process under an alarm; a few as real processes)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from damaged_corpus import build_corpus

from aladdin_studio.cli import main

LIMIT_S = 5.0


def fingerprint(path: Path) -> tuple:
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        return ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return ("other", st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


@pytest.fixture(scope="module")
def corpus(sample_master, tmp_path_factory) -> dict[str, Path]:
    return build_corpus(sample_master, tmp_path_factory.mktemp("damaged"))


def commands(out: Path, media: Path) -> dict[str, list[str]]:
    return {"info": ["info"], "import": ["import", "@", str(media)],
            "render": ["render", "-o", str(out / "out.mp4"), "--preset", "draft"],
            "export": ["export", "--format", "otioz", "-o", str(out / "out.otioz")]}


class Hang(Exception):
    pass


def run_in_process(argv: list[str]) -> tuple[int | str, str, float]:
    def alarm(*_):
        raise Hang()
    old = signal.signal(signal.SIGALRM, alarm)
    err = io.StringIO()
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S * 2)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code: int | str = main(argv)
    except Hang:
        code = "hang"
    except BaseException as exc:  # a traceback is a failure: report it with the case
        code = f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return code, err.getvalue(), time.monotonic() - start


def test_every_damaged_project_is_one_line_and_untouched(corpus, sample_master, tmp_path):
    media = sample_master / "media" / "title-card.png"
    failures = []
    runs = 0
    for name, bundle in corpus.items():
        target = bundle / "project.otio"
        before = fingerprint(target)
        for verb, args in commands(tmp_path, media).items():
            argv = [a if a != "@" else str(bundle) for a in args]
            if verb != "import":
                argv.insert(1, str(bundle))
            code, err, seconds = run_in_process(argv)
            runs += 1
            lines = err.strip().splitlines()
            problems = []
            if code != 2:
                problems.append(f"exit {code}")
            if len(lines) != 1 or "Traceback" in err:
                problems.append(f"{len(lines)} lines")
            if seconds > LIMIT_S:
                problems.append(f"{seconds:.1f} s")
            if fingerprint(target) != before:
                problems.append("file changed")
            if list(tmp_path.iterdir()):
                problems.append(f"wrote {[p.name for p in tmp_path.iterdir()]}")
            if problems:
                failures.append(f"{name} {verb}: {', '.join(problems)}: {err.strip()[:200]}")
            if verb == "info" and code == 2 and lines:
                assert "project.otio" in lines[0], lines[0]  # names the user's file
    assert runs >= 4 * 70
    assert not failures, "\n".join(failures)


REAL = ["clip_duration_1e300", "symlink_dev_zero"]  # hung before; the rest run in-process


@pytest.mark.parametrize("name", REAL)
def test_as_real_processes(corpus, tmp_path, name):
    bundle = corpus[name]
    before = fingerprint(bundle / "project.otio")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for argv in (["info", str(bundle)],
                 ["render", str(bundle), "-o", str(tmp_path / "o.mp4"), "--preset", "draft"]):
        before_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "aladdin_studio.cli", *argv],
                              capture_output=True, text=True, env=env, timeout=30)
        after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time, not wall time: on a loaded machine starting Python alone can take 5 s
        took = (after_cpu.ru_utime - before_cpu.ru_utime) + (after_cpu.ru_stime
                                                             - before_cpu.ru_stime)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert took < LIMIT_S, f"{argv[0]} used {took:.1f} s of CPU"
    assert fingerprint(bundle / "project.otio") == before
    assert not (tmp_path / "o.mp4").exists()


def test_edits_cannot_make_a_scene_that_would_not_load_again(sample_project):
    """The load check refuses scenes over 24 h, so edits refuse to make one."""
    from aladdin_studio.timeline import commands as C
    from aladdin_studio.timeline import project_io
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.timeline.errors import EditError
    from aladdin_studio.timeline.undo import UndoStack

    project = project_io.load(sample_project)
    track = project.scene().tracks[0]
    frames = 25 * 3600 * 24
    ref = S.new_reference("media/pattern-1.mp4", duration_frames=frames, rate=24)
    clip = S.new_clip("long", ref, start=0, duration=frames, rate=24)
    with pytest.raises(EditError, match="at most 24 h"):
        UndoStack(project).push(C.AppendClip(track, clip))
    project_io.save(project)
    project_io.load(sample_project)
