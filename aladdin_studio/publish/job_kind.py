"""The ``publish`` job kind: publishing runs in a queue consumer (progress, cancel, retries),
never on the GUI thread.

Progress goes into the ledger: ``progress`` (bytes done / bytes total), ``message`` and
``info["files"]`` (per file: name, kind, key, size, done, status, url). The result's
``info["publish"]`` is the :class:`~aladdin_studio.publish.service.PublishResult`;
``output_path`` is the local copy of the manifest. A PublishUnavailable (5xx, timeouts after
the per-request retries) is retryable: the queue runs the job again after its backoff, and
the upload resumes from the parts already stored.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ..jobs.kinds import JobKind, JobStopped, KindLimits, register_kind
from .errors import PublishCancelled
from .service import PublishRequest, publish

__all__ = ["PUBLISH", "PublishPayload", "run_publish"]

PROGRESS_EVERY_S = 0.2


@dataclass
class PublishPayload(PublishRequest):
    """A :class:`PublishRequest` as a job payload."""


def run_publish(job: Any, ctx: Any) -> dict[str, Any]:
    payload = PublishPayload.from_dict(job.payload)
    cancel = threading.Event()
    last = [0.0]
    stopped: list[BaseException] = []
    pending: list[dict[str, Any]] = []  # the newest state a throttled call left unsent
    lock = threading.Lock()

    def send(state: dict[str, Any]) -> None:
        files = state.get("files") or []
        total = sum(f["size"] for f in files) or 1
        done = sum(f["done"] for f in files)
        try:
            info = {**(ctx.job.info or {}), "files": files, "stage": state.get("stage")}
            ctx.progress(done / total if files else 0.02, state.get("message"),
                         status="running", info=info)
        except JobStopped as exc:  # cancelled or handed back: stop between parts
            stopped.append(exc)
            cancel.set()

    def progress(state: dict[str, Any]) -> None:
        with lock:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY_S and state.get("stage") != "done":
                pending[:] = [state]  # sent by the watcher if nothing newer comes
                return
            pending.clear()
            last[0] = now
            send(state)

    def flush() -> None:
        with lock:
            if pending and time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                last[0] = time.monotonic()
                send(pending.pop())

    stop_watch = threading.Event()

    def watch_shutdown() -> None:
        while not stop_watch.wait(PROGRESS_EVERY_S / 2):
            if ctx.stopping.is_set():
                cancel.set()
                return
            flush()

    watcher = threading.Thread(target=watch_shutdown, daemon=True)
    watcher.start()
    try:
        result = publish(payload, ctx.settings, progress=progress, cancel=cancel)
    except PublishCancelled:
        if ctx.stopping.is_set() and not stopped:
            ctx.requeue(0.0, message="Waiting for a worker (resumes the upload)")
        raise JobStopped from None
    finally:
        stop_watch.set()
    data = result.to_dict()
    return {"output_path": data["manifest"]["path"], "actual_cost": 0.0,
            "info": {"publish": data, "files": data["files"]},
            "message": f"Published {len(data['files'])} file(s) to {result.where}"}


def _label(job: Any) -> str:
    scene = job.payload.get("scene") or "first scene"
    return f"publish: {scene} → {job.payload.get('destination', 'auto')}"


PUBLISH = register_kind(JobKind(
    name="publish", payload=PublishPayload, run=run_publish, label=_label, noun="publish",
    limits=KindLimits(concurrent=2, max_attempts=3)))
