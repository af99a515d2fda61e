"""The generation job queue: Huey carries "run job X" messages, the JobStore holds the truth.

``JobQueue.submit`` validates a request, applies the hourly limit and the result cache, writes
the job and enqueues ``run_generation(job_id)``. The task (see ``runner.py``) is idempotent:
it claims the job in the store, re-attaches to a remote request it already paid for, and
requeues itself with a delay for retries. Huey's own retries and result store are not used.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

from aladdin_studio.generation.errors import GenerationError, InvalidInputError

from . import lease
from .providers import ProviderFactory, ProvidersFactory, provider_name
from .store import ACTIVE, TERMINAL, Job, JobStore, LimitExceeded
from .webhook import Webhook

if TYPE_CHECKING:
    from aladdin_studio.config import Settings
    from aladdin_studio.generation.providers.base import Provider
    from aladdin_studio.generation.registry import ModelEntry, Registry
    from aladdin_studio.generation.request import GenerationRequest

__all__ = ["GenerationLimitError", "JobQueue", "Placement", "make_huey"]

log = logging.getLogger(__name__)

HUEY_NAME = "aladdin-studio"
HOUR = 3600.0


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


class GenerationLimitError(GenerationError):
    """Refused by the hourly generation limit (``max_generations_per_hour``)."""


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


class JobQueue:
    """Submits, cancels and retries generation jobs; registers the Huey tasks.

    ``backoff_base`` (s) starts the exponential backoff; ``poll_interval`` (s) spaces provider
    status calls; ``timeout_s`` defaults to ``settings.video_generation_timeout_ms``.
    """

    def __init__(self, huey: Huey, store: JobStore,
                 providers_factory: ProvidersFactory | None = None,
                 settings: Settings | None = None, *, registry: Registry | None = None,
                 webhook: Webhook | None = None, backoff_base: float = 5.0,
                 poll_interval: float = 1.0, timeout_s: float | None = None,
                 max_attempts: int = 3, max_rate_limited: int = 5,
                 lease_s: float = 300.0, orphan_grace_s: float = 30.0) -> None:
        if settings is None:
            from aladdin_studio.config import Settings

            settings = Settings()
        self.huey = huey
        self.store = store
        self.settings = settings
        self.providers = providers_factory or ProviderFactory(settings)
        self._registry = registry
        if webhook is None and settings.webhook_url:
            webhook = Webhook(settings.webhook_url, secrets=settings.secrets())
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
        self.task = huey.task(name="run_generation")(self.run_generation)
        self.recover_task = huey.periodic_task(crontab(), name="recover_jobs")(self.recover)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from aladdin_studio.generation.registry import load_registry

            self._registry = load_registry()
        return self._registry

    def provider(self, name: str) -> Provider:
        return self.providers(name)

    def chain(self, request: GenerationRequest, provider: str) -> list[ModelEntry]:
        """Models to try for ``request``: the registry's chain (primary, then fallbacks) for
        "fal"; only the local animatic model for "local"."""
        entries = self.registry.chain(request.method, request.quality, provider=provider,
                                      model=request.model, request=request)
        if provider == "local":
            entries = [e for e in entries if e.provider == "local"]
        return entries

    # --- submitting -------------------------------------------------------------------

    def submit(self, request: GenerationRequest, project: str | Path,
               placement: Placement | Mapping[str, Any] | None = None,
               new_take: bool = False) -> Job:
        """Queue a generation; an identical earlier result is reused unless ``new_take``.

        Raises InvalidInputError (bad request, no model) or GenerationLimitError.
        """
        request.validate(self.registry)
        name = provider_name(self.settings)
        entries = self.chain(request, name)
        if not entries:
            raise InvalidInputError(
                f"No {name} model can do {request.method} at {request.quality} quality "
                "with these inputs.")
        chain = [e.id for e in entries]
        key = request.cache_key(chain[0])
        common = dict(project=str(Path(project).absolute()), request=request.to_dict(),
                      provider=name, chain=chain, cache_key=key, **_placement(placement))
        if not new_take and (hit := self.store.find_cached(key)) is not None:
            now = time.time()
            return self.store.create(
                **common, model=hit.model, status="succeeded", progress=1.0,
                message=f"Reused the result of job {hit.id[:8]} (identical request)",
                output_path=hit.output_path, cached_from=hit.cached_from or hit.id,
                actual_cost=0.0, info=hit.info, finished_at=now)
        limit = self.settings.max_generations_per_hour
        since = time.time() - HOUR
        try:
            job = self.store.create(**common, est_cost=entries[0].estimate_cost(request.duration),
                                    new_take=new_take, limit=(limit, since))
        except LimitExceeded:
            raise GenerationLimitError(self._limit_message(limit, since)) from None
        self.enqueue(job.id)
        return self.store.get(job.id)

    def _limit_message(self, limit: int, since: float) -> str:
        first = self.store.first_started_since(since)
        wait = ""
        if first is not None:
            minutes = max(1, math.ceil((first + HOUR - time.time()) / 60))
            wait = f" The next one can start in about {minutes} min."
        return (f"Generation limit reached: at most {limit} generations per hour "
                f"(setting max_generations_per_hour).{wait}")

    def enqueue(self, job_id: str, delay: float = 0.0) -> str:
        """Send ``run_generation(job_id)`` to the consumers (after ``delay`` s); task id."""
        if self.huey.immediate and delay > 0:  # immediate mode has no scheduler
            time.sleep(delay)
            delay = 0.0
        task = self.task.s(job_id, delay=delay if delay > 0 else None)
        self.huey.enqueue(task)
        self.store.transition(job_id, None, task_id=task.id)
        return task.id

    # --- control ----------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: revoke its task, cancel the remote request, mark it cancelled."""
        if self.store.transition(job_id, ACTIVE, status="cancelled", message="Cancelled",
                                 finished_at=time.time()):
            # Re-read after the transition: a remote id stored before it is ours to cancel;
            # one stored after it is cancelled by the task that submitted it.
            job = self.store.get(job_id)
            if job.task_id:
                self.huey.revoke_by_id(job.task_id, revoke_once=True)
            if job.remote_id:
                self.cancel_remote(job)
        return self.store.get(job_id)

    def cancel_remote(self, job: Job) -> None:
        """Ask the provider to drop ``job``'s remote request (best effort)."""
        try:
            model = self.registry.get(job.model)
            self.provider(model.provider).cancel(job.remote_id, model)
        except Exception as exc:  # the job is cancelled either way
            log.warning("job %s: cancelling remote request %s failed: %s",
                        job.id, job.remote_id, exc)

    def retry(self, job_id: str) -> Job:
        """Run a failed or cancelled job again from the first model of its chain."""
        job = self.store.get(job_id)
        if job.status not in ("failed", "cancelled") or job.cached_from:
            raise ValueError(f"job {job_id[:8]} is {job.status}; only failed or cancelled "
                             "jobs can be retried")
        if not self.store.transition(
                job_id, ("failed", "cancelled"), status="queued", progress=0.0,
                message="Queued again", model=job.chain[0], remote_id=None, attempts=0,
                rate_limited=0, error_kind=None, error_message=None, finished_at=None,
                submitted_at=None, worker=None, task_id=None, actual_cost=None):
            raise ValueError(f"job {job_id[:8]} changed while retrying it")
        self.enqueue(job_id)
        return self.store.get(job_id)

    def interrupt(self) -> None:
        """Make running jobs hand themselves back to the queue (for a consumer shutdown);
        their remote requests are kept and re-attached by the next consumer."""
        self.stopping.set()

    def recover(self) -> list[str]:
        """Re-enqueue active jobs whose consumer died (kill -9, crash) or whose task message
        was lost; returns their ids. Consumers run this at start and every minute."""
        recovered = []
        for job in self.store.list(limit=10_000, status=ACTIVE):
            if job.worker is not None:
                if lease.holder_alive(job.worker, job.heartbeat, self.lease_s):
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

    def run_generation(self, job_id: str) -> None:
        """Huey task: run (or re-attach to) one job. Safe to deliver more than once."""
        from .runner import JobRun

        try:
            job = self.store.get(job_id)
        except KeyError:
            log.warning("job %s no longer exists", job_id)
            return
        if job.status in TERMINAL:
            return
        me = lease.worker_id()
        if job.worker is not None and job.worker != me and lease.holder_alive(
                job.worker, job.heartbeat, self.lease_s):
            return  # a live consumer is on it (duplicate delivery)
        claim = self.store.claim(job_id, me, job.worker,
                                 max_claimed=self.settings.max_concurrent_generations)
        if claim == "busy":  # the global concurrency limit: try again shortly
            self.enqueue(job_id, delay=max(1.0, self.poll_interval))
            return
        if claim == "ok":
            JobRun(self, self.store.get(job_id), me).execute()

    def notify(self, job_id: str) -> None:
        """Send the webhook for a finished job (in the background)."""
        if self.webhook is not None:
            self.webhook.notify(self.store.get(job_id))
