"""The local provider: offline animatics (see :mod:`.animatic`) behind the Provider protocol.

``submit`` starts the render on a background thread (one render at a time: the machines this
runs on have two cores) and returns ``local-<uuid>``; ``status`` reports progress; ``fetch``
waits for the render and moves the MP4 into the destination folder atomically; ``cancel``
stops an in-flight render at the next frame.

Renders are deterministic for (request, model, seed), and a request without a seed gets one
derived from its cache key. So a request id this process does not know (the app restarted
mid-render) is reported as COMPLETED and ``fetch`` simply renders it again.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...files import atomic_path
from ...paths import cache_dir
from ..errors import GenerationCancelled, GenerationError, InvalidInputError, ModelUnavailableError
from ..registry import ModelEntry
from ..request import GenerationRequest
from .animatic import FPS, output_size, render_animatic
from .base import Output, Status

__all__ = ["LocalProvider"]


@dataclass
class _Job:
    request_id: str
    request: GenerationRequest
    model: ModelEntry
    seed: int
    size: tuple[int, int]
    n_frames: int
    path: Path
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    progress: float = 0.0
    error: BaseException | None = None
    info: dict[str, Any] = field(default_factory=dict)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    fetched: Output | None = None


class LocalProvider:
    """Provider ``"local"``. ``short_side`` sets the output size (720 -> 1280x720 for 16:9);
    ``background=False`` renders inside ``submit`` (for callers already on a worker)."""

    name = "local"

    def __init__(self, work_dir: str | Path | None = None, *, short_side: int = 720,
                 background: bool = True) -> None:
        self.work_dir = Path(work_dir) if work_dir is not None else cache_dir() / "local-renders"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.short_side = short_side
        self.background = background
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._slot = threading.Semaphore(1)

    # ------------------------------------------------------------------ protocol

    def submit(self, request: GenerationRequest, model: ModelEntry) -> str:
        job = self._new_job(f"local-{uuid.uuid4().hex}", request, model)
        if self.background:
            job.thread = threading.Thread(
                target=self._run, args=(job,), name=f"animatic-{job.request_id[6:14]}", daemon=True
            )
            job.thread.start()
        else:
            self._run(job)
        return job.request_id

    def status(self, request_id: str, model: ModelEntry) -> Status:
        job = self._jobs.get(request_id)
        if job is None:
            self._check_id(request_id)
            return Status("COMPLETED", logs=[
                "This render is not running in this process; fetch() renders it again "
                "(local renders are deterministic)."
            ])  # fmt: skip
        if job.done.is_set():
            if job.error is not None:
                raise job.error
            return Status("COMPLETED", progress=1.0)
        if job.started is None:
            return Status("IN_QUEUE", progress=0.0)
        return Status("IN_PROGRESS", progress=job.progress,
                      logs=[f"frame {round(job.progress * job.n_frames)}/{job.n_frames}"])

    def fetch(self, request_id: str, model: ModelEntry, request: GenerationRequest,
              dest_dir: Path) -> Output:
        job = self._jobs.get(request_id)
        if job is None:  # re-attach after a restart: render it again, right here
            self._check_id(request_id)
            job = self._new_job(request_id, request, model)
            self._run(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        dest_dir = Path(dest_dir)
        if job.fetched is not None and job.fetched.path.exists():
            if job.fetched.path.parent == dest_dir:
                return job.fetched
            src = job.fetched.path
        else:
            src = job.path
        dest = dest_dir / f"{request_id}.mp4"
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
        if src == job.path:
            job.path.unlink(missing_ok=True)
        job.fetched = self._output(job, dest)
        return job.fetched

    def cancel(self, request_id: str, model: ModelEntry) -> None:
        job = self._jobs.get(request_id)
        if job is None:
            return
        job.cancel_event.set()
        if job.thread is not None and job.started is not None:
            job.thread.join(timeout=10)  # stops at the next frame

    # ------------------------------------------------------------------ helpers

    def wait(self, request_id: str, timeout: float | None = None) -> bool:
        """Block until the render ends (any outcome); False on timeout."""
        job = self._jobs.get(request_id)
        return True if job is None else job.done.wait(timeout)

    def close(self) -> None:
        """Cancel and join every render still running."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel_event.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout=10)

    def _check_id(self, request_id: str) -> None:
        if not request_id.startswith("local-"):
            raise ModelUnavailableError(f"'{request_id}' is not a local render id.")

    def _new_job(self, request_id: str, request: GenerationRequest, model: ModelEntry) -> _Job:
        if model.provider != "local":
            raise ModelUnavailableError(
                f"The local provider cannot run '{model.id}' (a {model.provider} model)."
            )
        if model.method != request.method:
            raise InvalidInputError(
                f"Model '{model.id}' does {model.method}, not {request.method}."
            )
        request.validate()
        # A private copy: the caller may keep editing its request object.
        req = GenerationRequest.from_dict(request.to_dict())
        seed = req.seed if req.seed is not None else int(req.cache_key(model.id)[:8], 16)
        n_frames = round(model.clamp_duration(req.duration) * FPS)
        job = _Job(request_id, req, model, seed, output_size(req.aspect, self.short_side),
                   n_frames, self.work_dir / f"{request_id}.mp4")  # fmt: skip
        with self._lock:
            self._jobs[request_id] = job
        return job

    def _run(self, job: _Job) -> None:
        try:
            while not self._slot.acquire(timeout=0.05):  # queued behind another render
                if job.cancel_event.is_set():
                    raise GenerationCancelled("The local render was cancelled.")
            try:
                if job.cancel_event.is_set():
                    raise GenerationCancelled("The local render was cancelled.")
                job.started = time.monotonic()

                def progress(p: float) -> None:
                    job.progress = p

                job.info = render_animatic(
                    job.request, job.path, seed=job.seed, size=job.size,
                    n_frames=job.n_frames, cancelled=job.cancel_event.is_set, progress=progress,
                )  # fmt: skip
            finally:
                self._slot.release()
        except GenerationError as exc:
            job.error = exc
        except Exception as exc:  # noqa: BLE001 - surfaced through status()/fetch()
            job.error = ModelUnavailableError(f"The local render failed: {exc}")
            job.error.__cause__ = exc
        finally:
            job.finished = time.monotonic()
            job.done.set()

    def _output(self, job: _Job, path: Path) -> Output:
        started = job.started if job.started is not None else job.submitted
        finished = job.finished if job.finished is not None else started
        info = {
            "provider": self.name,
            "method": job.request.method,
            "model": job.model.id,
            "seed": job.seed,
            "seed_from_request": job.request.seed is not None,
            "size": list(job.size),
            "fps": FPS,
            "frames": job.n_frames,
            "duration": job.n_frames / FPS,
            "timings": {
                "queued_s": round(started - job.submitted, 3),
                "render_s": round(finished - started, 3),
                "fps": round(job.n_frames / max(finished - started, 1e-6), 1),
            },
            **job.info,
        }
        return Output(path=path, request_id=job.request_id, model=job.model.id,
                      endpoint=job.model.endpoint or "", seed=job.seed, info=info)
