"""Webhooks against a local HTTP server: job JSON on completion and failure, retries on 5xx,
no secrets in the body, never in the way of the job's result."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fakes import ScriptedProvider, fake_registry
from job_waits import wait_done, wait_for

from aladdin_studio.generation.errors import ContentPolicyError
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import Webhook

SECRET = "fal-secret-key-0123456789"


class Hook:
    """A local endpoint answering with the queued status codes (then 200)."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append(json.loads(body))
                hook.headers.append(dict(self.headers))
                code = hook.codes.pop(0) if hook.codes else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.server.shutdown()
    h.server.server_close()


@pytest.fixture
def hooked_queue(make_queue, settings, hook):
    settings.provider = "fal"
    settings.fal_api_key = SECRET
    settings.webhook_url = hook.url

    def make(provider):
        queue = make_queue(provider, registry=fake_registry())
        queue.webhook.backoff = 0.01
        return queue

    return make


def req(prompt: str) -> GenerationRequest:
    return GenerationRequest("text-to-video", prompt, duration=5.0)


def test_posts_the_finished_job_and_retries_on_500(hooked_queue, hook, project):
    hook.codes = [500]
    queue = hooked_queue(ScriptedProvider())
    job = wait_done(queue.store, queue.submit(req(f"a fox {SECRET}"), project).id)
    assert job.status == "succeeded"
    wait_for(lambda: len(hook.posts) == 2)
    assert hook.posts[0]["jobId"] == hook.posts[1]["jobId"]
    body = hook.posts[1]
    assert body["jobId"] == job.id and body["status"] == "complete"
    assert body["job"]["output_path"] == job.output_path and body["job"]["progress"] == 1.0
    assert "worker" not in body["job"]
    assert SECRET not in json.dumps(body)  # masked, even inside the prompt
    assert hook.headers[1]["X-Aladdin-Event"] == "video-job-status"


def test_posts_failures_with_the_reason(hooked_queue, hook, project):
    queue = hooked_queue(ScriptedProvider(errors={"submit": [ContentPolicyError("weapons")]}))
    job = wait_done(queue.store, queue.submit(req("a fox"), project).id)
    wait_for(lambda: hook.posts)
    assert hook.posts[0]["status"] == "failed" and hook.posts[0]["error"] == "weapons"
    assert job.error_message == "weapons"


def test_send_gives_up_after_three_attempts(hook):
    hook.codes = [503, 502, 500, 500]
    from aladdin_studio.jobs.store import Job

    job = Job(id="j1", project="p", payload={}, provider="local", chain=["a"], model="a",
              status="failed")
    assert Webhook(hook.url, backoff=0.01).send(job) is False
    assert len(hook.posts) == 3
    hook.codes = [404]
    assert Webhook(hook.url, backoff=0.01).send(job) is False  # 4xx: no retry
    assert len(hook.posts) == 4


def test_unreachable_endpoint_does_not_block_the_job(make_queue, settings, project):
    settings.provider = "fal"
    settings.webhook_url = "http://127.0.0.1:9/nothing-listens-here"
    queue = make_queue(ScriptedProvider(), registry=fake_registry())
    queue.webhook.backoff = 0.01
    job = wait_done(queue.store, queue.submit(req("a fox"), project).id)
    assert job.status == "succeeded"
    assert queue.webhook.wait(5)
