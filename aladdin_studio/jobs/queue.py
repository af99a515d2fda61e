"""The job queue: Huey carries "run job X" messages, the JobStore holds the truth.

Jobs of every kind go through the same queue (see ``kinds.py``): ``JobQueue.submit(payload,
project, ...)`` finds the kind by the payload's type, lets the kind validate it (``prepare``),
applies the kind's hourly limit, writes the job and enqueues ``run_job(job_id)``. The task
is idempotent: it claims the job in the store (within the kind's concurrency limit), hands it
to the kind's runner, and records the result, or retries with backoff. Huey's own retries and
result store are not used.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

from aladdin_studio.errors import AladdinError, ErrorKind

from . import lease
from .context import JobContext
from .kinds import JobKind, JobStopped, KindLimits, find_resource, get_kind, kind_for_payload
from .store import ACTIVE, TERMINAL, Job, JobStore, LimitExceeded
from .webhook import Webhook

if TYPE_CHECKING:
    from aladdin_studio.config import Settings

__all__ = ["JobQueue", "QueueUnavailable", "RetryRefused", "make_huey"]

log = logging.getLogger(__name__)

HUEY_NAME = "aladdin-studio"
HOUR = 3600.0
MB = 1024 * 1024


def make_huey(settings: Settings, *, path: str | Path | None = None,
              immediate: bool = False) -> Huey:
    """RedisHuey when ``settings.redis_url`` is set, else SqliteHuey in ``path`` (default
    ``<data dir>/queue.sqlite3``). Huey results are off: the JobStore is the truth."""
    if settings.redis_url and not immediate:
        return RedisHuey(HUEY_NAME, url=settings.redis_url, results=False)
    if path is None:
        from aladdin_studio import paths

        path = paths.data_dir() / "queue.sqlite3"
    return SqliteHuey(HUEY_NAME, filename=str(path), results=False, immediate=immediate)


class JobQueue:
    """Submits, cancels and retries jobs of every kind; registers the Huey tasks.

    ``backoff_base`` (s) starts the exponential backoff; ``poll_interval`` (s) spaces remote
    status calls; ``timeout_s`` (a remote generation's limit) defaults to
    ``settings.video_generation_timeout_ms``. ``providers_factory`` and ``registry`` preset
    the generation kind's shared resources "providers" and "models" (tests inject doubles);
    ``resources`` presets any other kind's.
    """

    def __init__(self, huey: Huey, store: JobStore, providers_factory: Any = None,
                 settings: Settings | None = None, *, registry: Any = None,
                 webhook: Webhook | None = None, backoff_base: float = 5.0,
                 poll_interval: float = 1.0, timeout_s: float | None = None,
                 max_attempts: int = 3, max_rate_limited: int = 5,
                 lease_s: float = 300.0, orphan_grace_s: float = 30.0,
                 resources: Mapping[str, Any] | None = None) -> None:
        if settings is None:
            from aladdin_studio.config import Settings

            settings = Settings()
        self.huey = huey
        self.store = store
        self.settings = settings
        self._resources: dict[str, Any] = dict(resources or {})
        if providers_factory is not None:
            self._resources["providers"] = providers_factory
        if registry is not None:
            self._resources["models"] = registry
        self._resource_lock = threading.RLock()
        if webhook is None and settings.webhook_url:
            webhook = Webhook(settings.webhook_url, secrets=settings.secrets(), store=store)
        self.webhook = webhook
        self.backoff_base = backoff_base
        self.poll_interval = poll_interval
        self.timeout_s = (settings.video_generation_timeout_ms / 1000.0
                          if timeout_s is None else timeout_s)
        self.max_attempts = max_attempts
        self.max_rate_limited = max_rate_limited
        self.lease_s = lease_s
        self.orphan_grace_s = orphan_grace_s
        # Set by consumers shutting down: running jobs hand themselves back to the queue.
        self.stopping = threading.Event()
        self.task = huey.task(name="run_job")(self.run_job)
        # Messages queued by versions before job kinds name this task.
        self.legacy_task = huey.task(name="run_generation")(self.run_job)
        self.recover_task = huey.periodic_task(crontab(), name="recover_jobs")(self.recover)

    # --- shared resources -------------------------------------------------------------

    def resource(self, name: str) -> Any:
        """A resource shared by this queue's runs (made once by the kind offering it)."""
        with self._resource_lock:
            if name not in self._resources:
                self._resources[name] = find_resource(name)(self)
            return self._resources[name]

    @property
    def registry(self) -> Any:
        """The generation model registry (the generation kind's "models" resource)."""
        return self.resource("models")

    def provider(self, name: str) -> Any:
        """The generation provider ``name`` ("fal" or "local")."""
        return self.resource("providers")(name)

    # --- submitting -------------------------------------------------------------------

    def submit(self, payload: Any, project: str | Path, *args: Any, hold: bool = False,
               **options: Any) -> Job:
        """Queue ``payload`` (any registered kind's payload) for ``project``.

        The kind's ``prepare`` validates it first (``args``/``options`` go to it: for a
        generation, the placement and ``new_take``). Raises the kind's errors, or its limit
        error when its hourly limit is reached.

        ``hold``: record the job but run nothing until :meth:`release` (the caller first
        saves the edit that expects the result) or :meth:`abandon` (that edit failed). A
        held job is never picked up by recovery.
        """
        kind = kind_for_payload(payload)
        columns = kind.prepare(self, payload, project, *args, **options) if kind.prepare \
            else {}
        if hold and columns.get("status", "queued") == "queued":
            columns["info"] = {**columns.get("info", {}), "held": True}
            columns.setdefault("message", "Waiting for the project to be saved")
            return self.add(kind, payload.to_dict(), project, enqueue=False, **columns)
        return self.add(kind, payload.to_dict(), project, **columns)

    def release(self, job_id: str) -> Job:
        """Run a held job now (see ``submit(hold=True)``); a job not held is left as is."""
        job = self.store.get(job_id)
        if not job.info.get("held"):
            return job
        info = {k: v for k, v in job.info.items() if k != "held"}
        if self.store.transition(job_id, ("queued",), info=info, message="Queued"):
            self.enqueue(job_id)
        return self.store.get(job_id)

    def abandon(self, job_id: str, reason: str) -> Job:
        """Give up a job before it ran (its edit could not be placed or saved): it is
        cancelled with ``error_kind`` "Abandoned", nothing is paid or re-run."""
        job = self.store.get(job_id)
        info = {k: v for k, v in job.info.items() if k != "held"}
        self.store.transition(job_id, ACTIVE, status="cancelled", finished_at=time.time(),
                              error_kind="Abandoned", error_message=reason,
                              message=f"Abandoned: {reason}", info=info)
        job = self.store.get(job_id)
        if job.task_id and job.status == "cancelled":
            try:
                self.huey.revoke_by_id(job.task_id, revoke_once=True)
            except Exception as exc:  # noqa: BLE001 - the ledger already says cancelled
                log.warning("job %s: cannot revoke its task: %s", job_id, exc)
        return job

    def add(self, kind: JobKind | str, payload: dict[str, Any], project: str | Path, *,
            enqueue: bool = True, **columns: Any) -> Job:
        """Write a job of ``kind`` and (when it is ``queued`` and ``enqueue``) queue it.

        A job created in another state is only recorded: a reused result (``succeeded``), or
        work run outside the consumers that should still appear in the ledger (an export in
        the editor's export process is created ``running`` and finished by its owner)."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        status = columns.get("status", "queued")
        limit = None
        per_hour = KindLimits.value(kind.limits.per_hour, self.settings)
        if per_hour is not None and status == "queued":
            limit = (int(per_hour), time.time() - HOUR)
        try:
            job = self.store.create(kind=kind.name, project=str(Path(project).absolute()),
                                    payload=payload, limit=limit, **columns)
        except LimitExceeded:
            assert limit is not None
            message = self._limit_message(kind, limit[0], limit[1])
            raise (kind.limit_error or LimitExceeded)(message) from None
        if status == "queued" and enqueue:
            self.enqueue(job.id)
        return self.store.get(job.id)

    def _limit_message(self, kind: JobKind, limit: int, since: float) -> str:
        first = self.store.first_started_since(since, kind.name)
        wait = ""
        if first is not None:
            minutes = max(1, math.ceil((first + HOUR - time.time()) / 60))
            wait = f" The next one can start in about {minutes} min."
        setting = kind.limits.per_hour
        where = f" (setting {setting})" if isinstance(setting, str) else ""
        noun = kind.title
        return (f"{noun[:1].upper()}{noun[1:]} limit reached: at most {limit} {noun}s per hour"
                f"{where}.{wait}")

    def enqueue(self, job_id: str, delay: float = 0.0) -> str:
        """Send ``run_job(job_id)`` to the consumers (after ``delay`` s); task id."""
        if self.huey.immediate and delay > 0:  # immediate mode has no scheduler
            time.sleep(delay)
            delay = 0.0
        task = self.task.s(job_id, delay=delay if delay > 0 else None)
        try:
            self.huey.enqueue(task)
        except Exception as exc:  # Redis down or unreachable (REDIS_URL)
            if self.huey.immediate:
                raise  # the job itself ran (and failed) inside enqueue
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise QueueUnavailable(f"The job queue cannot be reached ({reason}); check "
                                   "REDIS_URL or start Redis, then try again.") from None
        self.store.transition(job_id, None, task_id=task.id)
        return task.id

    # --- control ----------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: revoke its task, stop its remote work, mark it cancelled."""
        if self.store.transition(job_id, ACTIVE, status="cancelled", message="Cancelled",
                                 finished_at=time.time()):
            # Re-read after the transition: a remote id stored before it is ours to cancel;
            # one stored after it is cancelled by the task that submitted it.
            job = self.store.get(job_id)
            if job.task_id:
                self.huey.revoke_by_id(job.task_id, revoke_once=True)
            if job.remote_id:
                self.cancel_remote(job)
            self._cancel_children(job)
        return self.store.get(job_id)

    def _cancel_children(self, job: Job) -> None:
        """Cancel the active sub-jobs of an orchestrating job (running or parked)."""
        try:
            kind = get_kind(job.kind)
            children = kind.children(self, job) if kind.children is not None else []
        except Exception as exc:  # noqa: BLE001 - the job is cancelled either way
            log.warning("job %s: cannot list its sub-jobs: %s", job.id, exc)
            return
        for child in children:
            try:
                if child != job.id and self.store.get(child).status in ACTIVE:
                    self.cancel(child)
            except (KeyError, AladdinError) as exc:
                log.warning("job %s: cancelling sub-job %s failed: %s", job.id, child, exc)

    def cancel_remote(self, job: Job) -> None:
        """Ask the kind to drop ``job``'s remote work (best effort)."""
        try:
            kind = get_kind(job.kind)
            if kind.cancel is not None:
                kind.cancel(self, job)
        except Exception as exc:  # the job is cancelled either way
            log.warning("job %s: cancelling remote request %s failed: %s",
                        job.id, job.remote_id, exc)

    def retry(self, job_id: str) -> Job:
        """Run a failed or cancelled job again (from the first model of its chain)."""
        job = self.store.get(job_id)
        if job.status not in ("failed", "cancelled") or job.cached_from:
            raise RetryRefused(f"Job {job_id[:8]} is {job.status}; only failed or cancelled "
                               "jobs can be retried.")
        if not self.store.transition(
                job_id, ("failed", "cancelled"), status="queued", progress=0.0,
                message="Queued again", model=job.chain[0] if job.chain else job.model,
                remote_id=None, attempts=0, rate_limited=0, error_kind=None,
                error_message=None, finished_at=None, submitted_at=None, worker=None,
                task_id=None, actual_cost=None):
            raise RetryRefused(f"Job {job_id[:8]} changed while retrying it.")
        self.enqueue(job_id)
        return self.store.get(job_id)

    def interrupt(self) -> None:
        """Make running jobs hand themselves back to the queue (for a consumer shutdown);
        their remote requests are kept and re-attached by the next consumer."""
        self.stopping.set()

    def recover(self) -> list[str]:
        """Re-enqueue active jobs whose consumer died (kill -9, crash) or whose task message
        was lost; returns their ids. Consumers run this at start and every minute. Jobs run
        outside the consumers (``add(..., enqueue=False)`` while running) are left alone."""
        recovered = []
        for job in self.store.list(limit=10_000, status=ACTIVE):
            if job.info.get("held"):
                continue  # waiting for its submitter (see submit(hold=True))
            if job.worker is not None:
                if lease.holder_alive(job.worker, job.heartbeat, self.lease_s):
                    continue
                if job.info.get("external"):  # its owner process died: nothing to resume
                    self.store.transition(job.id, ACTIVE, when_worker=job.worker,
                                          status="failed", finished_at=time.time(),
                                          error_kind="Interrupted",
                                          error_message="The process running it ended.",
                                          message="Interrupted")
                    continue
            elif job.task_id is not None or time.time() - job.updated_at < self.orphan_grace_s:
                continue  # its task is queued or scheduled
            if self.store.transition(job.id, ACTIVE, when_worker=job.worker, worker=None,
                                     task_id=None):
                log.warning("job %s: consumer %s is gone; re-enqueueing (remote request %s)",
                            job.id, job.worker or "-", job.remote_id or "none yet")
                self.enqueue(job.id)
                recovered.append(job.id)
        return recovered

    # --- the task ---------------------------------------------------------------------

    def run_job(self, job_id: str) -> None:
        """Huey task: run (or re-attach to) one job. Safe to deliver more than once."""
        try:
            job = self.store.get(job_id)
        except KeyError:
            log.warning("job %s no longer exists", job_id)
            return
        if job.status in TERMINAL:
            return
        try:
            kind = get_kind(job.kind)
        except (KeyError, ImportError) as exc:
            log.error("job %s: %s", job_id, exc)
            self.store.transition(job_id, ACTIVE, status="failed", finished_at=time.time(),
                                  error_kind="UnknownKind", message="Unknown job kind",
                                  error_message=f"This version cannot run {job.kind} jobs.")
            return
        me = lease.worker_id()
        if job.worker is not None and job.worker != me and lease.holder_alive(
                job.worker, job.heartbeat, self.lease_s):
            return  # a live consumer is on it (duplicate delivery)
        concurrent = KindLimits.value(kind.limits.concurrent, self.settings)
        claim = self.store.claim(job_id, me, job.worker, max_claimed=concurrent)
        if claim == "busy":  # the kind's concurrency limit: try again shortly
            self.enqueue(job_id, delay=max(1.0, self.poll_interval))
            return
        if claim == "ok":
            self._execute(JobContext(self, self.store.get(job_id), me, kind))

    def _execute(self, ctx: JobContext) -> None:
        try:
            if self.stopping.is_set():  # dequeued while the consumer shuts down
                ctx.requeue(0.0)
                return
            try:
                result = ctx.kind.run(ctx.job, ctx)
            except JobStopped:
                return
            except Exception as exc:
                self._on_error(ctx, exc)
                return
            if result is not None:
                self._succeed(ctx, dict(result))
        except JobStopped:
            pass

    def _succeed(self, ctx: JobContext, result: dict[str, Any]) -> None:
        limit = KindLimits.value(ctx.kind.limits.max_output_mb, self.settings)
        out = result.get("output_path")
        if limit is not None and out and Path(out).is_file():
            size = Path(out).stat().st_size
            if size > limit * MB:
                Path(out).unlink(missing_ok=True)
                setting = ctx.kind.limits.max_output_mb
                where = f" (setting {setting})" if isinstance(setting, str) else ""
                ctx.finish("failed", actual_cost=result.get("actual_cost"),
                           error_kind="OutputTooLarge",
                           error_message=f"The result is {size / MB:.1f} MB; the limit is "
                                         f"{limit} MB{where}.",
                           message="Output too large")
                return
        result.setdefault("message", "Done")
        ctx.finish("succeeded", progress=1.0, error_kind=None, error_message=None, **result)

    def _on_error(self, ctx: JobContext, exc: Exception) -> None:
        """The generic policy for kinds that leave errors to the queue."""
        job = ctx.job
        kind = type(exc).__name__
        reason = str(exc) or kind
        if isinstance(exc, AladdinError):
            if exc.kind == ErrorKind.CANCELLED:
                ctx.finish("cancelled", message="Cancelled")
                return
            if not exc.retryable:
                ctx.fail(kind, reason)
                return
        else:
            log.exception("job %s: unexpected error", job.id)
        attempts = job.attempts + 1
        if attempts >= ctx.kind.limits.max_attempts:
            ctx.fail(kind, f"{reason} (gave up after {attempts} attempts)", attempts=attempts)
            return
        delay = self.backoff_base * 2 ** (attempts - 1)
        ctx.requeue(delay, attempts=attempts, error_kind=kind, error_message=reason,
                    message=f"{reason}; retrying in {delay:.0f} s")

    def notify(self, job_id: str) -> None:
        """Send the webhook for a finished job (in the background)."""
        if self.webhook is not None:
            self.webhook.notify(self.store.get(job_id))


class QueueUnavailable(AladdinError):
    """The queue (Redis) cannot take the job now."""

    kind = ErrorKind.UNAVAILABLE
    retryable = True


class RetryRefused(AladdinError):
    """Only a failed or cancelled job can be run again."""

    kind = ErrorKind.CONFLICT
