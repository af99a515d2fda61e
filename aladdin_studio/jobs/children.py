"""Waiting for other jobs from inside a job without starving them of workers.

An orchestrating kind (the director's ``assemble``, the API's ``assemble_clips``) queues
child jobs on the same queue and waits for them. Holding a consumer thread while a child
waits for one deadlocks a queue with a single worker (``max_concurrent_generations = 1``,
``aladdin-studio worker --workers 1``, two orchestrators on two workers). So the waiting job
keeps its worker only while every unfinished child is being run by some worker; once a
child has waited ``park_after`` s for a worker, the orchestrator parks: it hands its worker
back and runs again after ``park_delay`` s (``JobContext.park``: its task goes to the back of
the queue, behind the children queued before it). Its run then starts over from the state it
keeps in the ledger, as after a restart. Redis workers on several machines behave the same:
the ledger says which children have a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import JobContext
    from .store import Job

__all__ = ["PARK_AFTER_S", "PARK_DELAY_S", "ChildWait", "waiting_for_worker"]

# Longer than an idle embedded consumer's longest queue poll (1 s), so a child queued while
# workers are free is picked up before its parent gives up its own worker.
PARK_AFTER_S = 1.5
PARK_DELAY_S = 0.5


def waiting_for_worker(jobs: Sequence[Job]) -> list[Job]:
    """The unfinished jobs no worker runs now (queued, delayed, or handed back)."""
    return [j for j in jobs if not j.done and j.worker is None]


class ChildWait:
    """One run's wait for its children; call :meth:`check` after each poll of them."""

    def __init__(self, ctx: JobContext, *, park_after: float = PARK_AFTER_S,
                 park_delay: float = PARK_DELAY_S) -> None:
        self.ctx = ctx
        self.park_after = park_after
        self.park_delay = park_delay
        self._since: float | None = None

    def check(self, children: Sequence[Job],
              before_park: Callable[[], None] | None = None) -> None:
        """Return to keep waiting in this thread; raise JobStopped after handing the worker
        back (a consumer shutting down, or a child waiting for a worker). ``before_park``
        saves the caller's state first."""
        waiting = waiting_for_worker(children)
        stopping = self.ctx.stopping.is_set()
        if not waiting and not stopping:
            self._since = None
            return
        now = time.monotonic()
        if self._since is None:
            self._since = now
        if not stopping and now - self._since < self.park_after:
            return
        if before_park is not None:
            before_park()
        if stopping:  # the next consumer resumes it
            self.ctx.park(0.0, message="Waiting for a worker (resumes where it was)")
        self.ctx.park(self.park_delay,
                      message=f"Waiting for {len(waiting)} job(s) to get a worker")

