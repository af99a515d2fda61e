"""The job queue driving the real fal_client through the FAL emulator: a consumer killed with
SIGKILL mid-generation, model fallback, and 429 storms — counted at the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fal_emulator import DEFAULT_KEY as FAL_KEY
from fal_emulator.server import progress, rate_limit
from waits import wait_for

from aladdin_studio.config import Settings
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

SCRIPT = Path(__file__).with_name("fal_consumer_proc.py")


@pytest.fixture
def project(tmp_path):
    from aladdin_studio.timeline.project_io import new_project

    path = tmp_path / "P.aladdin"
    new_project(path)
    return path


@pytest.fixture
def fal_queue(tmp_path, fal_emulator):
    settings = Settings(provider="fal", fal_api_key=FAL_KEY)
    queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                     JobStore(tmp_path / "jobs.sqlite3"), None, settings,
                     poll_interval=0.05, backoff_base=0.01)
    consumers: list[EmbeddedConsumer] = []

    def consume() -> EmbeddedConsumer:
        consumer = EmbeddedConsumer(queue.huey, 2, queue=queue, tick=0.05)
        consumer.start()
        consumers.append(consumer)
        return consumer

    queue.consume = consume
    yield queue
    for consumer in consumers:
        consumer.close(10)


def primary(method: str = "text-to-video", tier: str = "standard"):
    return load_registry().chain(method, tier, provider="fal")


def test_killed_consumer_reattaches_to_the_same_fal_request(tmp_path, project, fal_queue,
                                                            fal_emulator):
    model = primary()[0]
    fal_emulator.script(model.endpoint, [progress(queue=(2, 1), queue_seconds=1.0,
                                                  run_seconds=2.0)])
    job = fal_queue.submit(GenerationRequest("text-to-video", "a paper lantern drifting",
                                             duration=5.0), project)
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path / "queue.sqlite3"),
                             str(tmp_path / "jobs.sqlite3"), FAL_KEY], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        remote_id = wait_for(lambda: fal_queue.get(job.id).remote_id)
        assert len(fal_emulator.submits(model.endpoint)) == 1
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    fal_queue.consume()  # the restarted app/worker
    done = wait_for(lambda: (j := fal_queue.get(job.id)).done and j, timeout=30)
    assert done.status == "succeeded", done.error_message
    assert done.remote_id == remote_id
    assert len(fal_emulator.submits()) == 1  # exactly one submit: no double spend
    assert Path(done.output_path).is_file() and Path(done.output_path).parent.name == "media"
    assert done.actual_cost == pytest.approx(model.estimate_cost(5.0))


def test_unavailable_model_falls_back_to_the_next_in_the_chain(tmp_path, project, fal_queue,
                                                               fal_emulator):
    from PIL import Image

    image = tmp_path / "still.png"
    Image.new("RGB", (640, 360), (200, 120, 40)).save(image)
    request = GenerationRequest("image-to-video", "slow push in", image=image, motion="zoom")
    chain = load_registry().chain("image-to-video", "standard", provider="fal", request=request)
    assert chain[0].endpoint.split("/")[1] != chain[1].endpoint.split("/")[1]
    fal_emulator.mark_unknown(chain[0].endpoint)  # 404: the app is not served (any more)
    fal_queue.consume()
    job = fal_queue.submit(request, project)
    done = wait_for(lambda: (j := fal_queue.get(job.id)).done and j, timeout=30)
    assert done.status == "succeeded", done.error_message
    assert done.model == chain[1].id
    assert [r.path for r in fal_emulator.submits()] and \
        all(chain[1].endpoint in r.path for r in fal_emulator.submits())


def test_429_storm_backs_off_and_requeues_without_failing(project, fal_queue, fal_emulator):
    model = primary()[0]
    # More 429s than the client's own 10 tries: the job must requeue, then succeed.
    fal_emulator.script(model.endpoint, [rate_limit(times=14, retry_after=0)])
    fal_queue.consume()
    job = fal_queue.submit(GenerationRequest("text-to-video", "rain on a tin roof"), project)
    done = wait_for(lambda: (j := fal_queue.get(job.id)).done and j, timeout=60)
    assert done.status == "succeeded", done.error_message
    assert done.rate_limited >= 1 and done.attempts == 0
    assert len(fal_emulator.submits()) == 1
