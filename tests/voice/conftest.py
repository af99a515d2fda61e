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
