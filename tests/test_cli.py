"""The command line as a user runs it: exit codes, stderr, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import opentimelineio as otio

EXE = [sys.executable, "-m", "aladdin_studio.cli"]


def run(*args, check=True):
    proc = subprocess.run([*EXE, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_info_json_describes_the_sample(sample_project):
    data = json.loads(run("info", sample_project, "--json").stdout)
    scene = data["scenes"][0]
    video = scene["tracks"][0]
    assert [i["kind"] for i in video["items"] if i["type"] == "transition"] == [
        "fade", "dissolve", "wipe", "slide"]
    assert len([i for i in video["items"] if i["type"] == "clip"]) == 5
    assert {t["role"] for t in scene["tracks"]} == {"video", "dialogue", "music"}
    assert 30 <= scene["duration"] <= 35


def test_new_import_and_append(tmp_path, sample_project):
    proj = tmp_path / "Mine.aladdin"
    run("new", proj, "--size", "640x360", "--fps", "25")
    media = sample_project / "media"
    out = run("import", proj, media / "pattern-1.mp4", media / "title-card.png",
              "--append-to", "V1")
    assert "Imported" in out.stdout
    data = json.loads(run("info", proj, "--json").stdout)
    clips = [i for i in data["scenes"][0]["tracks"][0]["items"] if i["type"] == "clip"]
    assert [c["name"] for c in clips] == ["pattern-1", "title-card"]
    assert clips[0]["end"] == 7.0


def test_user_errors_are_one_line_without_traceback(tmp_path, sample_project):
    proc = run("info", tmp_path / "nothing.aladdin", check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "no project" in proc.stderr
    bad = tmp_path / "bad.mp4"
    bad.write_text("not video")
    proc = run("import", sample_project, bad, check=False)
    assert proc.returncode == 2 and "bad.mp4" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("export", sample_project, "--format", "edl", "-o", tmp_path / "x.edl",
               "--scene", "Nope", check=False)
    assert proc.returncode == 2 and "No scene named" in proc.stderr
    proc = subprocess.run([*EXE, "info", str(sample_project)], capture_output=True, text=True,
                          env={**os.environ, "VIDEO_DEFAULT_FPS": "fast"})
    assert proc.returncode == 2 and "VIDEO_DEFAULT_FPS" in proc.stderr


def test_export_every_format(tmp_path, sample_project):
    for fmt in ("otio", "otioz", "edl", "fcpxml"):
        out = tmp_path / f"cut.{fmt}"
        run("export", sample_project, "--format", fmt, "-o", out)
        assert out.stat().st_size > 0
    assert isinstance(otio.adapters.read_from_file(str(tmp_path / "cut.otio")),
                      otio.schema.Timeline)


def test_demo_builds_a_project(tmp_path):
    path = tmp_path / "Demo.aladdin"
    run("demo", path, "--size", "160x90", "--clip-seconds", "2")
    assert (path / "project.otio").exists()
    assert len(list((path / "media").iterdir())) == 8
    assert run("demo", path, check=False).returncode == 2  # exists already


def test_render_a_range_with_json_summary(tmp_path, sample_project):
    out = tmp_path / "clip.mp4"
    result = run("render", str(sample_project), "--preset", "draft", "--range", "9", "11",
                 "-o", str(out), "--json")
    summary = json.loads(result.stdout)
    assert summary["frames"] == 48 and summary["width"] == 960 and out.exists()
    assert summary["path"] == str(out)


def test_render_user_errors(tmp_path, sample_project):
    bad = run("render", str(sample_project), "--preset", "imax", "-o", str(tmp_path / "x.mp4"),
              check=False)
    assert bad.returncode == 2 and "Unknown preset 'imax'" in bad.stderr
    bad = run("render", str(sample_project), "--scene", "Nope", "-o", str(tmp_path / "x.mp4"),
              check=False)
    assert bad.returncode == 2 and "No scene named 'Nope'" in bad.stderr
    bad = run("render", str(sample_project), "-o", str(tmp_path / "no" / "x.mp4"), check=False)
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    assert "Traceback" not in bad.stderr
