"""A consumer process for the FAL crash test: ``run_worker`` on a SqliteHuey file with the real
FalProvider (the parent test process set FAL_QUEUE_RUN_HOST and SSL_CERT_FILE for the emulator).
Usage: fal_consumer_proc.py QUEUE_FILE STORE_FILE KEY."""

from __future__ import annotations

import sys

from aladdin_studio.config import Settings
from aladdin_studio.jobs import JobQueue, JobStore, make_huey
from aladdin_studio.jobs.worker import run_worker


def main(queue_file: str, store_file: str, key: str) -> None:
    settings = Settings(provider="fal", fal_api_key=key)
    queue = JobQueue(make_huey(settings, path=queue_file), JobStore(store_file), None, settings,
                     poll_interval=0.05, backoff_base=0.01)
    run_worker(settings, 2, queue=queue)


if __name__ == "__main__":
    main(*sys.argv[1:4])
