"""Running the API: ``aladdin-studio serve`` (uvicorn in the foreground) and
:class:`ApiServer` (uvicorn in a background thread, for the editor and the tests)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import uvicorn

from .access import is_loopback

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ApiServer", "exposure_notice", "free_port"]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def exposure_notice(host: str, port: int) -> str:
    """What binding ``host`` exposes (printed before a non-loopback server starts)."""
    return (f"The automation API on {host}:{port} is reachable from other machines: anyone "
            "who can reach this port and has the token can generate videos (and spend on "
            "your FAL account), read and change the projects in the registry, and fetch "
            "their media. The traffic is plain HTTP; put it behind TLS (a reverse proxy) "
            "on untrusted networks.")


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    options.setdefault("log_level", "warning")
    options.setdefault("access_log", False)
    options.setdefault("timeout_graceful_shutdown", 5)
    return uvicorn.Config(app, host=host, port=port, lifespan="on", ws="websockets-sansio",
                          **options)


class ApiServer:
    """uvicorn serving ``app`` from a background thread; ``start()`` returns once it
    accepts connections, ``stop()`` shuts it down (lifespan: watcher and consumer stop)."""

    def __init__(self, app: Any, host: str = DEFAULT_HOST, port: int | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn_config(app, self.host, self.port))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ApiServer:
        if not is_loopback(self.host):
            log.warning(exposure_notice(self.host, self.port))
        self._thread = threading.Thread(target=self.server.run, name="api-server",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise OSError(f"The automation API could not start on {self.host}:"
                              f"{self.port} (is the port in use?).")
            if time.monotonic() > deadline:
                self.stop()
                raise OSError(f"The automation API did not start within {timeout:g} s.")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.server.started
