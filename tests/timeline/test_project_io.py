"""Saving and opening projects: round trips, crash safety, recovery, bad files."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import CorruptProjectError, NewerSchemaError, ProjectFileError
from aladdin_studio.timeline.undo import UndoStack


def test_round_trip_keeps_every_field(sample_project):
    project = project_io.load(sample_project)
    stack = UndoStack(project)
    scene = project.scene()
    video = scene.tracks[0]
    stack.push(C.SetSpeed(video[0], 1.5))
    stack.push(C.SetClipEffects(video[0], grade="custom", lut="/luts/look.cube", denoise=True))
    stack.push(C.SetTrackFlags(scene.tracks[1], muted=True, height=80))
    stack.push(C.AddTake(video[-1], S.new_reference("media/alt.mp4", duration_frames=200,
                                                     rate=24, provenance={"method": "local"})))
    stack.push(C.AddMarker(scene, 30, "Note", "BLUE", note="check colour"))
    text = project.collection.to_json_string()
    project_io.save(project)
    again = project_io.load(sample_project)
    assert again.collection.to_json_string() == text
    clip = again.scene().tracks[0][0]
    assert S.clip_speed(clip) == 1.5
    assert S.get(clip, "effects")["lut"] == "/luts/look.cube"
    assert S.get(again.scene().tracks[1], "height") == 80
    assert S.get(again.scene().tracks[0][-1].media_reference, "provenance") == {"method": "local"}


def test_save_keeps_five_backups_and_clears_recovery(sample_project):
    project = project_io.load(sample_project)
    project_io.autosave(project)
    assert project.location.recovery_file.exists()
    for i in range(7):
        C.RenameItem(project.scene(), f"Scene {i}").redo(project)
        project_io.save(project)
    backups = sorted(project.location.backups_dir.iterdir())
    assert len(backups) == 5
    assert not project.location.recovery_file.exists()
    assert json.loads(backups[-1].read_text())["children"][0]["name"] == "Scene 5"


def test_autosave_never_touches_the_project_and_recovery_is_offered(sample_project, qtbot):
    project = project_io.load(sample_project)
    saved = project.location.file.read_bytes()
    saver = project_io.Autosaver(project, delay_s=3600)
    assert saver.tick() is None  # nothing to save yet
    C.RenameItem(project.scene(), "Changed").redo(project)
    time.sleep(0.01)
    assert saver.tick() == project.location.recovery_file
    assert project.location.file.read_bytes() == saved
    reopened = project_io.load(sample_project)
    assert reopened.recovery_available
    assert reopened.scene().name == "Scene 1"
    recovered = project_io.load(sample_project, recover=True)
    assert recovered.scene().name == "Changed"
    assert recovered.dirty


def test_corrupt_file_gives_clear_error_and_stays_untouched(tmp_path):
    bad = tmp_path / "Broken.aladdin"
    bad.mkdir()
    (bad / "project.otio").write_text('{"OTIO_SCHEMA": "SerializableCollection.1", "chil')
    before = (bad / "project.otio").read_bytes()
    with pytest.raises(CorruptProjectError, match="damaged"):
        project_io.load(bad)
    assert (bad / "project.otio").read_bytes() == before
    (bad / "project.otio").write_text('{"OTIO_SCHEMA": "NoSuchThing.7"}')
    with pytest.raises(ProjectFileError):
        project_io.load(bad)


def test_newer_schema_is_refused(sample_project):
    file = sample_project / "project.otio"
    data = json.loads(file.read_text())
    data["metadata"]["aladdin"]["schema_version"] = S.SCHEMA_VERSION + 1
    file.write_text(json.dumps(data))
    before = file.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer Aladdin Studio"):
        project_io.load(sample_project)
    assert file.read_bytes() == before


def test_missing_media_becomes_offline_not_a_crash(sample_project):
    (sample_project / "media" / "pattern-2.mp4").unlink()
    project = project_io.load(sample_project)
    assert "media/pattern-2.mp4" in project.offline
    assert len(project.scene().tracks[0]) == 9


def test_relink_brings_media_back(sample_project, tmp_path):
    from aladdin_studio.timeline.media import reference_for
    from aladdin_studio.timeline.probe import probe

    moved = tmp_path / "moved.mp4"
    (sample_project / "media" / "pattern-2.mp4").rename(moved)
    project = project_io.load(sample_project)
    ref = reference_for(project, moved, probe(moved), 24)
    UndoStack(project).push(C.Relink("media/pattern-2.mp4", ref.target_url,
                                     ref.available_range))
    project_io.save(project)
    assert project_io.load(sample_project).offline == {}


def test_full_disk_error_keeps_the_old_file(sample_project, monkeypatch):
    project = project_io.load(sample_project)
    before = project.location.file.read_bytes()
    real_fsync = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ProjectFileError, match="disk is full"):
        project_io.save(project)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert project.location.file.read_bytes() == before
    assert not list(project.location.root.glob(".project.otio.*.tmp"))


# One process imports once and forks a fresh saver per line on stdin (a new interpreter per
# kill was most of this test's time); each saver loads the project and saves in a loop.
SAVER = """
import os, sys
from aladdin_studio.timeline import commands as C, project_io
for _ in sys.stdin:
    pid = os.fork()
    if pid == 0:
        project = project_io.load(sys.argv[1])
        print("ready", os.getpid(), flush=True)
        i = 0
        while True:
            i += 1
            C.RenameItem(project.scene(), f"Scene {i} " + "x" * (i % 5000)).redo(project)
            project_io.save(project)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def test_kill_9_during_saves_never_tears_the_project(sample_project):
    rng = random.Random(9)
    names = set()
    forker = subprocess.Popen([sys.executable, "-c", SAVER, str(sample_project)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(20):
            forker.stdin.write("save\n")
            forker.stdin.flush()
            word, pid = forker.stdout.readline().split()
            assert word == "ready"
            time.sleep(rng.uniform(0.0, 0.25))
            os.kill(int(pid), signal.SIGKILL)
            assert forker.stdout.readline().strip() == "reaped"
            project = project_io.load(sample_project)  # old or new, never torn
            names.add(project.scene().name)
            assert len(project.scene().tracks[0]) == 9
    finally:
        forker.kill()
        forker.wait()
    assert len(names) > 1  # the saves really happened between kills


def test_plain_otio_file_is_a_project(tmp_path, sample_project):
    from aladdin_studio.timeline.interchange import export

    project = project_io.load(sample_project)
    plain = tmp_path / "cut.otio"
    export(project, "otio", plain)
    opened = project_io.load(plain)
    assert not opened.location.bundle
    assert opened.offline == {}
    C.RenameItem(opened.scene(), "Edited").redo(opened)
    project_io.save(opened)
    assert project_io.load(plain).scene().name == "Edited"


def test_new_project_has_scene_and_tracks(tmp_path):
    project_io.new_project(tmp_path / "Empty.aladdin", fps=25, size=(1280, 720))
    scene = project_io.load(tmp_path / "Empty.aladdin").scene()
    assert S.scene_rate(scene) == 25 and S.scene_size(scene) == (1280, 720)
    assert [S.track_role(t).value for t in scene.tracks] == ["video", "dialogue", "music"]
    for sub in ("media", "renders", "cache"):
        assert (tmp_path / "Empty.aladdin" / sub).is_dir()
    with pytest.raises(ProjectFileError, match="already exists"):
        project_io.new_project(tmp_path / "Empty.aladdin")


def test_unknown_path_kind_is_refused(tmp_path):
    with pytest.raises(Exception, match="not a project"):
        project_io.load(Path(tmp_path / "notes.txt"))
