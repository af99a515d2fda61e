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
    """Starts/stops the API for one editor window; ``ctx.automation`` points at it.

    Its preferences (start with the editor, port) are the app's settings ``api_autostart``
    and ``api_port`` in ``settings.toml``, written through ``services.settings``; the token
    stays in the keyring. Values an earlier version kept in QSettings are moved there once.
    """

    state_changed = Signal()  # running or not, port, error
    _call = Signal(object)  # (fn, future): run fn() on the GUI thread

    def __init__(self, ctx: Any, *, qsettings: QSettings | None = None,
                 settings_path: Path | None = None) -> None:
        super().__init__(ctx if isinstance(ctx, QObject) else None)
        self.ctx = ctx
        self.qsettings = qsettings
        self.settings_path = settings_path  # None: the user's settings.toml
        self._settings: Any = None
        self.server: Any = None
        self.backend: Any = None
        self.error: str | None = None
        self._call.connect(self._run_call, Qt.ConnectionType.QueuedConnection)
        self._gui = threading.current_thread()
        self.migrate_qsettings()

    # ------------------------------------------------------------------ preferences

    @property
    def settings(self) -> Any:
        """The editor's live settings (loaded here when the editor has none)."""
        live = getattr(self.ctx, "settings", None)
        if live is not None:
            return live
        if self._settings is None:
            from ..config import ConfigError, Settings, load_settings

            try:
                self._settings = load_settings(path=self.settings_path)
            except ConfigError as exc:
                log.warning("settings not readable, automation uses defaults: %s", exc)
                self._settings = Settings()
        return self._settings

    @property
    def enabled(self) -> bool:
        return bool(self.settings.api_autostart)

    @property
    def port(self) -> int:
        return int(self.settings.api_port)

    def _remember(self, **values: Any) -> str | None:
        """Write ``values`` to the settings (file and live); a refusal is logged and
        returned (the API keeps running as asked)."""
        from ..config import ConfigError
        from ..services.settings import apply_settings

        try:
            apply_settings(self.settings, values, path=self.settings_path)
        except ConfigError as exc:
            log.warning("the automation settings were not saved: %s", exc)
            return str(exc)
        return None

    def set_port(self, port: int) -> str | None:
        """Remember the port for the next start; returns why it was refused, or None."""
        return None if int(port) == self.port else self._remember(api_port=int(port))

    @property
    def webhook_url(self) -> str:
        return str(self.settings.webhook_url or "")

    def set_webhook_url(self, url: str) -> str | None:
        """The webhook every finished job is announced to (setting ``webhook_url``; empty:
        none). Returns why it was refused, or None once saved."""
        url = url.strip()
        if url == self.webhook_url:
            return None
        return self._remember(webhook_url=url)

    def migrate_qsettings(self) -> dict[str, Any]:
        """Move ``automation/enabled`` and ``automation/port`` from QSettings (where earlier
        versions kept them) into the settings, unless the settings file or the environment
        already sets them; the QSettings keys are removed, so this happens once. Returns
        what was moved."""
        prefs = self.qsettings if self.qsettings is not None else QSettings(
            "Aladdin Studio", "Aladdin Studio")
        keys = {"automation/enabled": "api_autostart", "automation/port": "api_port"}
        found = {key: prefs.value(key) for key in keys if prefs.contains(key)}
        if not found:
            return {}
        moved: dict[str, Any] = {}
        settings = self.settings
        for key, value in found.items():
            name = keys[key]
            if settings.source(name) != "default":
                continue
            try:
                moved[name] = (int(str(value).lower() == "true") if name == "api_autostart"
                               else int(value))
            except (TypeError, ValueError):
                continue
        if moved:
            self._remember(**moved)
        for key in found:
            prefs.remove(key)
        prefs.sync()
        return moved

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
        if (self.port, self.enabled) != (int(port), True):
            self._remember(api_port=int(port), api_autostart=1)
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
        if remember and self.enabled:
            self._remember(api_autostart=0)
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

    def run_edit(self, fn: Any, save: bool = False) -> Any:
        """``fn(project, push)`` on the GUI thread, ``push`` the editor session's (its undo
        stack; a refused edit raises); with ``save``, the project is saved after it (a job
        that reads the project file, e.g. an assembly's render, needs the edit on disk)."""
        def run() -> Any:
            result = fn(self.ctx.project, self.ctx.session.push)
            if save:
                self.ctx.session.save()
            return result

        return self._on_gui(run)

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
