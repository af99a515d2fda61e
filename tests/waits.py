"""Deadline-bound waits shared by the test folders (a module of its own: test modules must
not import ``conftest``, whose module name every test folder shares)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0, what: str = "",
             interval: float = 0.02) -> Any:
    """``predicate()``'s first true value; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for "
                                 f"{what or 'the condition'}")
        time.sleep(interval)


def wait_job_done(store: Any, job_id: str, timeout: float = 60.0) -> Any:
    """The job once it is done (succeeded, failed or cancelled) in the ledger ``store``."""
    last: list[Any] = []

    def done() -> Any:
        last[:] = [job := store.get(job_id)]
        return job.done and job

    try:
        return wait_for(done, timeout)
    except AssertionError:
        job = last[0]
        raise AssertionError(f"job {job_id} still {job.status} after {timeout:g} s: "
                             f"{job.message}") from None
