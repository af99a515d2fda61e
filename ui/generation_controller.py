"""The editor's side of generation: owns the job ledger, the Huey queue and an embedded
consumer, submits requests, and lands finished jobs on the timeline.

A ~250 ms :class:`QTimer` reads the open project's jobs from the :class:`JobStore` (a cheap
indexed query) and emits :attr:`GenerationController.jobs_updated` when any changed. Jobs that
finished and are not applied yet become commands (``GenerationService.finished_commands``:
the generated take, or the placeholder's failed/cancelled status) pushed with
``EditorContext.push`` and then marked applied, so results land even when the app was
closed while they were generating. The consumer starts on the first submit, or when the
opened project has jobs still pending, and stops in :meth:`close`.
"""

from __future__ import annotations

import logging
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QObject, QTimer, Signal

from ..generation.errors import InvalidInputError
from ..generation.providers.factory import provider_name
from ..generation.request import GenerationRequest
from ..jobs import ACTIVE, EmbeddedConsumer, Job, JobQueue, JobStore, make_huey
from ..services.generation import submit_placed

__all__ = ["POLL_MS", "GenerationController"]

log = logging.getLogger(__name__)

POLL_MS = 250
WORKERS = 5


def _load_settings() -> Any:
    from ..config import ConfigError, Settings, load_settings

    try:
        return load_settings(use_keyring=False)
    except ConfigError:
        return Settings()


class GenerationController(QObject):
    """Generation for one editor window (``ctx.generation`` points at it)."""

    jobs_updated = Signal(list)  # list[Job] of the open project, newest first
    applied = Signal(str)  # job id whose result (or status) landed on the timeline

    def __init__(self, ctx: Any, *, store: JobStore | None = None, huey: Any = None,
                 provider_factory: Any = None, settings: Any = None, registry: Any = None,
                 poll_ms: int = POLL_MS, workers: int = WORKERS,
                 queue_options: dict[str, Any] | None = None,
                 consumer_options: dict[str, Any] | None = None) -> None:
        super().__init__(ctx if isinstance(ctx, QObject) else None)
        self.ctx = ctx
        self.settings = settings or ctx.settings or _load_settings()
        self.store = store if store is not None else JobStore()
        self.huey = huey if huey is not None else make_huey(self.settings)
        self.queue = JobQueue(self.huey, self.store, provider_factory, self.settings,
                              registry=registry, **(queue_options or {}))
        self.workers = workers
        self.consumer_options = dict(consumer_options or {})
        self.consumer: EmbeddedConsumer | None = None
        self.service: Any = None
        self.jobs: list[Job] = []
        self.by_id: dict[str, Job] = {}
        self._signature: list[tuple] | None = None
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        ctx.project_replaced.connect(self._project_replaced)
        self._project_replaced(ctx.project)
        self.timer.start()

    # ------------------------------------------------------------------ setup

    @property
    def registry(self) -> Any:
        return self.queue.registry

    def provider_name(self) -> str:
        """"fal" or "local": who runs new jobs (no FAL key → the local animatics)."""
        return provider_name(self.settings)

    def _project_replaced(self, project: Any) -> None:
        from ..generation.service import GenerationService

        self.service = GenerationService(project, self.queue, self.store)
        self.jobs, self.by_id, self._signature = [], {}, None
        try:  # held jobs of a submitter that died: run those whose placeholder was saved
            self.service.reconcile_held()
        except Exception:  # noqa: BLE001 - a busy or broken ledger must not stop the editor
            log.exception("cannot reconcile held generation jobs")
        self.poll()
        if any(job.status in ACTIVE for job in self.jobs):
            self.ensure_consumer()

    def ensure_consumer(self) -> None:
        """Start the embedded consumer (once)."""
        if self.consumer is None and not self._closed:
            options = dict(self.consumer_options)
            self.consumer = EmbeddedConsumer(self.huey, self.workers, queue=self.queue,
                                             **options)
            self.consumer.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop polling and the consumer (running jobs hand themselves back to the queue
        and re-attach next time)."""
        self._closed = True
        self.timer.stop()
        if self.consumer is not None:
            consumer, self.consumer = self.consumer, None
            consumer.close(timeout)

    # ------------------------------------------------------------------ polling

    def poll(self) -> None:
        """Read the project's jobs; emit ``jobs_updated`` on change; land finished ones."""
        if self.service is None:
            return
        try:
            jobs = self.service.jobs()
        except Exception:  # noqa: BLE001 - a busy or broken ledger must not kill the timer
            log.exception("cannot read the job ledger")
            return
        signature = [(j.id, j.status, round(j.progress, 3), j.updated_at, j.take_applied)
                     for j in jobs]
        if signature != self._signature:
            self._signature = signature
            self.jobs = jobs
            self.by_id = {job.id: job for job in jobs}
            self.jobs_updated.emit(jobs)
        if any(j.kind == "generation" and j.done and not j.take_applied for j in jobs):
            self.apply_finished()
        if self.consumer is None and any(j.status in ACTIVE for j in jobs):
            self.ensure_consumer()

    def apply_finished(self) -> int:
        """Land finished, unapplied jobs (``services.generation.land_finished``; a refused
        result is reported by ``ctx.error`` and not offered again); how many landed."""
        from ..generation.service import LAND_BUDGET_S
        from ..services.generation import land_finished

        landing = land_finished(self.service, self.ctx.push, budget_s=LAND_BUDGET_S)
        for job_id in landing.landed:
            self.applied.emit(job_id)
        return len(landing.landed)

    # ------------------------------------------------------------------ jobs

    def job(self, job_id: str | None) -> Job | None:
        """The latest state of ``job_id`` (from the last poll, else the ledger)."""
        if not job_id:
            return None
        job = self.by_id.get(job_id)
        if job is None:
            try:
                job = self.store.get(job_id)
            except KeyError:
                return None
        return job

    def submit(self, request: GenerationRequest, scene: otio.schema.Timeline,
               track: otio.schema.Track, at_frame: int,
               clip: otio.schema.Clip | None = None) -> Job:
        """Queue ``request`` and place its placeholder clip on ``track`` at ``at_frame``
        (one undo step); with ``clip`` the result becomes a new take of it instead.

        Raises InvalidInputError / GenerationError (bad request, limits) with the message
        for the user; a placement the timeline refuses cancels the job and raises too.
        """
        if self.service is None:
            raise InvalidInputError("Open or save a project before generating.")

        def push(command: Any) -> None:  # a refusal: the status bar, and raised for the job
            refused: list[str] = []
            self.ctx.error.connect(refused.append)
            try:
                ok = self.ctx.push(command)
            finally:
                self.ctx.error.disconnect(refused.append)
            if not ok:
                raise InvalidInputError(refused[0] if refused
                                        else "The timeline refused the generated clip.")

        # Run once its placeholder is on the timeline (the editor keeps it, autosaved): a
        # refused placement abandons the job before anything is paid.
        job = submit_placed(self.service, request, push, scene=scene, track=track, at=at_frame,
                            clip=clip, new_take=clip is not None)
        self.ensure_consumer()
        self.poll()
        return self.job(job.id) or job

    def cancel(self, job_id: str) -> None:
        self.service.cancel(job_id)
        self.poll()

    def retry(self, job_id: str) -> None:
        self.service.retry(job_id)
        self.ensure_consumer()
        self.poll()

    def estimate(self, request: GenerationRequest) -> tuple[str, float, list[str]]:
        """(model id, USD, chain) the service expects for ``request``."""
        return self.service.estimate(request)

    # ------------------------------------------------------------------ clips

    def clip_job(self, clip: otio.schema.Clip) -> Job | None:
        """The job behind a placeholder clip, if any."""
        from ..generation import placement

        return self.job(placement.generation_job(clip)) if placement.is_placeholder(clip) \
            else None

    def request_for(self, clip: otio.schema.Clip) -> GenerationRequest | None:
        """The request that made ``clip``'s active take (``services.generation``)."""
        from ..services.generation import request_for

        return request_for(clip, self.job)
