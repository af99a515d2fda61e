"""An orchestrating job waiting for jobs it queued on the same queue (``ChildWait``): with
ONE worker it parks (hands the worker back, runs again later) instead of holding the worker
its children need; its children run once each; cancelling it while parked cancels them."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from job_waits import wait_for

from aladdin_studio.jobs import kinds
from aladdin_studio.jobs.children import ChildWait
from aladdin_studio.jobs.kinds import JobKind, JobStopped
from aladdin_studio.jobs.store import ACTIVE, Job


@dataclass(frozen=True)
class ParentPayload:
    children: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ParentPayload:
        return cls(**data)


@dataclass(frozen=True)
class ChildPayload:
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ChildPayload:
        return cls(**data)


class Family:
    """Registers a parent kind (queues N children, waits for them) and a child kind."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parent_runs: list[str] = []
        self.child_runs: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        monkeypatch.setitem(kinds._kinds, "test-parent", JobKind(
            name="test-parent", payload=ParentPayload, run=self.run_parent,
            children=lambda queue, job: list((job.info or {}).get("children") or [])))
        monkeypatch.setitem(kinds._kinds, "test-child", JobKind(
            name="test-child", payload=ChildPayload, run=self.run_child))

    def run_parent(self, job: Job, ctx: Any) -> dict[str, Any]:
        self.parent_runs.append(job.id)
        ids = list((job.info or {}).get("children") or [])
        if not ids:
            ids = [ctx.queue.submit(ChildPayload(i), job.project).id
                   for i in range(ParentPayload.from_dict(job.payload).children)]
            ctx.set(info={**(job.info or {}), "children": ids}, status="running")
        wait = ChildWait(ctx)
        while True:
            children = [ctx.store.get(i) for i in ids]
            if all(c.done for c in children):
                return {"message": f"{len(children)} children done"}
            wait.check(children)
            time.sleep(0.02)

    def run_child(self, job: Job, ctx: Any) -> dict[str, Any]:
        self.child_runs.append(job.payload["n"])
        ctx.set(status="running")
        self.gate.wait(60)
        return {}


@pytest.mark.parametrize("parents", [1, 2])
def test_as_many_workers_as_parents_run_them_and_their_children(make_queue, project,
                                                                monkeypatch, parents):
    """1 parent on 1 worker; 2 parents on 2 workers (each would hold one forever)."""
    from aladdin_studio.jobs import EmbeddedConsumer

    family = Family(monkeypatch)
    queue = make_queue(start=False)
    consumer = EmbeddedConsumer(queue.huey, parents, queue=queue, tick=0.05)
    consumer.start()
    try:
        ids = [queue.submit(ParentPayload(3), project).id for _ in range(parents)]

        def finished() -> list[Job] | None:
            jobs = [queue.get(i) for i in ids]
            return jobs if all(j.done for j in jobs) else None

        done = wait_for(finished, timeout=60)
    finally:
        assert consumer.close(10)
    assert [j.status for j in done] == ["succeeded"] * parents, [j.error_message for j in done]
    assert sorted(family.child_runs) == sorted([0, 1, 2] * parents)  # each child ran once
    assert set(family.parent_runs) == set(ids)
    assert len(family.parent_runs) > parents  # they parked and ran again
    assert all(queue.get(c).status == "succeeded" for j in done for c in j.info["children"])


def test_cancelling_a_parked_parent_cancels_its_children(make_queue, project, monkeypatch):
    from aladdin_studio.jobs import EmbeddedConsumer

    family = Family(monkeypatch)
    family.gate.clear()  # children start and wait
    queue = make_queue(start=False)
    consumer = EmbeddedConsumer(queue.huey, 1, queue=queue, tick=0.05)
    consumer.start()
    try:
        parent = queue.submit(ParentPayload(2), project)
        wait_for(lambda: (j := queue.get(parent.id)).worker is None
                 and len(j.info.get("children") or []) == 2
                 and any(queue.get(c).status == "running" for c in j.info["children"]),
                 timeout=60)  # parked, its worker running a child
        queue.cancel(parent.id)
        children = queue.get(parent.id).info["children"]
        assert [queue.get(c).status for c in children] == ["cancelled", "cancelled"]
    finally:
        family.gate.set()
        assert consumer.close(10)
    assert queue.get(parent.id).status == "cancelled"
    assert not [j for j in queue.store.list() if j.status in ACTIVE]


class _Ctx:
    """What ChildWait uses of a JobContext: ``stopping`` and ``park`` (recorded)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.parked: list[tuple[float, dict[str, Any]]] = []

    def park(self, delay: float, **values: Any) -> None:
        self.parked.append((delay, values))
        raise JobStopped


def _job(worker: str | None, status: str = "running") -> Job:
    return Job(id="j", kind="test-child", project="/p", payload={}, status=status,
               worker=worker)


def test_it_keeps_its_worker_while_every_child_has_one():
    ctx = _Ctx()
    wait = ChildWait(ctx, park_after=0.0, park_delay=0.5)  # type: ignore[arg-type]
    wait.check([_job("w1"), _job(None, "succeeded")])  # running elsewhere, or done
    assert ctx.parked == []
    with pytest.raises(JobStopped):
        wait.check([_job("w1"), _job(None, "queued")])  # one waits for a worker
    assert [d for d, _ in ctx.parked] == [0.5]
    assert "1 job(s) to get a worker" in ctx.parked[0][1]["message"]
    ctx.stopping.set()  # the consumer shuts down: handed back at once
    with pytest.raises(JobStopped):
        ChildWait(ctx, park_after=60.0).check([_job("w1")])  # type: ignore[arg-type]
    assert ctx.parked[-1][0] == 0.0
