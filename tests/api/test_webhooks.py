"""Signed webhooks to a local receiver: a valid signature on completion, a tampered or
replayed delivery refused by the documented recipe, retries when the receiver fails twice
(attempts visible in the job's record), and failures announced too."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from api_helpers import generate_body, wait_for

from aladdin_studio.jobs import EmbeddedConsumer
from aladdin_studio.jobs.webhook import sign, verify_signature

DOC = Path(__file__).parents[2] / "docs" / "automation-api.md"


class Receiver:
    """An HTTP endpoint keeping each delivery's raw body and headers; answers with the
    queued status codes, then 200."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.deliveries: list[tuple[bytes, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((body, dict(self.headers)))
                self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def documented_verify():
    """The verification recipe exactly as docs/automation-api.md prints it."""
    code = re.search(r"```python\n(import hashlib.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (our own documentation)
    return namespace["verify"]


def _secret(memory_keyring) -> str:
    return memory_keyring.get_password("aladdin-studio", "ALADDIN_WEBHOOK_SECRET")


def _generate(api, pid, receiver, **parameters):
    body = {**generate_body(**parameters), "webhookUrl": receiver.url}
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate", json=body)
    assert r.status_code == 202, r.text
    return r.json()["jobId"]


def test_completion_is_delivered_signed_and_verifies(api, new_project, receiver,
                                                     memory_keyring, documented_verify):
    pid = new_project().id
    job_id = _generate(api, pid, receiver)
    wait_for(lambda: receiver.deliveries, what="the webhook")
    body, headers = receiver.deliveries[0]
    payload = json.loads(body)
    assert headers["X-Aladdin-Event"] == "video-job-status"
    assert payload["jobId"] == job_id and payload["status"] == "complete"
    assert payload["result"]["videoId"] == job_id and payload["timestamp"]
    assert payload["result"]["url"] == f"/api/v1/projects/{pid}/videos/{job_id}"
    secret = _secret(memory_keyring)
    assert secret
    stamp, signature = headers["X-Aladdin-Timestamp"], headers["X-Aladdin-Signature"]
    assert documented_verify(secret, body, stamp, signature)
    assert verify_signature(secret, body, stamp, signature)
    # tampered body, wrong secret, forged signature, replayed old delivery: all refused
    tampered = body.replace(b'"complete"', b'"failed"')
    assert not documented_verify(secret, tampered, stamp, signature)
    assert not verify_signature(secret, tampered, stamp, signature)
    assert not documented_verify("another-secret", body, stamp, signature)
    assert not verify_signature(secret, body, stamp, "sha256=" + "0" * 64)
    old = str(int(time.time()) - 3600)
    assert not documented_verify(secret, body, old, sign(secret, old, body))
    assert not verify_signature(secret, body, old, sign(secret, old, body))
    # one delivery, recorded in the job
    wait_for(lambda: api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}")
             .json()["webhook"], what="the attempt in the job record")
    status = api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}").json()
    assert status["webhook"]["delivered"] is True
    assert [a["status"] for a in status["webhook"]["attempts"]] == [200]
    assert len(receiver.deliveries) == 1


def test_retried_with_backoff_when_the_receiver_fails_twice(api, new_project, receiver,
                                                           memory_keyring):
    receiver.codes = [500, 503]
    pid = new_project().id
    job_id = _generate(api, pid, receiver)
    wait_for(lambda: len(receiver.deliveries) == 3, what="three attempts")

    def recorded():
        hook = api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}").json()["webhook"]
        return hook and hook.get("delivered") and hook
    hook = wait_for(recorded, what="the delivery in the job record")
    assert [a["status"] for a in hook["attempts"]] == [500, 503, 200]
    assert [a["attempt"] for a in hook["attempts"]] == [1, 2, 3]
    assert hook["url"] == receiver.url
    ids = {h["X-Aladdin-Delivery"] for _, h in receiver.deliveries}
    assert len(ids) == 1  # one delivery, retried
    secret = _secret(memory_keyring)
    for body, headers in receiver.deliveries:  # each attempt signed afresh
        assert verify_signature(secret, body, headers["X-Aladdin-Timestamp"],
                                headers["X-Aladdin-Signature"])
    assert api.app.state.webhooks.hook.wait(30)  # every delivery thread has ended ...
    assert len(receiver.deliveries) == 3  # ... after the 200: no fourth attempt


def test_failures_are_delivered_and_cancels_are_not(start_api, settings, new_project,
                                                     receiver, memory_keyring):
    """A provider refusing the prompt (the jobs tests' scripted FAL double) fails the job:
    the webhook says so with the reason; a job the user cancelled sends nothing."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))
    from fakes import ScriptedProvider, fake_registry

    from aladdin_studio.generation.errors import ContentPolicyError

    settings.provider, settings.fal_api_key = "fal", "fal-test-key-0123456789"
    provider = ScriptedProvider(errors={"submit": [ContentPolicyError("weapons")]})
    api = start_api(provider_factory=lambda name: provider, consumer=False,
                    queue_options={"registry": fake_registry(), "poll_interval": 0.02,
                                   "backoff_base": 0.01})
    pid = new_project().id
    cancelled = _generate(api, pid, receiver, seed=1)
    api.backend.queue.cancel(cancelled)
    failed = _generate(api, pid, receiver, seed=2)
    consumer = EmbeddedConsumer(api.backend.queue.huey, 1, queue=api.backend.queue, tick=0.05)
    consumer.start()
    try:
        wait_for(lambda: receiver.deliveries, what="the webhook")
    finally:
        consumer.close(10)
    payload = json.loads(receiver.deliveries[0][0])
    assert payload["jobId"] == failed and payload["status"] == "failed"
    assert payload["error"] == "weapons" and payload["result"] is None
    status = api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{failed}").json()
    assert status["status"] == "failed" and status["error"] == "weapons"
    # the job watcher has handled both subscriptions (the cancelled one sent nothing) and
    # every delivery thread has ended
    hooks = api.app.state.webhooks
    wait_for(lambda: not {cancelled, failed} & set(hooks._pending),  # noqa: SLF001
             what="both subscriptions handled")
    assert hooks.hook.wait(30)
    assert [json.loads(b)["jobId"] for b, _ in receiver.deliveries] == [failed]


def test_the_settings_webhook_is_signed_and_recorded_too(start_api, settings, new_project,
                                                        receiver, memory_keyring):
    """``webhook_url`` in the settings: every job's webhook is sent by the queue itself,
    through the same signed, recorded delivery."""
    settings.webhook_url = receiver.url
    api = start_api()
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body("a windmill")).json()["jobId"]
    wait_for(lambda: receiver.deliveries, what="the webhook")
    body, headers = receiver.deliveries[0]
    assert json.loads(body)["jobId"] == job_id
    assert verify_signature(_secret(memory_keyring), body, headers["X-Aladdin-Timestamp"],
                            headers["X-Aladdin-Signature"])
    hook = wait_for(lambda: api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}")
                    .json()["webhook"], what="the attempt in the job record")
    assert hook["url"] == receiver.url and hook["attempts"][0]["status"] == 200
