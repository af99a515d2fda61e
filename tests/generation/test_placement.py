"""Generation on the document: placeholder clips, the generated take as one undo step,
Regenerate as a new take, failure status, and the master reference library."""

from __future__ import annotations

import time
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image

from aladdin_studio.generation import placement as P
from aladdin_studio.generation import references as R
from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs.store import Job
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import validate_track
from aladdin_studio.timeline.errors import InvalidEditError, TrimRangeError
from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.undo import UndoStack

RATE = 24


@pytest.fixture
def doc(tmp_path: Path):
    """A saved empty project (one scene: V1, Dialogue, Music) and its undo stack."""
    project_io.new_project(tmp_path / "P.aladdin", fps=RATE, size=(320, 180))
    project = project_io.load(tmp_path / "P.aladdin")
    return project, UndoStack(project), project.scenes[0]


def req(prompt: str = "A lighthouse at dusk, waves crashing on the rocks below",
        seconds: float = 2.0, **kw) -> GenerationRequest:
    return GenerationRequest("text-to-video", prompt, duration=seconds, seed=5, **kw)


def rendered_job(project, request: GenerationRequest, job_id: str = "job-1") -> Job:
    """A succeeded job whose MP4 (a real local render) sits in the project's media folder."""
    model = load_registry().local(request.method)
    provider = LocalProvider(project.location.root / "work", short_side=90, background=False)
    remote = provider.submit(request, model)
    out = provider.fetch(remote, model, request, project.location.media_dir)
    now = time.time()
    return Job(id=job_id, project=str(project.location.file), payload=request.to_dict(),
               provider="local", chain=[model.id], model=model.id, status="succeeded",
               progress=1.0, remote_id=remote, est_cost=0.0, actual_cost=0.0,
               output_path=str(out.path), created_at=now - 2, submitted_at=now - 1,
               finished_at=now, info={"seed": out.seed, "endpoint": out.endpoint,
                                      "generation_s": 1.0, **out.info})


def place(project, stack, scene, request, job_id="job-1", at=0, insert=False):
    clip = P.placeholder_clip(request, job_id, RATE)
    stack.push(P.place_command(project, scene, scene.tracks[0], at, clip, insert=insert))
    return clip


# --------------------------------------------------------------------------- placeholders


def test_placeholder_is_a_valid_clip_and_survives_save(doc):
    project, stack, scene = doc
    clip = P.placeholder_clip(req(seconds=2.5), "job-1", RATE)
    assert S.frames(clip.source_range.duration, RATE) == 60
    ref = clip.media_reference
    assert isinstance(ref, otio.schema.GeneratorReference)
    assert clip.active_media_reference_key == "take1"
    assert ref.generator_kind == P.GENERATOR_KIND and ref.parameters["job_id"] == "job-1"
    assert ref.available_range == clip.source_range
    assert clip.name == "A lighthouse at dusk, waves…"
    assert S.get(clip, "generation") == {"job_id": "job-1", "method": "text-to-video",
                                         "prompt": req().prompt, "status": "queued"}
    command = P.place_command(project, scene, scene.tracks[0], 48, clip)
    stack.push(command)
    assert stack.undo_text() == "Generate Clip"
    validate_track(scene.tracks[0], RATE)  # the full document rules, not only the edit
    assert [type(s.item).__name__ for s in layout(scene.tracks[0], RATE)] == ["Gap", "Clip"]
    assert P.is_placeholder(clip) and P.generation_job(clip) == "job-1"
    assert P.placeholder_status(clip) == ("queued", 0.0, "")
    assert P.find_generation_clips(project) == [(clip, "job-1")]

    project_io.save(project)
    again = project_io.load(project.location.file)
    [(loaded, job_id)] = P.find_generation_clips(again)
    assert job_id == "job-1" and P.is_placeholder(loaded)
    assert not again.offline  # a placeholder is not missing media
    stack.undo()
    assert P.find_generation_clips(project) == []


def test_placeholders_edit_like_clips_and_go_on_video_tracks(doc):
    project, stack, scene = doc
    first = place(project, stack, scene, req(seconds=1.0), "a")
    second = place(project, stack, scene, req("Second", 1.0), "b", at=0, insert=True)
    assert [s.item for s in layout(scene.tracks[0], RATE)] == [second, first]
    stack.push(C.Trim(first, "out", -6))  # inside the generator's range: allowed
    with pytest.raises(TrimRangeError):
        stack.push(C.Trim(first, "out", 12))  # past it: refused like any media
    with pytest.raises(InvalidEditError, match="video track"):
        P.place_command(project, scene, scene.tracks[1], 0, P.placeholder_clip(req(), "c", RATE))
    assert not P.is_placeholder(C.Clip()) and P.generation_job(otio.schema.Gap()) is None


# --------------------------------------------------------------------------- results


def test_result_replaces_the_placeholder_in_one_undo_step(doc):
    project, stack, scene = doc
    request = req(seconds=1.0, negative_prompt="blurry")
    clip = place(project, stack, scene, request)
    job = rendered_job(project, request)
    command = P.result_command(project, clip, job)
    assert command.job_id == "job-1"
    depth = len(stack)
    stack.push(command)
    assert len(stack) == depth + 1 and stack.undo_text() == "Generated Take"

    assert not P.is_placeholder(clip)
    assert list(clip.media_references()) == ["take1"]  # the placeholder's take, replaced
    ref = clip.media_reference
    assert ref.target_url.startswith("media/local-") and ref.target_url.endswith(".mp4")
    assert project.resolve_media(ref.target_url) == Path(job.output_path)
    prov = S.get(ref, "provenance")
    assert prov["method"] == "text-to-video" and prov["model"] == "local-text-to-video"
    assert prov["endpoint"] == "local/text-to-video" and prov["seed"] == 5
    assert prov["prompt"] == request.prompt and prov["negative_prompt"] == "blurry"
    assert prov["remote_request_id"] == job.remote_id and prov["job_id"] == "job-1"
    assert prov["cost"] == {"currency": "USD", "estimated": 0.0, "actual": 0.0}
    assert prov["timings"]["generation_s"] == 1.0 and "finished" in prov["timings"]
    assert prov["request"]["prompt"] == request.prompt
    assert [e["url"] for e in S.get(project.collection, "bin")] == [ref.target_url]
    assert P.generation_record(clip)["status"] == "done"

    stack.undo()
    assert P.is_placeholder(clip) and P.placeholder_status(clip)[0] == "queued"
    assert not S.get(project.collection, "bin")
    stack.redo()
    assert clip.media_reference.target_url == ref.target_url


def test_a_shorter_result_shortens_the_clip(doc):
    project, stack, scene = doc
    clip = place(project, stack, scene, req(seconds=3.0))
    job = rendered_job(project, req(seconds=1.0))  # e.g. a model that clamps the length
    command = P.result_command(project, clip, job)
    stack.push(command)
    assert S.frames(clip.source_range.duration, RATE) == RATE
    assert any("shorter" in n for n in command.notices)


def test_regenerate_adds_take2_and_undo_restores_take1(doc):
    project, stack, scene = doc
    clip = place(project, stack, scene, req(seconds=1.0))
    stack.push(P.result_command(project, clip, rendered_job(project, req(seconds=1.0))))
    first_url = clip.media_reference.target_url
    again = req(seconds=1.0)
    again.seed = 6
    stack.push(P.result_command(project, clip, rendered_job(project, again, "job-2")))
    assert list(clip.media_references()) == ["take1", "take2"]
    assert clip.active_media_reference_key == "take2"
    assert clip.media_reference.target_url != first_url
    assert S.get(clip.media_reference, "provenance")["seed"] == 6
    assert P.generation_job(clip) == "job-2"
    assert len(S.get(project.collection, "bin")) == 2
    stack.undo()
    assert clip.active_media_reference_key == "take1"
    assert list(clip.media_references()) == ["take1"]
    assert clip.media_reference.target_url == first_url and P.generation_job(clip) == "job-1"


def test_failure_is_recorded_on_the_placeholder(doc):
    project, stack, scene = doc
    clip = place(project, stack, scene, req())
    command = P.status_command(clip, "failed", "The prompt was refused (content policy).")
    assert command.job_id == "job-1"
    stack.push(command)
    assert stack.undo_text() == "Generation Failed"
    assert P.is_placeholder(clip)
    assert P.placeholder_status(clip) == ("failed", 0.0,
                                          "The prompt was refused (content policy).")
    stack.undo()
    assert P.placeholder_status(clip)[0] == "queued"
    with pytest.raises(InvalidEditError, match="no video"):
        P.result_command(project, clip, Job(id="x", project="", payload=req().to_dict(),
                                            provider="local", chain=["m"], model="m"))


# --------------------------------------------------------------------------- references


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, colour in (("hero", (200, 40, 40)), ("beach", (40, 90, 200))):
        out[name] = tmp_path / f"{name}.png"
        Image.new("RGB", (400, 300), colour).save(out[name])
    return out


def test_references_are_added_resolved_and_undoable(doc, images):
    project, stack, scene = doc
    command = R.add_reference(project, images["hero"], "character", "Hero")
    stack.push(command)
    assert stack.undo_text() == "Add Character Reference"
    hero_id = command.entry["id"]
    stack.push(R.add_reference(project, images["beach"], "location"))
    [hero] = R.references(project, "character")
    assert hero["id"] == hero_id and hero["name"] == "Hero" and len(hero["hash"]) == 64
    assert [e["name"] for e in R.list_references(project, "location")] == ["beach"]
    assert R.resolve_reference(project, hero_id) == images["hero"]
    assert R.resolve_reference(project, images["beach"]) == images["beach"]
    assert R.reference_id_for(project, images["hero"]) == hero_id
    with pytest.raises(InvalidInputError, match="already the character reference"):
        R.add_reference(project, images["hero"], "character")
    with pytest.raises(InvalidInputError, match="Unknown reference kind"):
        R.add_reference(project, images["hero"], "prop")
    with pytest.raises(InvalidInputError, match="neither a reference id"):
        R.resolve_reference(project, "nope")
    not_image = images["hero"].with_suffix(".txt")
    not_image.write_text("hello")
    with pytest.raises(InvalidInputError, match="not a readable image"):
        R.add_reference(project, not_image, "location")
    stack.undo()
    stack.undo()
    assert R.references(project) == []


def test_provenance_records_reference_ids_and_input_hashes(doc, images):
    project, stack, scene = doc
    command = R.add_reference(project, images["hero"], "character", "Hero")
    stack.push(command)
    request = GenerationRequest("image-to-video", "The hero walks along the beach",
                                duration=1.0, seed=2, image=images["beach"],
                                character_ref=images["hero"])
    clip = place(project, stack, scene, request)
    stack.push(P.result_command(project, clip, rendered_job(project, request)))
    prov = S.get(clip.media_reference, "provenance")
    assert prov["character_reference"] == command.entry["id"]
    assert "location_reference" not in prov
    assert prov["inputs"]["image"]["sha256"] == P.file_sha256(images["beach"])
    assert prov["inputs"]["character_ref"]["path"] == str(images["hero"])


def test_a_split_placeholder_lands_in_both_halves_with_one_bin_entry(doc):
    project, stack, scene = doc
    stack.push(C.SetProjectMeta("bin", [{"url": "media/earlier.mp4", "name": "earlier.mp4"}]))
    request = req(seconds=2.0)
    clip = place(project, stack, scene, request)
    stack.push(C.Split(scene.tracks[0], RATE))
    left, right = [s.item for s in layout(scene.tracks[0], RATE)]
    assert P.generation_job(left) == P.generation_job(right) == "job-1"
    job = rendered_job(project, request)
    stack.push(P.result_command(project, left, job))
    stack.push(P.result_command(project, right, job))
    assert left is clip and not P.is_placeholder(left) and not P.is_placeholder(right)
    assert left.media_reference.target_url == right.media_reference.target_url
    assert S.frames(right.source_range.start_time, RATE) == RATE  # still its second half
    urls = [e["url"] for e in S.get(project.collection, "bin")]
    assert urls == ["media/earlier.mp4", left.media_reference.target_url]
    project_io.save(project)
    loaded = project_io.load(project.location.file)
    assert [e["url"] for e in S.get(loaded.collection, "bin")] == urls
    stack.undo()
    stack.undo()
    assert [e["url"] for e in S.get(project.collection, "bin")] == ["media/earlier.mp4"]
    stack.redo()
    assert [e["url"] for e in S.get(project.collection, "bin")] == urls
