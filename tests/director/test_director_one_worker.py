"""One consumer thread (``max_concurrent_generations = 1``): the director's assemble job
queues its shots, lines and render on the same queue and waits for them. It must hand its
worker back while they wait for one (it parks and runs again later), not hold it forever."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aladdin_studio.config import Settings


def one_worker_settings() -> Settings:
    return Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500,
                    max_concurrent_generations=1)


BRIEF = """scene: One Worker
size: [320, 180]
shots:
  - {name: One, prompt: A quiet street, duration: 2, quality: draft}
  - {name: Two, prompt: A closed door, duration: 2, quality: draft}
dialogue:
  - {character: Ann, text: "Is anyone home?", shot: 1, offset: 0.2}
sfx:
  - {prompt: a door knock, at: 2.5, duration: 1}
"""


def test_a_brief_finishes_with_one_worker(director_project: Path, brief_copy: Path,
                                          director_queue: Any) -> None:
    from aladdin_studio.director.service import submit_brief

    brief = brief_copy.with_name("one-worker.yaml")
    brief.write_text(BRIEF)
    queue = director_queue(one_worker_settings(), workers=1)
    job = submit_brief(queue, director_project, brief, max_retries=0)
    messages: list[str] = []
    deadline = time.monotonic() + 300
    while not (job := queue.store.get(job.id)).done:
        assert time.monotonic() < deadline, f"assemble still {job.status}: {job.message}"
        if job.message and job.message not in messages:
            messages.append(job.message)
        time.sleep(0.05)
    assert job.status == "succeeded", job.error_message
    state = job.info["director"]
    assert Path(state["render"]).is_file()
    assert state["audio"]["failures"] == [] and state["audio"]["sfx"] == 1
    # each shot submitted once, however many times the director ran again after parking
    shots = [j for j in queue.store.list(limit=100, kind="generation")
             if (j.info or {}).get("director", {}).get("job") == job.id]
    assert sorted(j.info["director"]["shot"] for j in shots) == [1, 2]
    assert len(queue.store.list(limit=100, kind="voice")) == 2  # the line and the knock
    assert any("to get a worker" in m for m in messages), messages  # it did park
    # the step's time counts while it was parked (wall-clock from its start)
    generate = state["steps"]["generate"]
    assert generate["seconds"] >= max(j.finished_at for j in shots) - generate["began"] - 0.01


def test_cancelling_a_parked_director_cancels_its_shots(director_project: Path,
                                                        brief_copy: Path,
                                                        director_queue: Any) -> None:
    from aladdin_studio.director.service import submit_brief
    from aladdin_studio.generation.providers.base import Status
    from aladdin_studio.jobs.store import ACTIVE

    brief = brief_copy.with_name("one-worker.yaml")
    brief.write_text(BRIEF)
    queue = director_queue(one_worker_settings(), workers=1)
    local = queue.provider("local")
    local.status = lambda request_id, model: Status("IN_PROGRESS", progress=0.5)  # never ends
    job = submit_brief(queue, director_project, brief, max_retries=0)

    def shots() -> list[Any]:
        return [j for j in queue.store.list(limit=100, kind="generation")
                if (j.info or {}).get("director", {}).get("job") == job.id]

    deadline = time.monotonic() + 120
    while not (len(shots()) == 2 and queue.store.get(job.id).worker is None and
               any(j.status == "running" for j in shots())):
        assert time.monotonic() < deadline, "the director never handed its worker to a shot"
        time.sleep(0.05)
    queue.cancel(job.id)
    assert queue.store.get(job.id).status == "cancelled"
    assert [j.status for j in shots()] == ["cancelled", "cancelled"]
    assert not [j for j in queue.store.list(limit=100) if j.status in ACTIVE]
