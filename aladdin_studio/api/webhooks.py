"""Webhooks asked for per request (``webhookUrl``): delivered by the API when its job
watcher sees the job finish, through the one :class:`~aladdin_studio.jobs.webhook.Webhook`
(signed, retried with backoff, attempts recorded in the job's ``info["webhook"]``).

Subscriptions are kept in ``api-webhooks.json`` in the data dir until delivered, so a job
that finishes while the server is down is announced when it starts again. The settings'
``webhook_url`` is sent by the job queue itself for every job.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from .. import paths
from ..files import atomic_path
from ..jobs.store import TERMINAL, Job
from ..jobs.webhook import Webhook

if TYPE_CHECKING:
    from .backend import ApiBackend

__all__ = ["ApiWebhooks"]

log = logging.getLogger(__name__)


class ApiWebhooks:
    def __init__(self, backend: ApiBackend, *, attempts: int = 4, backoff: float = 1.0,
                 secret: Any = None) -> None:
        self.backend = backend
        options: dict[str, Any] = {"secrets": backend.settings.secrets(), "attempts": attempts,
                                   "backoff": backoff, "store": backend.store}
        if secret is not None:
            options["secret"] = secret
        self.hook = Webhook("", **options)
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, str]] = {}

    @staticmethod
    def _file() -> Any:
        return paths.data_dir() / "api-webhooks.json"

    def _save(self) -> None:
        with atomic_path(self._file()) as tmp:
            tmp.write_text(json.dumps(self._pending), encoding="utf-8")

    def start(self) -> None:
        """Load undelivered subscriptions; announce the jobs that finished meanwhile."""
        try:
            data = json.loads(self._file().read_text(encoding="utf-8"))
            pending = {k: v for k, v in data.items() if isinstance(v, dict) and v.get("url")}
        except (OSError, ValueError, AttributeError):
            pending = {}
        with self._lock:
            self._pending.update(pending)
        for job_id in list(pending):
            try:
                job = self.backend.store.get(job_id)
            except KeyError:
                self._drop(job_id)
                continue
            if job.status in TERMINAL:
                self.job_finished(job)

    def stop(self, timeout: float = 30.0) -> None:
        self.hook.wait(timeout)

    def subscribe(self, job_id: str, url: str, project_id: str) -> None:
        with self._lock:
            self._pending[job_id] = {"url": url, "project": project_id}
            self._save()

    def _drop(self, job_id: str) -> dict[str, str] | None:
        with self._lock:
            sub = self._pending.pop(job_id, None)
            if sub is not None:
                self._save()
        return sub

    def job_finished(self, job: Job) -> None:
        """Send the job's webhook if a request asked for one (once)."""
        if job.id not in self._pending:
            return
        sub = self._drop(job.id)
        if sub is not None and job.status != "cancelled":  # cancelled by the user: no news
            self.hook.notify(job, sub["url"], sub.get("project"))
