"""The job ledger: rows, limits, cache lookups, claims across threads and processes; the
scene acceptance rule."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from aladdin_studio.jobs import JobStore, accept_partial
from aladdin_studio.jobs.store import Job, LimitExceeded


def new(store: JobStore, **kw) -> Job:
    kw.setdefault("project", "/p/P.aladdin")
    return store.create(request={"method": "text-to-video", "prompt": "x"}, provider="local",
                        chain=["a", "b"], **kw)


def test_create_get_update_roundtrip(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = new(store, scene="Scene 1", track="V1", at=1.5, est_cost=0.7)
    assert job.model == "a" and job.status == "queued" and job.progress == 0.0
    got = store.get(job.id)
    assert got == job
    updated = store.update(job.id, status="running", progress=0.4, info={"seed": 7},
                           take_applied=True)
    assert (updated.status, updated.progress, updated.info, updated.take_applied) == (
        "running", 0.4, {"seed": 7}, True)
    assert updated.updated_at >= job.updated_at
    with pytest.raises(ValueError, match="unknown job field"):
        store.update(job.id, colour="red")
    with pytest.raises(ValueError, match="unknown job status"):
        store.update(job.id, status="exploded")
    with pytest.raises(KeyError):
        store.get("missing")
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_list_spend_and_hourly_count(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    a = new(store, project="/p/A.aladdin", est_cost=1.0)
    b = new(store, project="/p/B.aladdin", est_cost=2.0)
    store.update(a.id, actual_cost=0.5)
    new(store, project="/p/A.aladdin", cached_from=a.id, status="succeeded")  # cache hit
    assert [j.id for j in store.list(limit=2)][1] == b.id  # newest first
    assert len(store.list(project="/p/A.aladdin")) == 2
    assert store.spend() == (3.0, 0.5)
    assert store.spend(since=time.time() + 1) == (0.0, 0.0)
    assert store.count_started_since(time.time() - 3600) == 2  # the cache hit is free
    with pytest.raises(LimitExceeded):
        new(store, limit=(2, time.time() - 3600))
    new(store, limit=(3, time.time() - 3600))


def test_find_cached_needs_the_output_file(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    out = tmp_path / "clip.mp4"
    job = new(store, cache_key="k1")
    assert store.find_cached("k1") is None  # not finished
    store.update(job.id, status="succeeded", output_path=str(out), finished_at=time.time())
    assert store.find_cached("k1") is None  # file missing
    out.write_bytes(b"x")
    assert store.find_cached("k1").id == job.id
    assert store.find_cached("k2") is None


def test_claim_is_a_compare_and_set(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = new(store)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        barrier.wait()
        results.append(store.claim(job.id, f"h:1:{i}", None))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["held"] * 7 + ["ok"]
    holder = store.get(job.id).worker
    assert store.claim(job.id, "h:2:2", holder) == "ok"  # take-over from a known holder
    other = new(store)
    assert store.claim(other.id, "h:3:3", None, max_claimed=1) == "busy"
    store.update(job.id, status="failed")
    assert store.claim(job.id, "h:4:4", "h:2:2") == "held"  # not active any more


def _create_many(path: str, n: int) -> None:
    store = JobStore(path)
    for _ in range(n):
        new(store)


def test_several_processes_write_one_ledger(tmp_path):
    path = str(tmp_path / "jobs.sqlite3")
    JobStore(path).close()
    ctx = multiprocessing.get_context("spawn")  # like real workers: no SQLite state inherited
    procs = [ctx.Process(target=_create_many, args=(path, 40)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert len(JobStore(Path(path)).list(limit=1000)) == 120


@pytest.mark.parametrize(("succeeded", "total", "accepted"),
                         [(10, 10, True), (8, 10, True), (7, 10, False), (4, 5, True),
                          (3, 5, False), (2, 3, False), (0, 0, False)])
def test_accept_partial_needs_80_percent(succeeded, total, accepted):
    jobs = [Job(id=str(i), project="p", request={}, provider="local", chain=["a"], model="a",
                status="succeeded" if i < succeeded else "failed") for i in range(total)]
    ok, failed = accept_partial(jobs)
    assert ok is accepted
    assert [j.id for j in failed] == [str(i) for i in range(succeeded, total)]


def test_accept_partial_does_not_count_running_clips_as_failed():
    jobs = [Job(id=str(i), project="p", request={}, provider="local", chain=["a"], model="a",
                status="succeeded" if i < 7 else "running") for i in range(10)]
    assert accept_partial(jobs) == (False, [])
