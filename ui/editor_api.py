"""The automation API served from inside the editor (Settings ▸ Automation).

It shares the editor's job queue and ledger (``ctx.generation``), so jobs submitted through
it show in the Jobs dock and land on the timeline like the Generate dialog's. Requests that
change the open project run on the GUI thread (queued to it and awaited by the server's
worker thread) and push onto the editor's undo stack; other registered projects are edited
on disk by the API as in ``aladdin-studio serve``.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal

__all__ = ["DEFAULT_PORT", "EditorApi"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
GUI_TIMEOUT_S = 30.0


class EditorApi(QObject):
    """Starts/stops the API for one editor window; ``ctx.automation`` points at it."""

    state_changed = Signal()  # running or not, port, error
    _call = Signal(object)  # (fn, future): run fn() on the GUI thread

    def __init__(self, ctx: Any, *, qsettings: QSettings | None = None) -> None:
        super().__init__(ctx if isinstance(ctx, QObject) else None)
        self.ctx = ctx
        self.qsettings = qsettings
        self.server: Any = None
        self.backend: Any = None
        self.error: str | None = None
        self._call.connect(self._run_call, Qt.ConnectionType.QueuedConnection)
        self._gui = threading.current_thread()

    # ------------------------------------------------------------------ preferences

    def _prefs(self) -> QSettings:
        if self.qsettings is None:
            self.qsettings = QSettings("Aladdin Studio", "Aladdin Studio")
        return self.qsettings

    @property
    def enabled(self) -> bool:
        return str(self._prefs().value("automation/enabled", "false")).lower() == "true"

    @property
    def port(self) -> int:
        try:
            return int(self._prefs().value("automation/port", DEFAULT_PORT))
        except (TypeError, ValueError):
            return DEFAULT_PORT

    def start_if_enabled(self) -> None:
        if self.enabled:
            self.start(self.port)

    # ------------------------------------------------------------------ server

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    @property
    def url(self) -> str | None:
        return f"{self.server.url}/api/v1" if self.running else None

    def token(self) -> str:
        from ..api.access import api_token

        return api_token()

    def start(self, port: int) -> bool:
        """Serve on 127.0.0.1:``port`` (remembered); False with ``error`` set on failure."""
        from ..api.app import create_app
        from ..api.backend import ApiBackend
        from ..api.server import ApiServer

        self.stop(remember=False)
        self._prefs().setValue("automation/port", int(port))
        self._prefs().setValue("automation/enabled", "true")
        try:
            generation = self.ctx.generation
            backend = ApiBackend(generation.settings, queue=generation.queue, editor=self)
            server = ApiServer(create_app(backend, self.token()), port=int(port)).start()
        except Exception as exc:  # the port is taken, no keyring for the token, ...
            self.error = str(exc)
            log.warning("the automation API did not start: %s", exc)
            self.state_changed.emit()
            return False
        self.server, self.backend, self.error = server, backend, None
        self.state_changed.emit()
        return True

    def stop(self, remember: bool = True) -> None:
        if remember:
            self._prefs().setValue("automation/enabled", "false")
        server, backend, self.server, self.backend = self.server, self.backend, None, None
        if server is not None:
            server.stop()
        if backend is not None:
            backend.close()
        self.state_changed.emit()

    def close(self) -> None:
        """Stop serving (the window closes); the preference is kept for the next start."""
        self.stop(remember=False)

    # ------------------------------------------------------------------ EditorHost

    def open_project_file(self) -> Path | None:
        location = getattr(self.ctx.project, "location", None)
        return location.file if location is not None else None

    def run_edit(self, fn: Any) -> Any:
        """``fn(project, push)`` on the GUI thread, ``push`` the editor session's (its undo
        stack; a refused edit raises)."""
        return self._on_gui(lambda: fn(self.ctx.project, self.ctx.session.push))

    def ensure_consumer(self) -> None:
        self._on_gui(self.ctx.generation.ensure_consumer)

    def _on_gui(self, fn: Any) -> Any:
        if threading.current_thread() is self._gui:
            return fn()
        future: Future = Future()
        self._call.emit((fn, future))
        try:
            return future.result(timeout=GUI_TIMEOUT_S)
        except TimeoutError:
            from ..api.errors import ApiError
            from ..errors import ErrorKind

            future.cancel()
            raise ApiError(f"The editor did not take the request within {GUI_TIMEOUT_S:g} s "
                           "(is a modal dialog open?); try again.", ErrorKind.UNAVAILABLE,
                           status=503) from None

    def _run_call(self, call: tuple[Any, Future]) -> None:
        fn, future = call
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting request thread
            future.set_exception(exc)
