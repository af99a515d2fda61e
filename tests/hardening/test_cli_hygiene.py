"""CLI hygiene: --version, a project path as the first argument, quiet broken pipes,
bounded numbers, one-line argument errors, non-UTF-8 names printed escaped."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aladdin_studio.cli import main
from aladdin_studio.cli_args import route_path_to_open

CLI = [sys.executable, "-m", "aladdin_studio.cli"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("aladdin-studio ") and out.split()[1][0].isdigit()


def test_info_into_a_closed_pipe_exits_quietly(sample_project):
    """`info P | head`: the reader is gone before the output is written."""
    read, write = os.pipe()
    os.close(read)  # no reader at all: the first write fails with EPIPE
    try:
        proc = subprocess.run([*CLI, "info", str(sample_project)], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=ENV, timeout=60)
    finally:
        os.close(write)
    assert proc.stderr == "", proc.stderr
    assert proc.returncode == 141


def test_a_project_path_first_opens_the_editor(sample_project):
    assert route_path_to_open([str(sample_project)], {"open", "info"}) == [
        "open", str(sample_project)]
    assert route_path_to_open(["info", "x.aladdin"], {"open", "info"}) == ["info", "x.aladdin"]
    assert route_path_to_open(["--version"], {"open"}) == ["--version"]
    proc = subprocess.run([*CLI, str(sample_project)], capture_output=True, text=True,
                          env={**ENV, "ALADDIN_SMOKE_EXIT_MS": "300"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["visible"] and report["scene"] == "Scene 1"


@pytest.mark.parametrize("argv, fragment", [
    (["generate", "P.aladdin", "--method", "text-to-video", "--prompt", "x", "--at", "1e300"],
     "--at: 1e300 is out of range"),
    (["generate", "P.aladdin", "--method", "text-to-video", "--prompt", "x", "--at", "-1"],
     "--at: -1 is out of range"),
    (["generate", "P.aladdin", "--method", "text-to-video", "--prompt", "x", "--duration",
      "inf"], "--duration: inf is out of range"),
    (["render", "P.aladdin", "-o", "x.mp4", "--range", "0", "nan"], "--range: nan"),
    (["render", "P.aladdin", "-o", "x.mp4", "--segments", "100000"], "--segments"),
    (["render", "P.aladdin", "-o", "x.mp4", "--duck-db", "1e9"], "--duck-db"),
    (["new", "P.aladdin", "--fps", "0"], "--fps: 0 is out of range"),
    (["new", "P.aladdin", "--fps", "abc"], "--fps: 'abc' is not a number"),
    (["demo", "P.aladdin", "--clip-seconds", "1e300"], "--clip-seconds"),
    (["jobs", "P.aladdin", "--limit", "0"], "--limit"),
    (["worker", "--workers", "100000"], "--workers"),
])
def test_numbers_are_bounded_with_one_line(capsys, argv, fragment):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err


def test_non_utf8_names_are_reported_escaped(sample_project, tmp_path):
    name = os.fsdecode(b"clip-\xff.png")
    (tmp_path / name).write_bytes((sample_project / "media" / "title-card.png").read_bytes())
    proc = subprocess.run([*CLI, "import", str(sample_project), str(tmp_path / name)],
                          capture_output=True, env=ENV, timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err
    assert "clip-\\xff.png" in err and "not valid UTF-8" in err
    assert len(err.strip().splitlines()) == 1


def test_no_project_is_created_that_could_not_be_opened_again(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEO_DEFAULT_FPS", "1000")
    assert main(["new", str(tmp_path / "A.aladdin")]) == 2
    assert "frame rate must be from 1 to 240" in capsys.readouterr().err
    monkeypatch.delenv("VIDEO_DEFAULT_FPS")
    monkeypatch.setenv("VIDEO_DEFAULT_RESOLUTION", "99999x99999")
    assert main(["new", str(tmp_path / "B.aladdin")]) == 2
    assert "16384×16384" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
