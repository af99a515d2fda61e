"""The "generation" job kind: its payload (a GenerationRequest), how it is prepared for the
ledger (model chain, cost estimate, result cache, hourly limit) and one run of a claimed job.

The queue (``aladdin_studio.jobs``) knows this kind only through the kind registry; this module
registers it on import.

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aladdin_studio.jobs.context import JobContext
from aladdin_studio.jobs.kinds import JobKind, JobStopped, KindLimits, register_kind
from aladdin_studio.jobs.store import Job

from .errors import (
    GenerationCancelled,
    GenerationError,
    GenerationTimeout,
    InvalidInputError,
    ModelUnavailableError,
    RateLimitError,
)
from .providers.factory import ProviderFactory, provider_name
from .request import GenerationRequest

if TYPE_CHECKING:
    from aladdin_studio.jobs.queue import JobQueue

    from .providers.base import Provider, Status
    from .registry import ModelEntry, Registry

__all__ = ["GENERATION", "GenerationLimitError", "GenerationRun", "Placement", "chain",
           "media_dir"]

log = logging.getLogger(__name__)


def media_dir(project: str | Path) -> Path:
    """``<project bundle>/media/`` (created if missing)."""
    from aladdin_studio.jobs.context import media_dir as _media_dir

    return _media_dir(project)


class GenerationLimitError(GenerationError):
    """Refused by the hourly generation limit (``max_generations_per_hour``)."""

    retryable = True


@dataclass(frozen=True)
class Placement:
    """Where the finished take goes on the timeline (all optional)."""

    scene: str | None = None
    track: str | None = None
    at: float | None = None  # seconds from the scene start


def _placement(value: Placement | Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Placement):
        return {"scene": value.scene, "track": value.track, "at": value.at}
    return {k: value.get(k) for k in ("scene", "track", "at")}


def models(queue: JobQueue) -> Registry:
    return queue.resource("models")


def chain(queue: JobQueue, request: GenerationRequest, provider: str) -> list[ModelEntry]:
    """Models to try for ``request``: the registry's chain (primary, then fallbacks) for
    "fal"; only the local animatic model for "local"."""
    entries = models(queue).chain(request.method, request.quality, provider=provider,
                                  model=request.model, request=request)
    if provider == "local":
        entries = [e for e in entries if e.provider == "local"]
    return entries


def prepare(queue: JobQueue, request: GenerationRequest, project: str | Path,
            placement: Placement | Mapping[str, Any] | None = None,
            new_take: bool = False) -> dict[str, Any]:
    """Ledger columns for a generation; an identical earlier result is reused (a job created
    ``succeeded``) unless ``new_take``. Raises InvalidInputError (bad request, no model)."""
    request.validate(models(queue))
    name = provider_name(queue.settings)
    entries = chain(queue, request, name)
    if not entries:
        raise InvalidInputError(
            f"No {name} model can do {request.method} at {request.quality} quality "
            "with these inputs.")
    ids = [e.id for e in entries]
    key = request.cache_key(ids[0])
    common = dict(provider=name, chain=ids, cache_key=key, **_placement(placement))
    if not new_take and (hit := queue.store.find_cached(key)) is not None:
        return dict(**common, model=hit.model, status="succeeded", progress=1.0,
                    message=f"Reused the result of job {hit.id[:8]} (identical request)",
                    output_path=hit.output_path, cached_from=hit.cached_from or hit.id,
                    actual_cost=0.0, info=hit.info, finished_at=time.time())
    return dict(**common, est_cost=entries[0].estimate_cost(request.duration),
                new_take=new_take)


def cancel_remote(queue: JobQueue, job: Job) -> None:
    """Ask the provider to drop ``job``'s remote request."""
    model = models(queue).get(job.model)
    queue.provider(model.provider).cancel(job.remote_id, model)


def _load_models(queue: JobQueue) -> Registry:
    from .registry import load_registry

    return load_registry()


def run(job: Job, ctx: JobContext) -> dict[str, Any] | None:
    return GenerationRun(ctx).execute()


def label(job: Job) -> str:
    prompt = str(job.payload.get("prompt") or "")
    return f"{job.payload.get('method', 'generation')}: {prompt}"


class GenerationRun:
    """One run of a claimed generation job (see the module docstring)."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.q = ctx.queue
        self.store = ctx.store
        self.job = ctx.job
        self.phase = "submit"  # "submit" | "poll" | "deadline" | "fetch": where errors arise

    def execute(self) -> dict[str, Any] | None:
        try:
            return self._generate()
        except JobStopped:
            raise
        except Exception as exc:
            if not isinstance(exc, GenerationError):
                log.exception("job %s: unexpected error", self.job.id)
            self._on_error(exc)
            return None

    def _set(self, **values: Any) -> None:
        self.ctx.set(**values)

    def _finish(self, status: str, **values: Any) -> None:
        self.ctx.finish(status, **values)

    def _requeue(self, delay: float, **values: Any) -> None:
        self.ctx.requeue(delay, **values)

    # --- the run ----------------------------------------------------------------------

    def _generate(self) -> dict[str, Any]:
        job = self.job
        model = self.q.registry.get(job.model)
        provider = self.q.provider(model.provider)  # a chain may end in the local model
        request = GenerationRequest.from_dict(job.payload)
        if job.remote_id is None:
            self._set(message=f"Submitting to {model.id}")
            remote_id = provider.submit(request, model)
            submitted_at = time.time()
            try:
                self._set(remote_id=remote_id, submitted_at=submitted_at, status="submitted",
                          progress=max(job.progress, 0.05), message=f"Submitted to {model.id}")
            except JobStopped:
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
        now = time.time()
        info = {**job.info, "request_id": remote_id, "endpoint": out.endpoint, "seed": out.seed,
                "bytes": size, "generation_s": round(now - submitted_at, 3),
                "queued_s": round(submitted_at - job.created_at, 3), **out.info}
        info["quality_report"] = self._verify(out.path, request, model, provider)
        # The queue checks the size limit (video_max_size_mb) and marks it succeeded.
        return {"output_path": str(out.path), "actual_cost": cost, "info": info,
                "model": model.id, "cache_key": self._cache_key(request, model.id)}

    def _verify(self, path: Path, request: GenerationRequest, model: ModelEntry,
                provider: Provider) -> dict[str, Any]:
        """The last step: score the clip against its request and references (issue 15,
        ``aladdin_studio.quality``); the report lands on the take's provenance."""
        from aladdin_studio.quality.job_kind import provider_short_side, verify_generation

        self._set(progress=max(self.job.progress, 0.95), message="Verifying quality")
        return verify_generation(
            path, request, model, short_side=provider_short_side(provider),
            settings=self.q.settings,
            progress=lambda f, m: self._set(progress=max(self.job.progress, 0.95 + 0.04 * f),
                                            message=f"Verifying quality: {m}"))

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
                raise JobStopped
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


GENERATION = register_kind(JobKind(
    name="generation", payload=GenerationRequest, run=run, prepare=prepare,
    cancel=cancel_remote, label=label, noun="generation", limit_error=GenerationLimitError,
    limits=KindLimits(per_hour="max_generations_per_hour",
                      concurrent="max_concurrent_generations",
                      max_output_mb="video_max_size_mb"),
    resources={"models": _load_models,
               "providers": lambda queue: ProviderFactory(queue.settings)}))
