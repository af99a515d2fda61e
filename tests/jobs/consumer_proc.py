"""A consumer process for the crash test: ``run_worker`` on a SqliteHuey file with the
file-backed test provider. Usage: consumer_proc.py QUEUE_FILE STORE_FILE STATE_DIR."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FileProvider, fake_registry  # noqa: E402

from aladdin_studio.config import Settings  # noqa: E402
from aladdin_studio.jobs import JobQueue, JobStore, make_huey  # noqa: E402
from aladdin_studio.jobs.worker import run_worker  # noqa: E402


def main(queue_file: str, store_file: str, state_dir: str) -> None:
    settings = Settings(provider="fal")
    # Never done while this process lives (the test kills it once the request is submitted,
    # however long that takes); the test's own provider finishes it after 1.5 s.
    provider = FileProvider(state_dir, complete_after=3600.0)
    queue = JobQueue(make_huey(settings, path=queue_file), JobStore(store_file),
                     lambda name: provider, settings, registry=fake_registry(),
                     poll_interval=0.05)
    run_worker(settings, 2, queue=queue)


if __name__ == "__main__":
    main(*sys.argv[1:4])
