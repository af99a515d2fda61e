"""Webhook notifications: POST a finished job's JSON to ``settings.webhook_url``.

Sent from a background thread after the job's final state is in the store, so a slow or
broken endpoint never delays or changes a job's result. Up to ``attempts`` tries with
exponential backoff on network errors, 408, 429 and 5xx.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from .store import Job

__all__ = ["Webhook", "job_payload"]

log = logging.getLogger(__name__)

_HIDDEN = ("worker", "heartbeat", "task_id")  # internal bookkeeping, not for receivers


def job_payload(job: Job, secrets: list[str] | tuple[str, ...] = ()) -> bytes:
    """The JSON body for ``job``; any secret value that slipped into it is masked."""
    status = {"succeeded": "complete"}.get(job.status, job.status)
    data: dict[str, Any] = {k: v for k, v in job.to_dict().items() if k not in _HIDDEN}
    body = json.dumps({
        "event": "video-job-status",
        "jobId": job.id,
        "status": status,
        "error": job.error_message if job.status == "failed" else None,
        "timestamp": datetime.now(UTC).isoformat(),
        "job": data,
    })
    for secret in secrets:
        if secret:
            body = body.replace(secret, "***")
    return body.encode()


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (408, 429) or exc.code >= 500
    return isinstance(exc, OSError)  # URLError, timeouts, refused connections


class Webhook:
    """POSTs job JSON to ``url``; ``notify`` returns at once, ``send`` blocks."""

    def __init__(self, url: str, *, secrets: list[str] | tuple[str, ...] = (),
                 attempts: int = 3, backoff: float = 1.0, timeout: float = 10.0) -> None:
        self.url = url
        self.secrets = tuple(secrets)
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def send(self, job: Job) -> bool:
        """Deliver ``job`` now; True once the endpoint answered 2xx."""
        body = job_payload(job, self.secrets)
        for attempt in range(1, self.attempts + 1):
            req = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json",
                "X-Aladdin-Event": "video-job-status",
            })
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    resp.read()
                return True
            except Exception as exc:  # a webhook must never raise into a job
                if attempt == self.attempts or not _retryable(exc):
                    log.warning("webhook for job %s failed after %d attempt(s): %s",
                                job.id, attempt, exc)
                    return False
                time.sleep(self.backoff * 2 ** (attempt - 1))
        return False

    def notify(self, job: Job) -> threading.Thread:
        """Send in a background thread (not a daemon: a process exit waits for delivery)."""
        thread = threading.Thread(target=self._run, args=(job,), name=f"webhook-{job.id[:8]}")
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(self, job: Job) -> None:
        try:
            self.send(job)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for pending deliveries; True if none is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)
