"""Huey's consumer running inside another program (the editor, a worker command, tests)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from huey.api import Huey
from huey.consumer import Consumer, ConsumerStopped, Scheduler

if TYPE_CHECKING:
    from .queue import JobQueue

__all__ = ["EmbeddedConsumer"]

log = logging.getLogger(__name__)


class EmbeddedConsumer(Consumer):
    """A Huey ``Consumer`` with thread workers, run from a background thread.

    It installs no signal handlers (Python allows them only on the main thread); the owner
    stops it with ``close()``. Given the ``queue``, ``start()`` first re-enqueues jobs left
    by dead consumers, and ``close()`` makes running jobs hand themselves back to the queue
    (their remote requests are kept and re-attached later) instead of waiting for them.
    """

    def __init__(self, huey: Huey, workers: int = 5, *, queue: JobQueue | None = None,
                 tick: float = 1.0, **options: Any) -> None:
        # Huey's scheduler wakes at most once a second; ``tick`` may be shorter (tests with
        # tiny retry delays) or longer.
        self.tick = tick
        options.setdefault("worker_type", "thread")
        options.setdefault("initial_delay", 0.05)  # queue polling (SQLite does not block)
        options.setdefault("max_delay", 1.0)
        super().__init__(huey, workers=workers, **options)
        self.queue = queue
        self._thread: threading.Thread | None = None

    def _create_scheduler(self) -> Scheduler:
        scheduler = super()._create_scheduler()
        scheduler.interval = self.tick
        return scheduler

    def _set_signal_handlers(self) -> None:
        """Signals belong to the host program; see ``close()``."""

    def start(self) -> None:
        """Start the scheduler and workers in the background; returns at once."""
        if self._thread is not None:
            raise RuntimeError("consumer already started")
        if self.queue is not None:
            self.queue.stopping.clear()
            self.queue.recover()
        self._thread = threading.Thread(target=self.run, name="huey-consumer", daemon=True)
        self._thread.start()

    def run(self) -> None:
        super().start()  # Consumer.start(): threads only, no signal handlers (see above)
        health_check_ts = time.monotonic()
        while True:
            try:
                health_check_ts = self.loop(health_check_ts)
            except ConsumerStopped:
                break

    def close(self, timeout: float = 30.0) -> bool:
        """Stop and join everything; True if every thread ended within ``timeout`` s."""
        if self.queue is not None:
            self.queue.interrupt()
        self.stop_flag.set()
        deadline = time.monotonic() + timeout
        threads = [self._thread] if self._thread is not None else []
        threads += [t for _, t in self.worker_threads] + [self.scheduler]
        for thread in threads:
            if thread.ident is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            log.warning("consumer threads still running after %.0f s: %s", timeout, alive)
        return not alive

    def __enter__(self) -> EmbeddedConsumer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
