"""Job events for WebSocket clients, pushed as the ledger changes (the client never polls).

One :class:`JobWatcher` thread per API app watches the whole ledger cheaply: every
``interval`` seconds it asks SQLite for ``PRAGMA data_version`` on its own connection (a
counter that moves when any other connection, in any process, commits). Only when it moved
does it read the jobs updated since its last look, compare them with what it last saw, and
hand each change to the subscribers of that job or project (asyncio queues, filled through
``loop.call_soon_threadsafe``) and to the ``on_finished`` hooks (landing results, webhooks).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jobs.store import TERMINAL, Job, JobStore

__all__ = ["JobWatcher", "Subscription", "event_name"]

log = logging.getLogger(__name__)

LOOKBACK_S = 2.0  # commits may land slightly out of updated_at order (other processes)
FORGET_AFTER_S = 120.0


def event_name(old: tuple | None, job: Job) -> str | None:
    """What changed between the last seen state ``(status, progress, message)`` and ``job``:
    "complete"/"failed" on finishing, "step" on a status or message change, "progress"."""
    now = (job.status, round(job.progress, 4), job.message)
    if old == now:
        return None
    if job.status in TERMINAL and (old is None or old[0] != job.status):
        return "complete" if job.status == "succeeded" else "failed"
    if old is None or old[0] != job.status or old[2] != job.message:
        return "step"
    return "progress"


@dataclass(eq=False)
class Subscription:
    project: str  # ledger key of the project
    job_id: str | None  # None: every job of the project
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class JobWatcher:
    """Watches the ledger at ``store.path``; ``view(job)`` builds each event's job JSON."""

    def __init__(self, store: JobStore, view: Callable[[Job], dict[str, Any]], *,
                 interval: float = 0.02) -> None:
        self.store = store
        self.view = view
        self.interval = interval
        self.on_finished: list[Callable[[Job], None]] = []
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[tuple, float]] = {}  # id -> (state, when seen)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._since = time.time() - LOOKBACK_S
        # Moves whenever the ledger changed (seen within ``interval``): answers cached by
        # the version they were built at are current while it stays the same.
        self.version = 0

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, project: str, job_id: str | None,
                  loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(project, job_id, loop)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    # ------------------------------------------------------------------ the thread

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="api-job-watcher",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(Path(self.store.path), timeout=5.0, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        return conn

    def _run(self) -> None:
        conn = self._connect()
        version = None
        try:
            while not self._stop.is_set():
                try:
                    now_version = conn.execute("PRAGMA data_version").fetchone()[0]
                    if now_version != version:
                        version = now_version
                        self.version += 1
                        self.scan(conn)
                except Exception:  # a bad moment of the ledger must not end the watcher
                    log.exception("job watcher: reading the ledger failed")
                self._stop.wait(self.interval)
        finally:
            conn.close()

    def scan(self, conn: sqlite3.Connection) -> int:
        """Dispatch the changes since the last scan; returns how many jobs changed."""
        started = time.time()
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM jobs WHERE updated_at >= ? ORDER BY updated_at",
            (self._since - LOOKBACK_S,))]
        changed = 0
        for job_id in ids:
            try:
                job = self.store.get(job_id)
            except KeyError:
                continue
            state = (job.status, round(job.progress, 4), job.message)
            old = self._seen.get(job_id)
            name = event_name(old[0] if old else None, job)
            self._seen[job_id] = (state, started)
            if name is None:
                continue
            if old is None and job.status in TERMINAL and job.finished_at is not None \
                    and job.finished_at < self._since - LOOKBACK_S:
                continue  # finished before we started watching: nothing new to say
            changed += 1
            self._dispatch(name, job)
        self._since = started
        cutoff = started - FORGET_AFTER_S
        for job_id in [k for k, (state, seen) in self._seen.items()
                       if state[0] in TERMINAL and seen < cutoff]:
            del self._seen[job_id]
        return changed

    def _dispatch(self, name: str, job: Job) -> None:
        with self._lock:
            subs = [s for s in self._subs if s.project == job.project
                    and (s.job_id is None or s.job_id == job.id)]
        if subs:
            event = {"event": name, "jobId": job.id, "job": self.view(job),
                     "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")}
            for sub in subs:
                try:
                    sub.loop.call_soon_threadsafe(sub.queue.put_nowait, event)
                except RuntimeError:  # its loop is closed: the client is gone
                    self.unsubscribe(sub)
        if name in ("complete", "failed"):
            for hook in list(self.on_finished):
                try:
                    hook(job)
                except Exception:
                    log.exception("job watcher: finish hook failed for job %s", job.id)
