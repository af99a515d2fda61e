"""A per-request webhook is subscribed before its job can run: the assemble, render and
publish routes queue the job held, subscribe, then release it. The subscription here is
made as late as it can be: it first waits for the job to end, unless the job is held (the
worst case of a job finishing before the route subscribes). Each job's webhook arrives."""

from __future__ import annotations

import json

import pytest
from api_helpers import generate_body, wait_for
from test_webhooks import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _job(api, pid, job_id):
    return api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}").json()


def test_jobs_that_end_before_the_route_returns_still_send_their_webhook(
        api, new_project, receiver, monkeypatch):
    hooks = api.app.state.webhooks
    subscribe = hooks.subscribe
    subscribed: list[tuple[str, bool]] = []

    def as_late_as_possible(job_id: str, url: str, project_id: str) -> None:
        job = wait_for(lambda: ((j := api.backend.store.get(job_id)).done
                                or j.info.get("held")) and j, 60, "the job to end or be held")
        subscribed.append((job_id, bool(job.info.get("held"))))
        subscribe(job_id, url, project_id)

    monkeypatch.setattr(hooks, "subscribe", as_late_as_possible)
    pid = new_project().id
    clip = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                           json=generate_body("a boat at sea")).json()["jobId"]
    wait_for(lambda: _job(api, pid, clip)["status"] == "complete", what="the clip")
    wait_for(lambda: not api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"][0][
        "tracks"][0]["clips"][0]["generation"]["placeholder"], what="the clip on the timeline")

    hook = {"webhookUrl": receiver.url}
    jobs = []
    for url, body in (
            (f"/api/v1/projects/{pid}/scenes/Scene%201/render", {"preset": "draft"}),
            (f"/api/v1/projects/{pid}/scenes/Scene%201/publish", {"destination": "local"}),
            (f"/api/v1/projects/{pid}/videos/assemble",
             {"sceneId": "Assembled", "preset": "draft",
              "clips": [{"clipId": clip, "sequence": 1}]})):
        r = api.client.post(url, json={**body, **hook})
        assert r.status_code == 202, r.text
        jobs.append(r.json()["jobId"])
        wait_for(lambda j=jobs[-1]: _job(api, pid, j)["status"] in ("complete", "failed"),
                 60, url)
    assert subscribed == [(j, True) for j in jobs]  # each one subscribed while held

    def delivered() -> set[str]:
        return {json.loads(body)["jobId"] for body, _ in receiver.deliveries}

    wait_for(lambda: delivered() >= set(jobs), 30, "the three webhooks")
    payloads = {json.loads(b)["jobId"]: json.loads(b) for b, _ in receiver.deliveries}
    assert [payloads[j]["status"] for j in jobs] == ["complete"] * 3
    assert len(receiver.deliveries) == 3  # once each
