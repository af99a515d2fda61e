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
    consumer = EmbeddedConsumer(queue.huey, workers or settings.max_concurrent_generations,
                                queue=queue)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
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
