"""GenerationService through the real queue (SqliteHuey + embedded consumer in tmp_path) and
the local animatic provider: placement, results landing once, Regenerate, failures, cancel,
retry, estimates and references."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image
from waits import wait_job_done

from aladdin_studio.config import Settings
from aladdin_studio.generation import placement as P
from aladdin_studio.generation import references as R
from aladdin_studio.generation.errors import (
    ContentPolicyError,
    InvalidInputError,
    ProviderAuthError,
)
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.generation.service import GenerationService
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.errors import ClipLimitError, InvalidEditError
from aladdin_studio.timeline.undo import UndoStack

RATE = 24


class Refusing:
    """The local provider, refusing submissions on content grounds while ``refuse`` is set."""

    name = "local"

    def __init__(self, inner: LocalProvider) -> None:
        self.inner = inner
        self.refuse = False

    def submit(self, request, model):
        if self.refuse:
            raise ContentPolicyError("The prompt was refused (content policy).")
        return self.inner.submit(request, model)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def env(tmp_path: Path):
    project_io.new_project(tmp_path / "P.aladdin", fps=RATE, size=(320, 180))
    project = project_io.load(tmp_path / "P.aladdin")
    settings = Settings(provider="local")
    provider = Refusing(LocalProvider(tmp_path / "work", short_side=90))
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"), store,
                     lambda name: provider, settings, poll_interval=0.02, backoff_base=0.01)
    consumers: list[EmbeddedConsumer] = []

    def start() -> None:
        consumer = EmbeddedConsumer(queue.huey, 2, queue=queue, tick=0.05)
        consumer.start()
        consumers.append(consumer)

    service = GenerationService(project, queue, store)
    yield project, UndoStack(project), service, provider, start
    for consumer in consumers:
        assert consumer.close(10)
    provider.inner.close()


def wait_done(service: GenerationService, job_id: str, timeout: float = 15.0):
    return wait_job_done(service.store, job_id, timeout)


def land(service: GenerationService, stack: UndoStack) -> list:
    """What the editor's controller does each tick."""
    commands = service.finished_commands()
    for command in commands:
        stack.push(command)
        service.mark_applied(command.job_id)
    return commands


def req(prompt: str = "A red kite over green hills", **kw) -> GenerationRequest:
    kw.setdefault("duration", 1.0)
    kw.setdefault("seed", 4)
    return GenerationRequest("text-to-video", prompt, **kw)


def test_submit_places_a_placeholder_and_the_result_lands_once(env):
    project, stack, service, _provider, start = env
    scene = project.scenes[0]
    job, command = service.submit(req(), scene=scene, track="V1", at=12)
    assert job.scene == "Scene 1" and job.track == "V1" and job.at == pytest.approx(0.5)
    assert job.project == str(project.location.file) and job.status == "queued"
    stack.push(command)
    [(clip, job_id)] = P.find_generation_clips(project)
    assert job_id == job.id and P.is_placeholder(clip)
    assert S.frames(clip.range_in_parent().start_time, RATE) == 12
    assert [j.id for j in service.pending()] == [job.id] == [j.id for j in service.jobs()]
    assert service.finished_commands() == []  # not finished yet

    start()
    done = wait_done(service, job.id)
    assert done.status == "succeeded" and service.pending() == []
    [command] = land(service, stack)
    assert command.text == "Generated Take" and command.job_id == job.id
    assert service.store.get(job.id).take_applied
    assert not P.is_placeholder(clip)
    path = project.resolve_media(clip.media_reference.target_url)
    assert path.parent == project.location.media_dir and path.suffix == ".mp4"
    assert service.finished_commands() == []  # applied: never offered again
    stack.undo()  # the placeholder is back, and stays (the result is not re-applied)
    assert P.is_placeholder(clip) and service.finished_commands() == []


def test_regenerate_makes_a_new_take(env):
    project, stack, service, _provider, start = env
    start()
    job, command = service.submit(req(), at=0)
    stack.push(command)
    wait_done(service, job.id)
    land(service, stack)
    [(clip, _)] = P.find_generation_clips(project)
    first_url = clip.media_reference.target_url

    again, command = service.submit(req(), clip=clip, new_take=True)
    assert again.id != job.id and again.cached_from is None  # new_take skips the cache
    stack.push(command)
    assert stack.undo_text() == "Regenerate" and P.generation_job(clip) == again.id
    assert len(clip.parent()) == 1  # no new clip
    wait_done(service, again.id)
    land(service, stack)
    assert list(clip.media_references()) == ["take1", "take2"]
    assert clip.active_media_reference_key == "take2"
    assert clip.media_reference.target_url != first_url
    stack.undo()
    assert clip.active_media_reference_key == "take1"
    assert clip.media_reference.target_url == first_url


def test_failure_is_recorded_then_retry_lands_the_take(env):
    project, stack, service, provider, start = env
    provider.refuse = True
    start()
    job, command = service.submit(req("A storm at sea"))
    stack.push(command)
    failed = wait_done(service, job.id)
    assert failed.status == "failed" and failed.error_kind == "ContentPolicyError"
    [command] = land(service, stack)
    assert command.text == "Generation Failed"
    [(clip, _)] = P.find_generation_clips(project)
    status, _progress, reason = P.placeholder_status(clip)
    assert status == "failed" and "content policy" in reason

    provider.refuse = False
    assert service.retry(job.id).take_applied is False
    assert wait_done(service, job.id).status == "succeeded"
    [command] = land(service, stack)
    assert command.text == "Generated Take" and not P.is_placeholder(clip)
    assert P.placeholder_status(clip) == ("done", 1.0, "")


def test_cancel_marks_the_placeholder(env):
    project, stack, service, _provider, _start = env
    job, command = service.submit(req())  # no consumer: it stays queued
    stack.push(command)
    assert service.cancel(job.id).status == "cancelled"
    [command] = land(service, stack)
    assert command.text == "Generation Cancelled"
    [(clip, _)] = P.find_generation_clips(project)
    assert P.placeholder_status(clip)[0] == "cancelled" and P.is_placeholder(clip)


def test_refusals_submit_nothing(env, tmp_path):
    project, _stack, service, _provider, _start = env
    with pytest.raises(InvalidInputError, match="limited to 7 s"):
        service.submit(req(duration=8.0))
    scene = project.scenes[0]
    with pytest.raises(InvalidEditError, match="video track"):
        service.submit(req(), track=scene.tracks[1])
    with pytest.raises(InvalidEditError, match="No track named"):
        service.submit(req(), track="V9")
    unsaved = GenerationService(Project(), service.queue, service.store)
    with pytest.raises(InvalidInputError, match="Save the project"):
        unsaved.submit(req())
    assert unsaved.jobs() == [] and unsaved.pending() == []
    fal = GenerationService(project, JobQueue(
        make_huey(Settings(provider="fal"), path=tmp_path / "q2.sqlite3"), service.store,
        None, Settings(provider="fal")), service.store)
    with pytest.raises(ProviderAuthError, match="FAL API key"):
        fal.submit(req())
    assert service.store.list() == []


def test_estimate_follows_provider_and_tier(env, tmp_path):
    _project, _stack, service, _provider, _start = env
    assert service.estimate(req()) == ("local-text-to-video", 0.0, ["local-text-to-video"])
    settings = Settings(provider="fal", fal_api_key="k")
    fal = GenerationService(service.project, JobQueue(
        make_huey(settings, path=tmp_path / "q3.sqlite3"), service.store, None, settings),
        service.store)
    model, cost, chain = fal.estimate(req(quality="high", duration=6.0))
    assert chain[0] == model and len(chain) > 1 and "local" not in " ".join(chain)
    assert cost > 0


def test_references_join_the_library_and_the_provenance(env, tmp_path, monkeypatch):
    project, stack, service, _provider, start = env
    hero = tmp_path / "hero.png"
    Image.new("RGB", (400, 300), (200, 30, 30)).save(hero)
    beach = tmp_path / "beach.png"
    Image.new("RGB", (640, 360), (30, 90, 200)).save(beach)
    stack.push(R.add_reference(project, beach, "location", "Beach"))
    monkeypatch.chdir(tmp_path)  # relative input paths are made absolute for the workers
    request = GenerationRequest("image-to-video", "The hero on the beach", duration=1.0,
                                seed=1, image=Path("beach.png"), character_ref=hero,
                                location_ref=beach)
    start()
    job, command = service.submit(request)
    assert job.request["image"] == str(beach)
    stack.push(command)  # one step: the new character reference and the placeholder
    assert stack.undo_text() == "Generate Clip"
    [character] = R.references(project, "character")
    assert character["name"] == "hero"
    wait_done(service, job.id)
    land(service, stack)
    [(clip, _)] = P.find_generation_clips(project)
    prov = S.get(clip.media_reference, "provenance")
    assert prov["character_reference"] == character["id"]
    assert prov["location_reference"] == R.references(project, "location")[0]["id"]
    assert prov["inputs"]["image"]["sha256"] == P.file_sha256(beach)
    assert isinstance(clip.media_reference, otio.schema.ExternalReference)


def test_a_full_scene_refuses_before_a_job_is_made(env):
    project, stack, service, _provider, _start = env
    scene = project.scenes[0]
    S.ns(scene)["max_clips"] = 1
    job, command = service.submit(req())
    stack.push(command)
    with pytest.raises(ClipLimitError, match="at most 1 video clips"):
        service.submit(req("Another shot"))
    assert [j.id for j in service.jobs()] == [job.id]
    with pytest.raises(ClipLimitError):  # a placeholder never replaces a clip: it adds one
        service.submit(req("Over the first"), at=0)
    assert [j.id for j in service.jobs()] == [job.id]
