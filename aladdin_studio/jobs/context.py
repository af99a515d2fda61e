"""What a kind's runner gets besides its job: ledger writes that respect cancel and claims,
progress, requeue and finish, the queue's settings and shared resources."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .kinds import JobKind, JobStopped
from .store import ACTIVE, Job

if TYPE_CHECKING:
    import threading

    from aladdin_studio.config import Settings

    from .queue import JobQueue

__all__ = ["JobContext", "media_dir"]


def media_dir(project: str | Path) -> Path:
    """``<project bundle>/media/`` (created if missing)."""
    from aladdin_studio.timeline.document import ProjectLocation

    path = ProjectLocation.for_path(project).media_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


class JobContext:
    """One claimed run of ``job`` by consumer ``worker`` (a ``lease.worker_id()``)."""

    def __init__(self, queue: JobQueue, job: Job, worker: str, kind: JobKind) -> None:
        self.queue = queue
        self.store = queue.store
        self.job = job
        self.worker = worker
        self.kind = kind

    @property
    def settings(self) -> Settings:
        return self.queue.settings

    @property
    def stopping(self) -> threading.Event:
        """Set when the consumer shuts down: hand the job back with ``requeue(0)``."""
        return self.queue.stopping

    def resource(self, name: str) -> Any:
        return self.queue.resource(name)

    def media_dir(self) -> Path:
        return media_dir(self.job.project)

    # --- ledger writes ----------------------------------------------------------------

    def set(self, **values: Any) -> None:
        """Write to the job while it is active and ours; otherwise raise JobStopped."""
        if not self.store.transition(self.job.id, ACTIVE, when_worker=self.worker,
                                     heartbeat=time.time(), **values):
            raise JobStopped
        for name, value in values.items():
            setattr(self.job, name, value)

    def progress(self, fraction: float, message: str | None = None, **values: Any) -> None:
        """Report progress (0..1, never going back); raises JobStopped once cancelled."""
        values["progress"] = max(self.job.progress, min(max(fraction, 0.0), 1.0))
        if message is not None:
            values["message"] = message
        self.set(**values)

    def finish(self, status: str, **values: Any) -> None:
        """Write the final state (and send the webhook unless cancelled)."""
        self.set(status=status, finished_at=time.time(), **values)
        if status != "cancelled":
            self.queue.notify(self.job.id)

    def fail(self, kind: str, reason: str, **values: Any) -> None:
        self.finish("failed", error_kind=kind, error_message=reason, message=reason, **values)

    def park(self, delay: float, **values: Any) -> NoReturn:
        """Hand the worker back while this job waits for other jobs (its children): the job
        stays ``running`` and its run starts again after ``delay`` s, a continuation that
        finds its state in the ledger. Raises JobStopped (also once cancelled)."""
        self.set(worker=None, task_id=None, **values)
        self.queue.enqueue(self.job.id, delay)
        raise JobStopped

    def requeue(self, delay: float, **values: Any) -> None:
        """Release the job and enqueue it again after ``delay`` s (does not raise)."""
        remote = values.get("remote_id", self.job.remote_id)
        self.set(worker=None, task_id=None, status="submitted" if remote else "queued",
                 **values)
        self.queue.enqueue(self.job.id, delay)
