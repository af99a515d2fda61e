"""Waiting for job states in the queue tests (a module of its own: test modules must not import
``conftest``, whose module name other test folders share)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aladdin_studio.jobs import JobStore
from aladdin_studio.jobs.store import Job


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_done(store: JobStore, job_id: str, timeout: float = 15.0) -> Job:
    return wait_for(lambda: (j := store.get(job_id)).done and j, timeout)
