"""One execution of the ``run_generation`` task for a claimed job.

Lifecycle: submit (the remote request id is stored the moment ``submit`` returns, before any
waiting) → poll ``status`` (progress and heartbeat into the store; cancel, shutdown and the
per-generation timeout are checked between polls) → ``fetch`` into the project's ``media/`` →
succeeded. A job that already has a remote request id is re-attached instead of submitted.

Retry and attempt accounting (``max_attempts`` = 3, ``max_rate_limited`` = 5):

* RateLimitError (429 / queue full) is not a failed attempt: nothing was accepted or billed.
  fal_client already retries 408/409/429 inside one call (10 tries, 0.1 s doubling to 30 s),
  so a RateLimitError reaching us means those were used up; we requeue with backoff
  ``backoff_base * 2**(n-1)`` (or ``retry_after`` if longer) up to 5 times, then fail.
* Every other retryable failure counts one attempt; the job fails when attempts reach
  ``max_attempts``. What is retried depends on where it failed:
  - submitting (ModelUnavailableError, GenerationTimeout), or our own per-generation timeout
    (``timeout_s`` from submit, the remote request is cancelled): the next model down the
    chain at once (lower tier / fallback); at the end of the chain the same model after the
    backoff ``backoff_base * 2**(attempts-1)``;
  - polling ``status`` (network errors, 5xx): the same remote request after the backoff,
    re-attached, so nothing is paid twice;
  - ``fetch``: the same remote request once more after the backoff (downloads are free to
    repeat); a second fetch failure of that request moves to the next model;
  - anything unexpected: the same model (and remote request, if any) after the backoff.
* ContentPolicyError, InvalidInputError, ProviderAuthError (non-retryable kinds) fail at once
  with the provider's reason.
* Re-attaching after a crash and handing a job back on shutdown never count.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aladdin_studio.generation.errors import (
    GenerationCancelled,
    GenerationError,
    GenerationTimeout,
    ModelUnavailableError,
    RateLimitError,
)

from .store import ACTIVE, Job

if TYPE_CHECKING:
    from aladdin_studio.generation.providers.base import Provider, Status
    from aladdin_studio.generation.registry import ModelEntry
    from aladdin_studio.generation.request import GenerationRequest

    from .queue import JobQueue

__all__ = ["JobRun", "media_dir"]

log = logging.getLogger(__name__)

MB = 1024 * 1024


class _Stop(Exception):
    """This run ends without touching the job further (cancelled, handed back, taken over)."""


def media_dir(project: str | Path) -> Path:
    """``<project bundle>/media/`` (created if missing)."""
    from aladdin_studio.timeline.document import ProjectLocation

    path = ProjectLocation.for_path(project).media_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


class JobRun:
    def __init__(self, queue: JobQueue, job: Job, worker: str) -> None:
        self.q = queue
        self.store = queue.store
        self.job = job
        self.me = worker
        self.phase = "submit"  # "submit" | "poll" | "deadline" | "fetch": where errors arise

    def execute(self) -> None:
        try:
            self._generate()
        except _Stop:
            pass
        except Exception as exc:
            if not isinstance(exc, GenerationError):
                log.exception("job %s: unexpected error", self.job.id)
            try:
                self._on_error(exc)
            except _Stop:
                pass

    # --- store helpers ----------------------------------------------------------------

    def _set(self, **values: Any) -> None:
        """Write to the job while it is active and ours; otherwise stop this run."""
        if not self.store.transition(self.job.id, ACTIVE, when_worker=self.me,
                                     heartbeat=time.time(), **values):
            raise _Stop
        for name, value in values.items():
            setattr(self.job, name, value)

    def _finish(self, status: str, **values: Any) -> None:
        self._set(status=status, finished_at=time.time(), **values)
        if status != "cancelled":
            self.q.notify(self.job.id)

    def _requeue(self, delay: float, **values: Any) -> None:
        """Release the job and enqueue it again after ``delay`` s."""
        remote = values.get("remote_id", self.job.remote_id)
        self._set(worker=None, task_id=None, status="submitted" if remote else "queued",
                  **values)
        self.q.enqueue(self.job.id, delay)

    # --- the run ----------------------------------------------------------------------

    def _generate(self) -> None:
        job = self.job
        if self.q.stopping.is_set():  # dequeued while the consumer shuts down
            self._requeue(0.0)
            return
        model = self.q.registry.get(job.model)
        provider = self.q.provider(model.provider)  # a chain may end in the local model
        request = _request(job.request)
        if job.remote_id is None:
            self._set(message=f"Submitting to {model.id}")
            remote_id = provider.submit(request, model)
            submitted_at = time.time()
            try:
                self._set(remote_id=remote_id, submitted_at=submitted_at, status="submitted",
                          progress=max(job.progress, 0.05), message=f"Submitted to {model.id}")
            except _Stop:
                self._abandon_submitted(provider, model, remote_id)
                raise
        else:
            log.info("job %s: re-attaching to %s request %s", job.id, model.id, job.remote_id)
            remote_id = job.remote_id
            submitted_at = job.submitted_at or time.time()
            self._set(message=f"Re-attached to the {model.id} request")
        self.phase = "poll"
        self._wait(provider, model, remote_id, submitted_at)

        self.phase = "fetch"
        self._set(progress=max(job.progress, 0.9), message="Downloading")
        out = provider.fetch(remote_id, model, request, media_dir(job.project))
        size = out.path.stat().st_size
        cost = model.estimate_cost(request.duration)  # price x the duration it made
        limit = self.q.settings.video_max_size_mb
        if size > limit * MB:
            out.path.unlink(missing_ok=True)
            self._finish("failed", actual_cost=cost, error_kind="OutputTooLarge",
                         error_message=f"The video is {size / MB:.1f} MB; the limit is "
                                       f"{limit} MB (setting video_max_size_mb).",
                         message="Output too large")
            return
        now = time.time()
        info = {**job.info, "request_id": remote_id, "endpoint": out.endpoint, "seed": out.seed,
                "bytes": size, "generation_s": round(now - submitted_at, 3),
                "queued_s": round(submitted_at - job.created_at, 3), **out.info}
        self._finish("succeeded", progress=1.0, message="Done", output_path=str(out.path),
                     actual_cost=cost, info=info, model=model.id,
                     cache_key=self._cache_key(request, model.id), error_kind=None,
                     error_message=None)

    def _cache_key(self, request: GenerationRequest, model_id: str) -> str | None:
        """The key a later identical request for ``model_id`` looks up (None: no caching)."""
        if model_id == self.job.chain[0]:
            return self.job.cache_key
        try:  # a fallback model's result is cached under that model
            return request.cache_key(model_id)
        except OSError:  # an input file went away meanwhile
            return None

    def _abandon_submitted(self, provider: Provider, model: ModelEntry, remote_id: str) -> None:
        """Submit returned after the job was cancelled: record and cancel the request."""
        current = self.store.get(self.job.id)
        if current.status == "cancelled" and current.remote_id is None:
            self.store.transition(self.job.id, None, remote_id=remote_id)
            self.q.cancel_remote(self.store.get(self.job.id))
        else:
            log.warning("job %s: lost the job while submitting; remote request %s left running",
                        self.job.id, remote_id)

    def _wait(self, provider: Provider, model: ModelEntry, remote_id: str,
              submitted_at: float) -> None:
        deadline = submitted_at + self.q.timeout_s
        while True:
            if self.q.stopping.is_set():  # consumer shutting down: hand the job back
                self._requeue(0.0, message="Waiting for a worker (re-attaches)")
                raise _Stop
            status = provider.status(remote_id, model)
            if status.state == "COMPLETED":  # even past the deadline: it is paid for
                return
            if time.time() > deadline:
                self.phase = "deadline"
                self.q.cancel_remote(self.job)
                raise GenerationTimeout(
                    f"{model.id} gave no result within {self.q.timeout_s:.0f} s.")
            self._set(**self._progress(status, model))
            self.q.stopping.wait(self.q.poll_interval)

    def _progress(self, status: Status, model: ModelEntry) -> dict[str, Any]:
        if status.state == "IN_PROGRESS":
            fraction = 0.1 + 0.8 * min(max(status.progress or 0.0, 0.0), 1.0)
            values = {"status": "running", "message": f"Generating with {model.id}"}
        else:
            fraction = 0.05
            where = (f" (position {status.queue_position})"
                     if status.queue_position is not None else "")
            values = {"message": f"In the {model.id} queue{where}"}
        values["progress"] = max(self.job.progress, fraction)
        return values

    # --- errors -----------------------------------------------------------------------

    def _on_error(self, exc: Exception) -> None:
        job = self.job
        kind = type(exc).__name__
        reason = str(exc) or kind
        if isinstance(exc, GenerationCancelled):
            self._finish("cancelled", message="Cancelled")
            return
        if isinstance(exc, RateLimitError):
            count = job.rate_limited + 1
            if count > self.q.max_rate_limited:
                self._fail(kind, f"{reason} (still rate limited after {count - 1} retries)")
                return
            delay = max(exc.retry_after or 0.0, self.q.backoff_base * 2 ** (count - 1))
            log.info("job %s: rate limited, retry %d in %.1f s", job.id, count, delay)
            self._requeue(delay, rate_limited=count,
                          message=f"Rate limited by the provider; retrying in {delay:.0f} s")
            return
        if isinstance(exc, GenerationError) and not exc.retryable:
            self._fail(kind, reason)
            return
        attempts = job.attempts + 1
        if attempts >= self.q.max_attempts:
            self._fail(kind, f"{reason} (gave up after {attempts} attempts)", attempts=attempts)
            return
        values: dict[str, Any] = {"attempts": attempts, "error_kind": kind,
                                  "error_message": reason}
        delay = self.q.backoff_base * 2 ** (attempts - 1)
        if self._move_on(exc):  # drop the remote request; next model down the chain
            values.update(remote_id=None, submitted_at=None, progress=0.0)
            later = job.chain[job.chain.index(job.model) + 1:] if job.model in job.chain else []
            if later:
                delay = 0.0
                values["model"] = later[0]
                what = "timed out" if isinstance(exc, GenerationTimeout) else "failed"
                values["message"] = f"{job.model} {what}; trying {later[0]}"
        elif self.phase == "fetch":
            values["info"] = {**job.info, "fetch_failed": job.remote_id}
        values.setdefault("message", f"{reason}; retrying in {delay:.0f} s")
        log.info("job %s: %s: %s; attempt %d, retry in %.1f s", job.id, kind, reason,
                 attempts, delay)
        self._requeue(delay, **values)

    def _move_on(self, exc: Exception) -> bool:
        if not isinstance(exc, GenerationTimeout | ModelUnavailableError):
            return False
        if self.phase == "fetch":  # the second fetch failure of the same request
            return self.job.info.get("fetch_failed") == self.job.remote_id
        return self.phase in ("submit", "deadline")

    def _fail(self, kind: str, reason: str, **values: Any) -> None:
        log.info("job %s failed: %s: %s", self.job.id, kind, reason)
        self._finish("failed", error_kind=kind, error_message=reason, message=reason, **values)


def _request(data: dict[str, Any]) -> GenerationRequest:
    from aladdin_studio.generation.request import GenerationRequest

    return GenerationRequest.from_dict(data)
