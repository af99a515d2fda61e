"""Webhook notifications: POST a finished job's JSON to ``settings.webhook_url`` (or the
URL an API request gave for its job).

Sent from a background thread after the job's final state is in the store, so a slow or
broken endpoint never delays or changes a job's result. Up to ``attempts`` tries with
exponential backoff on network errors, 408, 429 and 5xx; with a ``store``, every attempt
is recorded in the job's ``info["webhook"]``.

Signed: ``X-Aladdin-Timestamp`` holds the Unix time of the attempt and
``X-Aladdin-Signature`` is ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<raw body>"``
with the install's secret (keyring ``ALADDIN_WEBHOOK_SECRET``, made on first use). A
receiver checks it with :func:`verify_signature` (recipe in docs/automation-api.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets as _random
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .store import Job

if TYPE_CHECKING:
    from .store import JobStore

__all__ = ["EVENT", "SECRET_NAME", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Webhook",
           "job_payload", "job_result", "public_status", "sign", "signing_secret",
           "verify_signature"]

EVENT = "video-job-status"
SECRET_NAME = "ALADDIN_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Aladdin-Signature"
TIMESTAMP_HEADER = "X-Aladdin-Timestamp"
DEFAULT_TOLERANCE_S = 300

log = logging.getLogger(__name__)

_HIDDEN = ("worker", "heartbeat", "task_id")  # internal bookkeeping, not for receivers


def signing_secret(create: bool = True) -> str | None:
    """The install's webhook secret (env or keyring); made and stored on first use. None
    when there is none and it cannot be stored (no keyring): deliveries go unsigned."""
    from aladdin_studio.secrets import SecretStoreError, get_secret, set_secret

    value = get_secret(SECRET_NAME)
    if value or not create:
        return value
    value = _random.token_urlsafe(32)
    try:
        set_secret(SECRET_NAME, value)
    except SecretStoreError as exc:
        log.warning("webhooks go unsigned: %s", exc)
        return None
    return value


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``b"<timestamp>." + body`` with ``secret``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str | None, signature: str | None,
                     *, tolerance_s: float = DEFAULT_TOLERANCE_S,
                     now: float | None = None) -> bool:
    """Whether a delivery is authentic and fresh: ``signature`` (the X-Aladdin-Signature
    header) matches the raw ``body`` and ``timestamp`` (X-Aladdin-Timestamp), and the
    timestamp is within ``tolerance_s`` of now (a replayed old delivery fails)."""
    if not secret or not timestamp or not signature:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature.strip())


def public_status(status: str) -> str:
    """The design doc's job states: queued | processing | complete | failed."""
    return {"queued": "queued", "submitted": "processing", "running": "processing",
            "succeeded": "complete"}.get(status, "failed")


def job_result(job: Job, project_id: str | None = None) -> dict[str, Any] | None:
    """Design doc ``result`` of a finished job: ``videoId`` (the job id names its video),
    the API ``url`` of the video when the project is registered, duration, cost."""
    if job.status != "succeeded" or not job.output_path:
        return None
    published = (job.info or {}).get("publish")
    if getattr(job, "kind", "") == "publish" and isinstance(published, dict):
        return {"destination": published.get("destination"),
                "manifest": (published.get("manifest") or {}).get("url"),
                "files": [{"name": f.get("name"), "kind": f.get("kind"), "url": f.get("url")}
                          for f in published.get("files") or []]}
    if project_id is None:
        from aladdin_studio.project_registry import find_path

        entry = find_path(_bundle_of(job.project))
        project_id = entry.id if entry else None
    payload = dict(getattr(job, "payload", None) or {})
    return {"videoId": job.id,
            "url": f"/api/v1/projects/{project_id}/videos/{job.id}" if project_id else None,
            "duration": payload.get("duration") or (job.info or {}).get("duration"),
            "qualityScore": quality_score(job),
            "model": job.model, "cost": job.actual_cost}


def quality_score(job: Job) -> float | None:
    """The overall quality the generation's verification step stored, if any."""
    report = (job.info or {}).get("quality_report")
    score = report.get("overallQuality") if isinstance(report, dict) else None
    return float(score) if isinstance(score, int | float) else None


def _bundle_of(project_file: str) -> str:
    return project_file[: -len("/project.otio")] if project_file.endswith("/project.otio") \
        else project_file


def job_payload(job: Job, secrets: list[str] | tuple[str, ...] = (),
                project_id: str | None = None) -> bytes:
    """The JSON body for ``job`` (design doc 8.3: jobId, status, result, error, timestamp,
    plus the job's record); any secret value that slipped into it is masked."""
    data: dict[str, Any] = {k: v for k, v in job.to_dict().items() if k not in _HIDDEN}
    body = json.dumps({
        "event": EVENT,
        "jobId": job.id,
        "status": public_status(job.status),
        "result": job_result(job, project_id),
        "error": (job.error_message or job.message) if job.status in ("failed", "cancelled")
        else None,
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


_UNSET: Any = object()


class Webhook:
    """POSTs job JSON to ``url``; ``notify`` returns at once, ``send`` blocks.

    ``secret`` signs each delivery (default: :func:`signing_secret`, looked up on first
    send; None sends unsigned); ``store`` records the attempts in the job's
    ``info["webhook"]``."""

    def __init__(self, url: str, *, secrets: list[str] | tuple[str, ...] = (),
                 attempts: int = 3, backoff: float = 1.0, timeout: float = 10.0,
                 secret: str | None = _UNSET, store: JobStore | None = None) -> None:
        self.url = url
        self.secrets = tuple(secrets)
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._secret = secret
        self.store = store
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    @property
    def secret(self) -> str | None:
        if self._secret is _UNSET:
            self._secret = signing_secret()
        return self._secret

    def send(self, job: Job, url: str | None = None, project_id: str | None = None) -> bool:
        """Deliver ``job`` to ``url`` (default: this hook's) now; True once the endpoint
        answered 2xx."""
        url = url or self.url
        body = job_payload(job, self.secrets, project_id)
        delivery = uuid.uuid4().hex
        for attempt in range(1, self.attempts + 1):
            stamp = int(time.time())
            headers = {"Content-Type": "application/json", "X-Aladdin-Event": EVENT,
                       "X-Aladdin-Delivery": delivery, TIMESTAMP_HEADER: str(stamp)}
            secret = self.secret
            if secret:
                headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
            req = urllib.request.Request(url, data=body, method="POST", headers=headers)
            started = time.time()
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    resp.read()
                    code = resp.status
                self._record(job, url, delivery, attempt, started, code, None, True)
                return True
            except Exception as exc:  # a webhook must never raise into a job
                code = exc.code if isinstance(exc, urllib.error.HTTPError) else None
                last = attempt == self.attempts or not _retryable(exc)
                self._record(job, url, delivery, attempt, started, code, str(exc)[:200],
                             False if last else None)
                if last:
                    log.warning("webhook for job %s failed after %d attempt(s): %s",
                                job.id, attempt, exc)
                    return False
                time.sleep(self.backoff * 2 ** (attempt - 1))
        return False

    def _record(self, job: Job, url: str, delivery: str, attempt: int, started: float,
                code: int | None, error: str | None, delivered: bool | None) -> None:
        """Append this attempt to the job's ``info["webhook"]`` (with a store)."""
        if self.store is None:
            return
        try:
            info = dict(self.store.get(job.id).info or {})
            hooks = dict(info.get("webhook") or {})
            if hooks.get("delivery") != delivery:  # a new delivery replaces an older record
                hooks = {"url": url, "delivery": delivery, "attempts": []}
            hooks["attempts"] = [*hooks.get("attempts", []), {
                "attempt": attempt, "at": datetime.fromtimestamp(started, UTC).isoformat(),
                "status": code, "error": error,
                "signed": bool(self._secret if self._secret is not _UNSET else None)}]
            if delivered is not None:
                hooks["delivered"] = delivered
            info["webhook"] = hooks
            self.store.update(job.id, info=info)
        except Exception as exc:  # bookkeeping must not break the delivery
            log.warning("cannot record the webhook attempt of job %s: %s", job.id, exc)

    def notify(self, job: Job, url: str | None = None,
               project_id: str | None = None) -> threading.Thread:
        """Send in a background thread (not a daemon: a process exit waits for delivery)."""
        thread = threading.Thread(target=self._run, args=(job, url, project_id),
                                  name=f"webhook-{job.id[:8]}")
        with self._lock:  # started under the lock: wait() never joins an unstarted thread
            self._threads.add(thread)
            thread.start()
        return thread

    def _run(self, job: Job, url: str | None = None, project_id: str | None = None) -> None:
        try:
            self.send(job, url, project_id)
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
