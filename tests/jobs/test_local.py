"""End to end with the real LocalProvider and model registry: an animatic MP4 lands in the
project's media folder, progress rises to 1.0, identical requests hit the cache."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from job_waits import wait_done

from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.timeline.probe import probe


class Counting:
    """Wraps a provider and counts submits."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.submits = 0

    def submit(self, request, model):
        self.submits += 1
        return self.inner.submit(request, model)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def local():
    from aladdin_studio.generation.providers.local import LocalProvider

    return Counting(LocalProvider())


def req(prompt: str = "a lantern in the desert at dusk") -> GenerationRequest:
    return GenerationRequest("text-to-video", prompt, duration=1.0, aspect="1:1", seed=3)


def test_local_job_writes_an_mp4_into_the_project_media(make_queue, local, project):
    queue = make_queue(local)
    job = queue.submit(req(), project)
    assert job.provider == "local" and job.chain == ["local-text-to-video"]
    assert job.est_cost == 0.0
    seen = []
    deadline = time.monotonic() + 60
    while not (current := queue.get(job.id)).done:
        assert time.monotonic() < deadline, f"job still {current.status}: {current.message}"
        seen.append(current.progress)
        time.sleep(0.005)
    assert current.status == "succeeded", current.error_message
    seen.append(current.progress)
    assert seen == sorted(seen) and seen[-1] == 1.0  # progress only rises, to 1.0
    out = Path(current.output_path)
    assert out.parent == project / "media" and out.suffix == ".mp4"
    info = probe(out)
    assert info.has_video and info.duration == pytest.approx(1.0, abs=0.1)
    assert current.actual_cost == 0.0 and local.submits == 1
    assert current.info["generation_s"] >= 0 and current.finished_at >= current.created_at


def test_identical_request_reuses_the_output_unless_new_take(make_queue, local, project):
    queue = make_queue(local)
    first = wait_done(queue.store, queue.submit(req(), project).id)
    assert first.status == "succeeded"

    again = queue.submit(req(), project)
    assert again.status == "succeeded" and again.cached_from == first.id
    assert again.output_path == first.output_path and again.progress == 1.0
    assert local.submits == 1  # no second provider call
    assert queue.store.count_started_since(0) == 1  # a cache hit is not a generation

    take = wait_done(queue.store, queue.submit(req(), project, new_take=True).id)
    assert take.status == "succeeded" and take.cached_from is None and take.new_take
    assert local.submits == 2
    assert take.output_path != first.output_path
    assert Path(first.output_path).is_file() and Path(take.output_path).is_file()

    other = queue.submit(req("a different prompt"), project)  # different key: generates
    assert other.cached_from is None
