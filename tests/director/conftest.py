"""Director tests: a project, a queue with the local providers at a small size and a
running consumer (generation, voice, export, publish and assemble jobs all on it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BRIEF_DIR = Path(__file__).resolve().parents[2] / "resources" / "briefs"


@pytest.fixture
def director_project(tmp_path: Path) -> Path:
    from aladdin_studio.timeline.project_io import new_project

    path = tmp_path / "Director.aladdin"
    new_project(path)
    return path


@pytest.fixture
def brief_copy(tmp_path: Path) -> Path:
    """The shipped example brief and its media, copied (tests may change them)."""
    import shutil

    target = tmp_path / "briefs"
    shutil.copytree(BRIEF_DIR, target, ignore=shutil.ignore_patterns("schema.json"))
    return target / "park-morning.yaml"


def local_settings(**values: Any) -> Any:
    from aladdin_studio.config import Settings

    return Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500,
                    **values)


@pytest.fixture
def director_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``make(settings=None, consumer=True, workers=8)`` -> queue (local animatics at 90 px
    short side), with an embedded consumer of ``workers`` threads unless ``consumer`` is
    False."""
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    made: list[Any] = []
    local = LocalProvider(tmp_path / "renders-work", short_side=90)

    def providers(name: str) -> Any:
        if name != "local":
            raise ValueError(name)
        return local

    def make(settings: Any = None, consumer: bool = True, workers: int = 8) -> Any:
        settings = settings or local_settings()
        queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                         JobStore(tmp_path / "jobs.sqlite3"), providers, settings,
                         backoff_base=0.01, poll_interval=0.02)
        if consumer:
            c = EmbeddedConsumer(queue.huey, workers, queue=queue, tick=0.05)
            c.start()
            made.append(c)
        return queue

    yield make
    for c in made:
        c.close(10)
