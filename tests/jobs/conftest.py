"""Fixtures for the job queue tests: a project bundle, settings, and a queue factory that
runs an embedded SqliteHuey consumer (stopped at teardown)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from aladdin_studio.config import Settings  # noqa: E402
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from aladdin_studio.timeline.project_io import new_project

    path = tmp_path / "P.aladdin"
    new_project(path)
    return path


@pytest.fixture
def settings() -> Settings:
    return Settings(provider="local", max_generations_per_hour=50)


@pytest.fixture
def start_consumer() -> Iterator[Callable[..., EmbeddedConsumer]]:
    """``start_consumer(queue, workers=5)``: an embedded consumer, closed at teardown."""
    consumers: list[EmbeddedConsumer] = []

    def start(queue: JobQueue, workers: int = 5) -> EmbeddedConsumer:
        consumer = EmbeddedConsumer(queue.huey, workers, queue=queue, tick=0.05)
        consumer.start()
        consumers.append(consumer)
        return consumer

    yield start
    for consumer in consumers:
        assert consumer.close(10)


@pytest.fixture
def make_queue(tmp_path: Path, settings: Settings,
               start_consumer: Callable[..., EmbeddedConsumer]) -> Callable[..., JobQueue]:
    """``make_queue(provider=None, start=True, **queue_options)``: a JobQueue on a SqliteHuey
    and JobStore in ``tmp_path`` (``provider`` serves every model; None: the real factory),
    with a running embedded consumer unless ``start`` is false. Backoff and polling are
    shortened to keep the tests fast."""

    def make(provider: Any = None, *, start: bool = True, **options: Any) -> JobQueue:
        options.setdefault("backoff_base", 0.01)
        options.setdefault("poll_interval", 0.02)
        factory = (lambda name: provider) if provider is not None else None
        queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                         JobStore(tmp_path / "jobs.sqlite3"), factory, settings, **options)
        if start:
            start_consumer(queue)
        return queue

    return make
