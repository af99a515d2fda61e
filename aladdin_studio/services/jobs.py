"""Jobs of one project for any front end: list, cancel, retry, and the spend (one
definition: ``JobStore.spend_summary``); the queue a one-shot front end (a CLI command) opens,
and running its jobs in this process until they are done (``--wait``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aladdin_studio.jobs import ACTIVE, Job, JobQueue, JobStore
from aladdin_studio.jobs.store import Spend

__all__ = ["JobsService", "job_summary", "open_queue", "run_until_done"]


def open_queue(settings: Any, *, provider: str | None = None, **options: Any) -> JobQueue:
    """This machine's job ledger (data dir) and queue (SqliteHuey, or Redis with
    ``REDIS_URL``). ``provider`` overrides the generation provider setting; jobs of the local
    provider are polled more often (``options``: ``JobQueue``'s, e.g. ``poll_interval``)."""
    from aladdin_studio.generation.providers.factory import provider_name
    from aladdin_studio.jobs import make_huey

    if provider:
        settings.provider = provider
    options.setdefault("poll_interval", 0.25 if provider_name(settings) == "local" else 1.0)
    return JobQueue(make_huey(settings), JobStore(), None, settings, **options)


def run_until_done(queue: JobQueue, job_id: str, *, workers: int,
                   on_progress: Callable[[Job], Any] | None = None,
                   poll_s: float = 0.05) -> Job:
    """Run ``queue``'s jobs in this process (an embedded consumer with ``workers`` threads)
    until ``job_id`` is done; ``on_progress`` sees the job at each poll. A job already done
    is returned at once. (Ctrl+C stops the wait; the job stays in the ledger.)"""
    from aladdin_studio.jobs import EmbeddedConsumer

    job = queue.store.get(job_id)
    if job.done:
        return job
    with EmbeddedConsumer(queue.huey, workers, queue=queue, tick=0.25):
        while not (job := queue.store.get(job_id)).done:
            if on_progress is not None:
                on_progress(job)
            time.sleep(poll_s)
    return job


def job_summary(job: Job) -> dict[str, Any]:
    """A JSON-safe line about ``job`` (the CLI's ``jobs --json`` rows, the API's lists)."""
    created = dt.datetime.fromtimestamp(job.created_at).isoformat(timespec="seconds")
    payload = job.payload or {}
    return {"id": job.id, "kind": job.kind,
            "method": payload.get("method") or (job.kind if job.kind != "generation" else None),
            "model": job.model, "provider": job.provider, "status": job.status,
            "progress": round(job.progress, 3), "message": job.message,
            "est_cost": job.est_cost, "actual_cost": job.actual_cost, "created": created,
            "prompt": payload.get("prompt") or payload.get("label"), "output": job.output_path,
            "error": job.error_message, "cached_from": job.cached_from,
            "take_applied": job.take_applied}


class JobsService:
    """The ledger as one project sees it (``project``: its project file's path)."""

    def __init__(self, store: JobStore, queue: JobQueue | None = None) -> None:
        self.store = store
        self.queue = queue

    @staticmethod
    def key(project: str | Path) -> str:
        return str(Path(project).absolute())

    def list(self, project: str | Path, limit: int = 200, *,
             kind: str | None = None) -> list[Job]:
        """The project's jobs, newest first."""
        return self.store.list(project=self.key(project), limit=limit, kind=kind)

    def active(self, project: str | Path) -> list[Job]:
        return self.store.list(project=self.key(project), limit=10_000, status=ACTIVE)

    def spend(self, project: str | Path | None = None, since: float | None = None) -> Spend:
        """What the project's jobs (all projects' when None) cost since ``since``."""
        return self.store.spend_summary(
            since, project=self.key(project) if project is not None else None)

    def cancel(self, job_id: str) -> Job:
        return self._queue().cancel(job_id)

    def retry(self, job_id: str) -> Job:
        """Run a failed or cancelled job again; a generation's result lands when it
        succeeds (``take_applied`` is reset)."""
        self._queue().retry(job_id)
        return self.store.update(job_id, take_applied=False)

    def _queue(self) -> JobQueue:
        if self.queue is None:
            raise RuntimeError("this JobsService was made without a queue")
        return self.queue
