"""Queue logic with scripted providers: retries, fallbacks, timeouts, cancel, limits, recovery.

Every test runs the real JobQueue, JobStore, SqliteHuey and an embedded Huey consumer; only
the provider is a test double (``fakes.py``).
"""

from __future__ import annotations

import time

import pytest
from fakes import ScriptedProvider, fake_registry
from job_waits import wait_done, wait_for

from aladdin_studio.generation.errors import (
    ContentPolicyError,
    InvalidInputError,
    ModelUnavailableError,
    RateLimitError,
)
from aladdin_studio.generation.job_kind import GenerationLimitError, Placement
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import RetryRefused


def request(prompt: str = "a red fox runs through snow", quality: str = "high",
            **kw) -> GenerationRequest:
    return GenerationRequest(method="text-to-video", prompt=prompt, duration=5.0,
                             quality=quality, **kw)


@pytest.fixture
def fake_queue(make_queue, settings):
    settings.provider = "fal"

    def make(provider, **options):
        return make_queue(provider, registry=fake_registry(), **options)

    return make


def test_submit_stores_the_job_and_runs_it(fake_queue, project):
    provider = ScriptedProvider(steps=3)
    queue = fake_queue(provider)
    job = queue.submit(request(), project, Placement("Scene 1", "V1", 2.0))
    assert job.status in ("queued", "submitted", "running", "succeeded")
    assert (job.scene, job.track, job.at) == ("Scene 1", "V1", 2.0)
    assert job.chain == ["m-high", "m-standard", "m-draft"]
    assert job.est_cost == pytest.approx(1.0)  # 0.2 $/s x 5 s
    done = wait_done(queue.store, job.id)
    assert done.status == "succeeded", done.error_message
    assert done.progress == 1.0 and done.actual_cost == pytest.approx(1.0)
    assert done.remote_id and done.submitted_at and done.finished_at
    assert done.output_path.startswith(str(project / "media"))
    assert provider.calls["submit"] == 1 and provider.calls["fetch"] == 1
    assert queue.store.spend() == (pytest.approx(1.0), pytest.approx(1.0))


def test_rate_limit_backs_off_and_requeues_without_counting_attempts(fake_queue, project):
    provider = ScriptedProvider(errors={"submit": [RateLimitError("429"),
                                                   RateLimitError("429", retry_after=0.2)]})
    queue = fake_queue(provider, backoff_base=0.05)
    t0 = time.monotonic()
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "succeeded", job.error_message
    assert provider.calls["submit"] == 3
    assert job.rate_limited == 2 and job.attempts == 0
    assert provider.submitted == ["m-high"] * 3  # a rate limit never changes the model
    assert time.monotonic() - t0 >= 0.05 + 0.2  # backoff, then retry_after (longer)


def test_rate_limit_gives_up_after_max_requeues(fake_queue, project):
    provider = ScriptedProvider(errors={"submit": [RateLimitError("queue full")] * 3})
    queue = fake_queue(provider, max_rate_limited=2)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "failed" and job.error_kind == "RateLimitError"
    assert "still rate limited after 2 retries" in job.error_message
    assert provider.calls["submit"] == 3


def test_model_unavailable_moves_to_the_fallback_model(fake_queue, project):
    provider = ScriptedProvider(fail_models={"m-high": ModelUnavailableError("HTTP 503")})
    queue = fake_queue(provider)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "succeeded", job.error_message
    assert provider.submitted == ["m-high", "m-standard"]
    assert job.model == "m-standard" and job.attempts == 1
    assert job.actual_cost == pytest.approx(0.5)  # the fallback's price
    assert job.error_kind is None


def test_content_policy_fails_at_once_with_the_reason(fake_queue, project):
    reason = "FAL refused the request on content-policy grounds: weapons"
    provider = ScriptedProvider(errors={"submit": [ContentPolicyError(reason)]})
    queue = fake_queue(provider)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "failed"
    assert job.error_kind == "ContentPolicyError" and job.error_message == reason
    assert job.attempts == 0 and provider.calls["submit"] == 1


def test_timeout_retries_at_a_lower_tier(fake_queue, project):
    # steps=0: the fallback completes at its first poll, before any deadline check (with 2
    # polls it had to finish within the 0.3 s timeout too, which a loaded machine can miss)
    provider = ScriptedProvider(steps=0, hang_models=("m-high",))
    queue = fake_queue(provider, timeout_s=0.3)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "succeeded", job.error_message
    assert provider.submitted == ["m-high", "m-standard"]
    assert job.model == "m-standard" and job.attempts == 1
    assert len(provider.cancelled) == 1  # the timed-out request was cancelled


def test_poll_errors_reattach_and_fail_after_three_attempts(fake_queue, project):
    provider = ScriptedProvider(errors={"status": [ConnectionError("network down")] * 5})
    queue = fake_queue(provider)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "failed" and job.attempts == 3
    assert "gave up after 3 attempts" in job.error_message
    assert provider.calls["submit"] == 1  # every retry re-attached to the same request
    assert provider.calls["status"] == 3


def sentinel(queue, project) -> None:
    """Run a job submitted now to its end. With one worker the queue is FIFO, so every task
    queued or running before it has returned by then."""
    job = wait_done(queue.store, queue.submit(request("sentinel", quality="standard"),
                                              project).id)
    assert job.status == "succeeded", job.error_message


def test_cancel_running_job_calls_provider_cancel(fake_queue, project, start_consumer):
    provider = ScriptedProvider(hang_models=("m-high",))
    queue = fake_queue(provider, start=False)
    start_consumer(queue, workers=1)
    job = queue.submit(request(), project)
    rid = wait_for(lambda: queue.get(job.id).remote_id)
    cancelled = queue.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at
    assert provider.cancelled == [rid]
    polls = provider.polls[rid]
    sentinel(queue, project)  # the cancelled job's task has returned
    assert provider.polls[rid] <= polls + 1  # it stopped polling (at most one poll in flight)
    assert queue.get(job.id).status == "cancelled"
    assert queue.cancel(job.id).status == "cancelled"  # idempotent
    assert provider.cancelled == [rid]


def test_cancel_queued_job_never_submits(fake_queue, project, start_consumer):
    provider = ScriptedProvider()
    queue = fake_queue(provider, start=False)
    job = queue.submit(request(), project)
    assert queue.cancel(job.id).status == "cancelled"
    start_consumer(queue, workers=1)
    sentinel(queue, project)  # queued after the cancelled job's task: that one was dropped
    assert provider.submitted == ["m-standard"] and provider.cancelled == []
    assert queue.get(job.id).remote_id is None


def test_retry_runs_a_failed_job_again(fake_queue, project):
    provider = ScriptedProvider(errors={"submit": [ContentPolicyError("no")]})
    queue = fake_queue(provider)
    job = wait_done(queue.store, queue.submit(request(), project).id)
    assert job.status == "failed"
    queue.retry(job.id)
    job = wait_done(queue.store, job.id)
    assert job.status == "succeeded" and job.error_kind is None
    with pytest.raises(RetryRefused, match="only failed or cancelled"):
        queue.retry(job.id)


def test_hourly_limit_refuses_with_a_clear_message(fake_queue, project, settings):
    settings.max_generations_per_hour = 3
    queue = fake_queue(ScriptedProvider(), start=False)
    for i in range(3):
        queue.submit(request(f"shot {i}"), project)
    with pytest.raises(GenerationLimitError) as err:
        queue.submit(request("shot 4"), project)
    message = str(err.value)
    assert "at most 3 generations per hour" in message
    assert "max_generations_per_hour" in message and "60 min" in message
    assert queue.store.count_started_since(time.time() - 3600) == 3


def test_invalid_request_is_refused_before_storing(fake_queue, project):
    queue = fake_queue(ScriptedProvider(), start=False)
    with pytest.raises(InvalidInputError, match="limited to 7 s"):
        queue.submit(GenerationRequest("text-to-video", "a fox", duration=20.0), project)
    assert queue.store.list() == []


def test_recover_reattaches_a_job_whose_consumer_died(fake_queue, project, start_consumer):
    provider = ScriptedProvider()
    queue = fake_queue(provider, start=False)
    job = queue.submit(request(), project)
    rid = provider.submit(None, queue.registry.get("m-high"))  # "submitted" by a dead process
    queue.huey.flush()  # ... whose task message died with it
    queue.store.update(job.id, remote_id=rid, status="submitted", submitted_at=time.time(),
                       worker="nohost:1:1", heartbeat=time.time() - 3600)
    start_consumer(queue)  # recovers at start
    job = wait_done(queue.store, job.id)
    assert job.status == "succeeded" and job.remote_id == rid
    assert provider.calls["submit"] == 1  # only the "dead" one


def test_consumer_shutdown_hands_running_jobs_back(fake_queue, project, start_consumer):
    provider = ScriptedProvider(hang_models=("m-high",))
    queue = fake_queue(provider, start=False)
    consumer = start_consumer(queue)
    job = queue.submit(request(), project)
    rid = wait_for(lambda: queue.get(job.id).remote_id)
    # the generation never finishes (its timeout is 300 s): closing at all proves the
    # running job was handed back instead of waited for
    assert consumer.close(30)
    handed_back = queue.get(job.id)
    assert handed_back.status == "submitted" and handed_back.worker is None
    assert handed_back.remote_id == rid and handed_back.attempts == 0
    provider.hang_models = ()
    start_consumer(queue)
    job = wait_done(queue.store, job.id)
    assert job.status == "succeeded" and provider.calls["submit"] == 1


def test_immediate_mode_runs_inside_submit(settings, project, tmp_path):
    from aladdin_studio.jobs import JobQueue, JobStore, make_huey

    settings.provider = "fal"
    provider = ScriptedProvider(errors={"submit": [RateLimitError("429")]})
    queue = JobQueue(make_huey(settings, immediate=True), JobStore(tmp_path / "j.sqlite3"),
                     lambda name: provider, settings, registry=fake_registry(),
                     backoff_base=0.01, poll_interval=0.01)
    job = queue.submit(request(), project)
    assert job.status == "succeeded" and job.rate_limited == 1
