"""Voice tests: the ElevenLabs emulator (one per session, reset per test) reached by the
real ``elevenlabs`` SDK through ``base_url``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elevenlabs_emulator import DEFAULT_KEY, ElevenLabsEmulator  # noqa: E402

EL_KEY = DEFAULT_KEY


@pytest.fixture(scope="session")
def el_server() -> Iterator[ElevenLabsEmulator]:
    emulator = ElevenLabsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def elevenlabs(el_server: ElevenLabsEmulator,
               monkeypatch: pytest.MonkeyPatch) -> ElevenLabsEmulator:
    """A clean emulator; ``ELEVENLABS_API_KEY``/``ELEVENLABS_BASE_URL`` point at it."""
    el_server.reset()
    monkeypatch.setenv("ELEVENLABS_API_KEY", EL_KEY)
    monkeypatch.setenv("ELEVENLABS_BASE_URL", el_server.base_url)
    return el_server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from aladdin_studio.timeline.project_io import new_project

    path = tmp_path / "P.aladdin"
    new_project(path)
    return path


@pytest.fixture
def voice_queue(tmp_path: Path):
    """``voice_queue(settings=None, workers=3)``: a JobQueue (SqliteHuey + ledger in
    tmp_path) with a running embedded consumer, closed at teardown."""
    from aladdin_studio.config import Settings
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    made: list = []

    def make(settings: Settings | None = None, workers: int = 3, **options):
        settings = settings or Settings(max_generations_per_hour=500)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("poll_interval", 0.02)
        queue = JobQueue(make_huey(settings, path=tmp_path / f"q{len(made)}.sqlite3"),
                         JobStore(tmp_path / "jobs.sqlite3"), None, settings, **options)
        consumer = EmbeddedConsumer(queue.huey, workers, queue=queue, tick=0.05)
        consumer.start()
        made.append(consumer)
        return queue

    yield make
    for consumer in made:
        assert consumer.close(10)
