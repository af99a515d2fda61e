"""The job ledger: rows, limits, cache lookups, claims across threads and processes; the
migration of ledgers written before job kinds."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from aladdin_studio.jobs import JobStore
from aladdin_studio.jobs.store import Job, LimitExceeded


def new(store: JobStore, **kw) -> Job:
    kw.setdefault("project", "/p/P.aladdin")
    return store.create(payload={"method": "text-to-video", "prompt": "x"}, provider="local",
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


def test_a_ledger_from_before_job_kinds_is_migrated_in_place(tmp_path):
    """A generation-only ledger (``request`` column, no ``kind``) opens with its jobs as
    generation jobs whose payload is the old request."""
    import json
    import sqlite3

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, project TEXT, request TEXT, "
                 "provider TEXT, chain TEXT, model TEXT, status TEXT, progress REAL, "
                 "est_cost REAL, actual_cost REAL, cached_from TEXT, created_at REAL, "
                 "updated_at REAL)")
    conn.execute("INSERT INTO jobs VALUES ('j1', '/p/P.aladdin', ?, 'local', '[\"a\"]', 'a', "
                 "'succeeded', 1.0, 0.4, 0.4, NULL, ?, ?)",
                 (json.dumps({"method": "text-to-video", "prompt": "fox"}), time.time(),
                  time.time()))
    conn.commit()
    conn.close()
    store = JobStore(path)
    job = store.get("j1")
    assert job.kind == "generation" and job.payload["prompt"] == "fox"
    assert job.request == job.payload and job.info == {} and job.take_applied is False
    assert store.spend(kind="generation") == (0.4, 0.4)
    export = store.create(kind="export", project="/p/P.aladdin", payload={"out": "/o.mp4"})
    assert [j.kind for j in store.list()] == ["export", "generation"]
    assert [j.id for j in store.list(kind="export")] == [export.id]
    assert store.count_started_since(0) == 1 and store.count_started_since(0, "export") == 1
    JobStore(path)  # opening a migrated ledger again changes nothing
    assert store.get("j1").payload["prompt"] == "fox"


def test_the_concurrency_limit_counts_jobs_of_the_same_kind(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    generation = new(store)
    export = store.create(kind="export", project="/p/P.aladdin", payload={})
    assert store.claim(generation.id, "h:1:1", None, max_claimed=1) == "ok"
    assert store.claim(export.id, "h:1:2", None, max_claimed=1) == "ok"  # another kind
    assert store.claim(new(store).id, "h:1:3", None, max_claimed=1) == "busy"


def test_kinds_are_found_by_name_and_payload_and_a_broken_module_is_skipped(monkeypatch):
    from aladdin_studio.generation.request import GenerationRequest
    from aladdin_studio.jobs import kinds

    assert kinds.get_kind("export").name == "export"
    request = GenerationRequest("text-to-video", "x")
    assert kinds.kind_for_payload(request).name == "generation"
    with pytest.raises(KeyError, match="unknown job kind 'nope'"):
        kinds.get_kind("nope")
    with pytest.raises(TypeError, match="no job kind takes a dict payload"):
        kinds.kind_for_payload({})
    monkeypatch.setitem(kinds.KIND_MODULES, "broken", "aladdin_studio.no_such_module")
    kinds.load_builtin_kinds()  # logs and goes on
    with pytest.raises(ModuleNotFoundError):
        kinds.get_kind("broken")
    with pytest.raises(ValueError, match="already registered"):
        kinds.register_kind(kinds.JobKind(name="export", payload=dict, run=lambda j, c: {}))
