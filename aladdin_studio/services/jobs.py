"""Jobs of one project for any front end: list, cancel, retry, and the spend (one
definition: ``JobStore.spend_summary``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aladdin_studio.jobs import ACTIVE, Job, JobQueue, JobStore
from aladdin_studio.jobs.store import Spend

__all__ = ["JobsService", "job_summary"]


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
