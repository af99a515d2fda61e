"""Generated media gets readable names (method · first prompt words · take N) in the bin,
on the clip and in the take lists; the files in media/ keep their ids."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aladdin_studio.generation import placement as P
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs.store import Job
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.undo import UndoStack

RATE = 24


@pytest.fixture
def doc(tmp_path: Path):
    project_io.new_project(tmp_path / "P.aladdin", fps=RATE, size=(320, 180))
    project = project_io.load(tmp_path / "P.aladdin")
    return project, UndoStack(project), project.scenes[0]


def finished(project, request: GenerationRequest, job_id: str) -> Job:
    model = load_registry().local(request.method)
    provider = LocalProvider(project.location.root / "work", short_side=90, background=False)
    remote = provider.submit(request, model)
    out = provider.fetch(remote, model, request, project.location.media_dir)
    now = time.time()
    return Job(id=job_id, project=str(project.location.file), payload=request.to_dict(),
               provider="local", chain=[model.id], model=model.id, status="succeeded",
               progress=1.0, remote_id=remote, output_path=str(out.path), created_at=now,
               submitted_at=now, finished_at=now, info={"seed": out.seed})


@pytest.mark.parametrize("method, prompt, take, name", [
    ("text-to-video", "Sunset over the bay.", 2, "t2v · Sunset over the bay · take 2"),
    ("image-to-video", "a  slow push in on the old lighthouse door", 1,
     "i2v · a slow push in on… · take 1"),
    ("first-last-frame", "", 3, "flf · take 3"),
])
def test_readable_name(method, prompt, take, name):
    assert P.readable_name(method, prompt, take) == name


def test_takes_are_named_in_the_bin_on_the_clip_and_in_the_take_list(doc):
    project, stack, scene = doc
    request = GenerationRequest("text-to-video", "sunset over the bay", duration=1.0, seed=1)
    clip = P.placeholder_clip(request, "job-1", RATE)
    stack.push(P.place_command(project, scene, scene.tracks[0], 0, clip))
    stack.push(P.result_command(project, clip, finished(project, request, "job-1")))
    assert clip.name == "t2v · sunset over the bay · take 1"
    assert clip.media_reference.name == "t2v · sunset over the bay · take 1"
    entry = S.get(project.collection, "bin")[0]
    assert entry["name"] == "t2v · sunset over the bay · take 1"
    assert Path(entry["url"]).name.startswith("local-")  # the file keeps its id

    again = GenerationRequest("text-to-video", "sunset over the bay", duration=1.0, seed=2)
    stack.push(P.result_command(project, clip, finished(project, again, "job-2")))
    assert clip.name == "t2v · sunset over the bay · take 2"
    assert [e["name"] for e in S.get(project.collection, "bin")] == [
        "t2v · sunset over the bay · take 1", "t2v · sunset over the bay · take 2"]
    stack.undo()
    assert clip.name == "t2v · sunset over the bay · take 1"


def test_a_name_the_user_typed_is_kept(doc):
    project, stack, scene = doc
    request = GenerationRequest("text-to-video", "sunset over the bay", duration=1.0, seed=1)
    clip = P.placeholder_clip(request, "job-1", RATE)
    stack.push(P.place_command(project, scene, scene.tracks[0], 0, clip))
    stack.push(C.RenameItem(clip, "Opening shot"))
    stack.push(P.result_command(project, clip, finished(project, request, "job-1")))
    assert clip.name == "Opening shot"
    assert S.get(project.collection, "bin")[0]["name"] == "t2v · sunset over the bay · take 1"
