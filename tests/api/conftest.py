"""Fixtures for the automation API tests: a real uvicorn server on a free loopback port
(in a thread) over a private job ledger and queue, an in-memory keyring, registered
projects, and an httpx client."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from api_helpers import TOKEN  # noqa: E402
from memory_keyring import MemoryKeyring  # noqa: E402

from aladdin_studio.config import Settings  # noqa: E402


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    for name in ("ALADDIN_API_TOKEN", "ALADDIN_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def settings() -> Settings:
    return Settings(provider="local", max_generations_per_hour=50)


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[[str], Any]:
    """``new_project(name)``: a registered 320x180 project; returns its registry entry."""
    from aladdin_studio.project_registry import register
    from aladdin_studio.timeline.project_io import new_project as create

    def make(name: str = "P") -> Any:
        path = tmp_path / f"{name}.aladdin"
        create(path, size=(320, 180))
        return register(path)

    return make


class Api:
    """A running server and a client holding the token."""

    def __init__(self, server: Any, app: Any) -> None:
        self.server = server
        self.app = app
        self.backend = app.state.backend
        self.url = server.url
        self.ws_url = self.url.replace("http://", "ws://")
        self.client = httpx.Client(base_url=self.url, timeout=30,
                                   headers={"Authorization": f"Bearer {TOKEN}"})
        self.anonymous = httpx.Client(base_url=self.url, timeout=30)

    def close(self) -> None:
        self.client.close()
        self.anonymous.close()


@pytest.fixture
def start_api(tmp_path: Path, settings: Settings, memory_keyring: MemoryKeyring
              ) -> Iterator[Callable[..., Api]]:
    """``start_api(max_body=1 MiB, webhook_backoff=0.05, **backend_options)``: the app on a
    real uvicorn server (``workers=2`` consumer threads unless given)."""
    from aladdin_studio.api.app import create_app
    from aladdin_studio.api.backend import ApiBackend
    from aladdin_studio.api.server import ApiServer
    from aladdin_studio.jobs import JobStore, make_huey

    started: list[tuple[Api, Any]] = []

    def start(max_body: int = 1024 * 1024, webhook_backoff: float = 0.05,
              **options: Any) -> Api:
        options.setdefault("queue_options", {"poll_interval": 0.02, "backoff_base": 0.01})
        options.setdefault("workers", 2)
        backend = ApiBackend(settings, store=JobStore(tmp_path / "jobs.sqlite3"),
                             huey=make_huey(settings, path=tmp_path / "queue.sqlite3"),
                             **options)
        app = create_app(backend, TOKEN, max_body=max_body, webhook_backoff=webhook_backoff)
        server = ApiServer(app).start()
        api = Api(server, app)
        started.append((api, backend))
        return api

    yield start
    for api, backend in started:
        api.close()
        api.server.stop()
        backend.close()


@pytest.fixture
def api(start_api: Callable[..., Api]) -> Api:
    return start_api()
