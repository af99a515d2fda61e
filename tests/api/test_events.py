"""Job events over a real WebSocket (websockets client): a generate job followed from
queued to complete as it happens, a project's stream of all its jobs, and the token."""

from __future__ import annotations

import json

import pytest
from api_helpers import TOKEN, generate_body
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from aladdin_studio.jobs import EmbeddedConsumer


def _events(ws, until, timeout=90.0):
    events = []
    while True:
        event = json.loads(ws.recv(timeout=timeout))
        events.append(event)
        if until(event):
            return events


def test_a_generate_job_is_followed_from_queued_to_complete(start_api, new_project):
    api = start_api(consumer=False)  # the consumer starts once the client listens
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body()).json()["jobId"]
    url = f"{api.ws_url}/api/v1/projects/{pid}/jobs/{job_id}/events"
    with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["event"] == "snapshot" and snapshot["job"]["status"] == "queued"
        consumer = EmbeddedConsumer(api.backend.queue.huey, 1, queue=api.backend.queue,
                                    tick=0.05)
        consumer.start()
        try:
            events = _events(ws, lambda e: e["event"] in ("complete", "failed"))
        finally:
            consumer.close(10)
    names = [e["event"] for e in events]
    assert names[-1] == "complete", events[-1]
    assert "step" in names and "progress" in names
    statuses = [e["job"]["status"] for e in events]
    assert "processing" in statuses and statuses[-1] == "complete"
    progress = [e["job"]["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(set(progress)) >= 3
    assert events[-1]["job"]["result"]["videoId"] == job_id
    assert all(e["jobId"] == job_id for e in events)


def test_the_project_stream_carries_every_job_of_the_project(api, new_project):
    pid, other = new_project("A").id, new_project("B").id
    url = f"{api.ws_url}/api/v1/projects/{pid}/jobs/events?token={TOKEN}"
    with connect(url) as ws:
        ids = {api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                               json=generate_body(f"shot {i}")).json()["jobId"]
               for i in range(2)}
        foreign = api.client.post(f"/api/v1/projects/{other}/videos/generate",
                                  json=generate_body("elsewhere")).json()["jobId"]
        done: set[str] = set()
        seen: set[str] = set()
        while done != ids:
            event = json.loads(ws.recv(timeout=90))
            seen.add(event["jobId"])
            if event["event"] == "complete":
                done.add(event["jobId"])
    assert foreign not in seen and seen == ids


def test_websockets_need_the_token_and_a_known_job(api, new_project):
    pid = new_project().id
    base = f"{api.ws_url}/api/v1/projects/{pid}/jobs"
    for url, headers in ((f"{base}/events", {}),
                         (f"{base}/events?token=wrong", {}),
                         (f"{base}/abc/events", {"Authorization": "Bearer wrong"})):
        with pytest.raises(InvalidStatus) as refused, connect(url, additional_headers=headers):
            pass
        assert refused.value.response.status_code == 403
    with connect(f"{base}/0123456789abcdef/events?token={TOKEN}") as ws, \
            pytest.raises(Exception) as closed:
        ws.recv(timeout=5)
    assert getattr(closed.value, "rcvd", None) is not None
    assert closed.value.rcvd.code == 4404


def test_a_cancelled_job_ends_its_stream_as_failed(start_api, new_project):
    api = start_api(consumer=False)
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body("never made")).json()["jobId"]
    url = f"{api.ws_url}/api/v1/projects/{pid}/jobs/{job_id}/events?token={TOKEN}"
    with connect(url) as ws:
        assert json.loads(ws.recv(timeout=10))["job"]["status"] == "queued"
        r = api.client.post(f"/api/v1/projects/{pid}/videos/jobs/{job_id}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "failed"
        assert r.json()["error"] == "Cancelled"
        events = _events(ws, lambda e: e["event"] in ("complete", "failed"))
    assert events[-1]["event"] == "failed" and events[-1]["job"]["error"] == "Cancelled"
    again = api.client.post(f"/api/v1/projects/{pid}/videos/jobs/{job_id}/cancel")
    assert again.status_code == 409 and again.json()["kind"] == "conflict"
