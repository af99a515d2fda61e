"""A generation placed at a time never covers existing clips (issue 12): the requested
track when it is free there, else the first free video track above, else a new track."""

from __future__ import annotations

from pathlib import Path

import pytest

from aladdin_studio.generation import placement as P
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.undo import UndoStack

RATE = 24


@pytest.fixture
def doc(tmp_path: Path):
    project_io.new_project(tmp_path / "P.aladdin", fps=RATE, size=(320, 180))
    project = project_io.load(tmp_path / "P.aladdin")
    return project, UndoStack(project), project.scenes[0]


def place(project, stack, scene, job_id: str, at: int, seconds: float = 2.0):
    request = GenerationRequest("text-to-video", f"A shot for {job_id}", duration=seconds,
                                seed=1)
    clip = P.placeholder_clip(request, job_id, RATE)
    command = stack.push(P.place_command(project, scene, scene.tracks[0], at, clip))
    return clip, command


def where(scene, clip):
    track = clip.parent()
    slot = next(s for s in layout(track, RATE) if s.item is clip)
    return track.name, slot.start, slot.end


def test_generations_at_the_playhead_never_overwrite(doc):
    project, stack, scene = doc
    first, _ = place(project, stack, scene, "a", 0)  # 48 frames on V1
    assert where(scene, first) == ("V1", 0, 48)
    second, command = place(project, stack, scene, "b", 24)  # over the first: a new track
    assert where(scene, second) == ("V2", 24, 72)
    assert any("new track 'V2'" in n for n in command.notices)
    assert where(scene, first) == ("V1", 0, 48)  # untouched
    third, _ = place(project, stack, scene, "c", 48)  # V1 is free from 48 on
    assert where(scene, third) == ("V1", 48, 96)
    fourth, _ = place(project, stack, scene, "d", 80)  # V1 taken there, V2 free: V2
    assert where(scene, fourth) == ("V2", 80, 128)
    assert [t.name for t in scene.tracks if not S.is_audio(t)] == ["V1", "V2"]
    stack.undo()
    stack.undo()
    stack.undo()  # the new track goes with its clip (one step)
    assert [t.name for t in scene.tracks if not S.is_audio(t)] == ["V1"]


def test_a_locked_free_track_is_skipped_and_insert_still_pushes(doc):
    project, stack, scene = doc
    place(project, stack, scene, "a", 0)
    v2 = stack.push(C.AddTrack(scene, "video")).track
    stack.push(C.SetTrackFlags(v2, locked=True))
    clip, _ = place(project, stack, scene, "b", 0)
    assert where(scene, clip)[0] == "V3"
    request = GenerationRequest("text-to-video", "Inserted shot", duration=1.0, seed=1)
    inserted = P.placeholder_clip(request, "c", RATE)
    stack.push(P.place_command(project, scene, scene.tracks[0], 0, inserted, insert=True))
    assert where(scene, inserted) == ("V1", 0, 24)
