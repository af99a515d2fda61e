"""Waiting for job states in the queue tests (a module of its own: test modules must not import
``conftest``, whose module name other test folders share)."""

from __future__ import annotations

from waits import (
    wait_for,  # noqa: F401 - the jobs tests import it from here
    wait_job_done,
)

from aladdin_studio.jobs import JobStore
from aladdin_studio.jobs.store import Job


def wait_done(store: JobStore, job_id: str, timeout: float = 15.0) -> Job:
    return wait_job_done(store, job_id, timeout)
