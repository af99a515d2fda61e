"""The hot job-status route: polls between two ledger changes reuse the whole answer (no
registry lookup, ledger read or JSON building per request), and a change is answered
within the watcher's interval, byte for byte what the declared FastAPI route says."""

from __future__ import annotations

import time

from api_helpers import wait_for


def test_polls_reuse_the_answer_until_the_ledger_changes(start_api, new_project, monkeypatch):
    from aladdin_studio import project_registry

    api = start_api(consumer=False)  # nothing but this test writes the ledger
    entry = new_project()
    watcher = api.app.state.watcher
    wait_for(lambda: watcher.version > 0, 10, "the watcher to start")
    seen = watcher.version
    job = api.backend.store.create(kind="generation", project=api.backend.key(entry),
                                   payload={"method": "text-to-video", "prompt": "x"},
                                   provider="local", status="running", progress=0.25,
                                   message="Generating")
    url = f"/api/v1/projects/{entry.id}/videos/jobs/{job.id}"
    wait_for(lambda: watcher.version != seen, 10, "the watcher to see the new job")
    # timed from before the first answer, whose reuse window starts later (timed after it,
    # a stall between the two could end the window within the 0.9 s below)
    started = time.monotonic()
    first = api.client.get(url)  # answered (and kept) after the last ledger change
    assert first.status_code == 200 and first.json()["progress"] == 0.25
    lookups = {"registry": 0, "ledger": 0}
    find, read = project_registry.find, api.backend.job

    def counted_find(project_id):
        lookups["registry"] += 1
        return find(project_id)

    def counted_job(found, job_id):
        lookups["ledger"] += 1
        return read(found, job_id)

    monkeypatch.setattr(project_registry, "find", counted_find)
    monkeypatch.setattr(api.backend, "job", counted_job)
    answers = set()
    for _ in range(30):
        answers.add(api.client.get(url).content)
    if time.monotonic() - started < 0.9:  # all inside one reuse window (1 s)
        assert lookups == {"registry": 0, "ledger": 0}, lookups
    windows = 1 + (time.monotonic() - started)  # one lookup per 1 s window at most
    assert lookups["ledger"] <= windows and lookups["registry"] <= windows, lookups
    assert answers == {first.content}

    api.backend.store.update(job.id, progress=0.5, message="Generating step 2")
    changed = wait_for(lambda: (r := api.client.get(url)).json()["progress"] == 0.5 and r,
                       10, "the new progress")
    assert changed.json()["message"] == "Generating step 2"
    assert lookups["ledger"] >= 1
    # the FastAPI route declared for OpenAPI gives the same answer (through the app)
    import asyncio

    from httpx import ASGITransport, AsyncClient

    async def declared():
        transport = ASGITransport(app=api.app.fastapi)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url)

    assert asyncio.run(declared()).json() == changed.json()
