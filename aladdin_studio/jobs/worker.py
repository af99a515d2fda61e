"""``aladdin-studio worker``: a separate process consuming jobs of every kind.

With ``redis_url`` set it consumes from Redis, so several worker processes split the queue;
without it, from the SQLite queue file in the data dir. Either way the job ledger is the
SQLite file in the data dir, so workers run on the machine that holds the projects. It blocks
until SIGINT/SIGTERM, then hands running jobs back to the queue (their remote requests are
re-attached by the next worker) and exits.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .consumer import EmbeddedConsumer
from .kinds import load_builtin_kinds
from .queue import JobQueue, make_huey
from .store import JobStore

if TYPE_CHECKING:
    from aladdin_studio.config import Settings

__all__ = ["main", "run_worker"]

log = logging.getLogger(__name__)


def run_worker(settings: Settings, workers: int | None = None, *,
               queue: JobQueue | None = None, store_path: str | Path | None = None,
               queue_path: str | Path | None = None, stop: threading.Event | None = None,
               shutdown_timeout: float = 30.0) -> None:
    """Consume jobs until SIGINT/SIGTERM (or ``stop`` is set).

    ``workers`` defaults to ``settings.max_concurrent_generations``. Pass ``queue`` to use a
    prepared JobQueue (tests inject providers that way); otherwise one is built from
    ``settings`` (``store_path``/``queue_path`` override the data-dir files).
    """
    load_builtin_kinds()  # every kind a job in the queue may name
    if queue is None:
        queue = JobQueue(make_huey(settings, path=queue_path), JobStore(store_path), None,
                         settings)
    stop = stop or threading.Event()
    blocking = bool(getattr(queue.huey.storage, "blocking", False))  # Redis: BRPOP
    # On Redis a failed poll is the only reason to sleep: back off up to 30 s, not 1 s.
    options = {"backoff": 2.0, "max_delay": 30.0} if blocking else {}
    consumer = EmbeddedConsumer(queue.huey, workers or settings.max_concurrent_generations,
                                queue=queue, **options)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    quiet = _QueueErrorsOncePerMinute()
    huey_loggers = [logging.getLogger(f"huey.consumer.{n}") for n in ("Worker", "Scheduler")]
    for logger in huey_loggers:
        logger.addFilter(quiet)
    try:
        if not wait_for_queue(queue.huey, stop):
            return
        consumer.start()
        log.info("worker started: %d thread(s), queue %s", consumer.workers,
                 type(queue.huey).__name__)
        while not stop.wait(0.5):
            pass
        log.info("worker stopping")
    finally:
        consumer.close(shutdown_timeout)
        if queue.webhook is not None:
            queue.webhook.wait(shutdown_timeout)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for logger in huey_loggers:
            logger.removeFilter(quiet)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def wait_for_queue(huey, stop: threading.Event, *, first_delay: float = 1.0,
                   max_delay: float = 30.0) -> bool:
    """Block until the queue's storage answers (False if ``stop`` is set first). While it
    does not (``REDIS_URL`` unreachable), say so once on stderr and retry with backoff."""
    delay, told = first_delay, False
    while True:
        try:
            huey.storage.queue_size()
            break
        except Exception as exc:  # redis.ConnectionError, timeouts, auth, DNS ...
            if not told:
                print(f"aladdin-studio worker: cannot reach the job queue ({_reason(exc)}); "
                      "retrying with backoff until it answers (Ctrl+C to stop).",
                      file=sys.stderr, flush=True)
                told = True
        if stop.wait(delay):
            return False
        delay = min(delay * 2, max_delay)
    if told:
        print("aladdin-studio worker: the job queue answers; starting.", file=sys.stderr,
              flush=True)
    return True


class _QueueErrorsOncePerMinute(logging.Filter):
    """Huey logs a full traceback for every failed poll of its queue (each worker thread,
    several a second while Redis is down). Let one line through per minute instead."""

    def __init__(self, every_s: float = 60.0) -> None:
        super().__init__()
        self.every_s = every_s
        self._last = -every_s
        self._hidden = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith("Error "):
            return True
        now = time.monotonic()
        if now - self._last < self.every_s:
            self._hidden += 1
            return False
        reason = _reason(record.exc_info[1]) if record.exc_info and record.exc_info[1] else ""
        more = f" ({self._hidden} more since the last report)" if self._hidden else ""
        record.msg = f"the job queue cannot be reached: {reason}; retrying with backoff{more}"
        record.args, record.exc_info, record.exc_text = (), None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        self._last, self._hidden = now, 0
        return True


def main(argv: list[str] | None = None) -> int:
    """``aladdin-studio worker [--workers N] [--redis-url URL] [--store F] [--queue-file F]``."""
    from aladdin_studio.config import ConfigError, load_settings

    parser = argparse.ArgumentParser(prog="aladdin-studio worker",
                                     description="Run generation jobs until interrupted.")
    parser.add_argument("--workers", type=int, default=None,
                        help="concurrent jobs (default: max_concurrent_generations)")
    parser.add_argument("--redis-url", help="consume from this Redis (default: settings)")
    parser.add_argument("--store", help="job ledger file (default: in the data dir)")
    parser.add_argument("--queue-file", help="SQLite queue file when Redis is not used")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"aladdin-studio worker: {exc}", file=sys.stderr)
        return 2
    if args.redis_url:
        settings.redis_url = args.redis_url
    run_worker(settings, args.workers, store_path=args.store, queue_path=args.queue_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
