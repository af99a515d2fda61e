"""Edit → Settings…: API keys (OS keyring), generation backend, services, video defaults.

Secrets (every :data:`~aladdin_studio.config.SECRET_FIELDS` entry) are typed into
password-mode fields that start empty: the stored value is only ever shown masked (as the
placeholder, e.g. ``…7f3a``), an empty field means "keep", and a new value goes to the OS
keyring through :mod:`aladdin_studio.secrets` — never to ``settings.toml``, never to a log.
Everything else is written with :func:`~aladdin_studio.config.save_settings`. A setting that an
environment variable provides is shown read-only, because the variable would win anyway.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import secrets as secret_store
from ..config import ENV_VARS, PROVIDERS, SECRET_FIELDS, ConfigError, Settings, load_settings

__all__ = ["SettingsDialog", "env_note"]

log = logging.getLogger(__name__)

SECRET_LABELS = {
    "fal_api_key": "fal.ai API key",
    "elevenlabs_api_key": "ElevenLabs API key",
    "r2_secret_access_key": "R2 secret access key",
    "neo4j_password": "Neo4j password",
}
PROVIDER_LABELS = {"auto": "Automatic (cloud when configured, else local)",
                   "local": "Local (this computer)", "fal": "fal.ai (cloud)"}
SERVICE_FIELDS = {
    "redis_url": ("Redis URL", "redis://localhost:6379/0"),
    "mongodb_uri": ("MongoDB URI", "mongodb://localhost:27017"),
    "neo4j_uri": ("Neo4j URI", "neo4j://localhost:7687"),
    "neo4j_user": ("Neo4j user", "neo4j"),
    "r2_account_id": ("R2 account ID", ""),
    "r2_access_key_id": ("R2 access key ID", ""),
    "r2_bucket_name": ("R2 bucket", "aladdin-media"),
    "r2_public_domain": ("R2 public domain", "media.example.com"),
    "r2_endpoint_url": ("R2 endpoint URL", "https://<account>.r2.cloudflarestorage.com"),
}
_ERROR_STYLE = "color: #d9534f;"
_NOTE_STYLE = "color: palette(mid); font-size: small;"


def env_var_for(name: str, environ: Any = None) -> str:
    """The environment variable that provides setting ``name`` (the first one set)."""
    environ = os.environ if environ is None else environ
    names = ENV_VARS[name]
    return next((v for v in names if (environ.get(v) or "").strip()), names[0])


def env_note(name: str, environ: Any = None) -> str:
    return f"set by ${env_var_for(name, environ)} (environment variables take precedence)"


def _hide_url_password(url: str) -> str:
    """``scheme://user:***@host`` for display (env URLs are shown, not edited here)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url


class SettingsDialog(QDialog):
    """Edit the settings; Save writes the file and the keyring, then accepts."""

    settings_saved = Signal(object)  # the (updated) Settings

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None, *,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(620)
        self.path = path
        self.load_error: str | None = None
        if settings is None:
            try:
                settings = load_settings(path=path)
            except ConfigError as exc:
                self.load_error = f"{exc} — showing the defaults; saving replaces the file."
                settings = Settings()
        self.settings = settings
        self.fields: dict[str, QWidget] = {}
        self.notes: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self.clear_boxes: dict[str, QCheckBox] = {}
        self._build()
        self._load()

    # ------------------------------------------------------------------ widgets

    def _row(self, form: QFormLayout, name: str, label: str, editor: QWidget) -> None:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(editor)
        note = QLabel("")
        note.setStyleSheet(_NOTE_STYLE)
        note.setWordWrap(True)
        note.setVisible(False)
        error = QLabel("")
        error.setStyleSheet(_ERROR_STYLE)
        error.setWordWrap(True)
        error.setVisible(False)
        lay.addWidget(note)
        lay.addWidget(error)
        if name in SECRET_FIELDS:
            clear = QCheckBox("Remove the stored value")
            lay.addWidget(clear)
            self.clear_boxes[name] = clear
        form.addRow(label + ":", box)
        self.fields[name] = editor
        self.notes[name] = note
        self.errors[name] = error

    def _build(self) -> None:
        tabs = QTabWidget()

        keys = QWidget()
        form = QFormLayout(keys)
        intro = QLabel("Keys are stored in the OS keyring, never in the settings file or in "
                       "projects. Leave a field empty to keep the stored key.")
        intro.setWordWrap(True)
        form.addRow(intro)
        for name in SECRET_FIELDS:
            edit = QLineEdit()
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setClearButtonEnabled(True)
            self._row(form, name, SECRET_LABELS.get(name, name.replace("_", " ")), edit)
        tabs.addTab(keys, "API keys")

        services = QWidget()
        form = QFormLayout(services)
        combo = QComboBox()
        for value in PROVIDERS:
            combo.addItem(PROVIDER_LABELS.get(value, value), value)
        self._row(form, "provider", "Generation backend", combo)
        for name, (label, hint) in SERVICE_FIELDS.items():
            edit = QLineEdit()
            edit.setPlaceholderText(hint)
            self._row(form, name, label, edit)
        tabs.addTab(services, "Services")

        video = QWidget()
        form = QFormLayout(video)
        resolution = QComboBox()
        resolution.setEditable(True)
        resolution.addItems(["1920x1080", "1280x720", "1080x1920", "3840x2160"])
        self._row(form, "video_default_resolution", "Default resolution", resolution)
        fps = QSpinBox()
        fps.setRange(1, 240)
        fps.setSuffix(" fps")
        self._row(form, "video_default_fps", "Default frame rate", fps)
        autosave = QSpinBox()
        autosave.setRange(0, 24 * 3600)
        autosave.setSuffix(" s")
        autosave.setSpecialValueText("off")
        self._row(form, "autosave_interval_s", "Autosave after an edit", autosave)
        limit = QComboBox()
        limit.addItem("Warn (scene status)", 0)
        limit.addItem("Refuse the edit", 1)
        self._row(form, "enforce_clip_limit", "Over the scene clip limit", limit)
        tabs.addTab(video, "Video && autosave")
        automation = getattr(self.parent(), "automation", None)
        if automation is not None:  # the editor's in-process automation API
            from .automation_panel import AutomationPanel

            tabs.addTab(AutomationPanel(automation), "Automation")

        self.error_label = QLabel("")
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.tabs = tabs

    # ------------------------------------------------------------------ values

    def is_env_locked(self, name: str) -> bool:
        return self.settings.source(name) == "env"

    def _load(self) -> None:
        s = self.settings
        if self.load_error:
            self._show_error(self.load_error)
        for name, editor in self.fields.items():
            value = getattr(s, name)
            locked = self.is_env_locked(name)
            if name in SECRET_FIELDS:
                assert isinstance(editor, QLineEdit)
                editor.clear()  # the stored secret is never put into a widget
                shown = secret_store.mask(value)
                if locked:
                    editor.setPlaceholderText(shown)
                    self.clear_boxes[name].setVisible(False)
                elif value:
                    editor.setPlaceholderText(f"{shown} (stored; type to replace)")
                    self.clear_boxes[name].setEnabled(s.source(name) == "keyring")
                else:
                    editor.setPlaceholderText("not set")
                    self.clear_boxes[name].setEnabled(False)
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QComboBox) and editor.isEditable():
                editor.setCurrentText(str(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findData(value)))
            else:
                assert isinstance(editor, QLineEdit)
                editor.setText(_hide_url_password(str(value)) if locked else str(value))
            if locked:
                self._lock(name, editor)

    def _lock(self, name: str, editor: QWidget) -> None:
        if isinstance(editor, QLineEdit | QSpinBox):
            editor.setReadOnly(True)
        else:
            editor.setEnabled(False)
        editor.setToolTip(env_note(name))
        note = self.notes[name]
        note.setText(env_note(name))
        note.setVisible(True)

    def _value(self, name: str) -> Any:
        editor = self.fields[name]
        if isinstance(editor, QSpinBox):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentText().strip() if editor.isEditable() else editor.currentData()
        assert isinstance(editor, QLineEdit)
        return editor.text().strip()

    # ------------------------------------------------------------------ saving

    def _show_error(self, text: str, name: str | None = None) -> None:
        if name is not None and name in self.errors:
            label = self.errors[name]
            label.setText(text)
            label.setVisible(True)
            editor = self.fields[name]
            self.tabs.setCurrentIndex(self._tab_of(editor))
            editor.setFocus()
        self.error_label.setText(text)
        self.error_label.setVisible(True)

    def _tab_of(self, editor: QWidget) -> int:
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(editor):
                return i
        return 0

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.setVisible(False)
        self.error_label.clear()
        self.error_label.setVisible(False)

    def save(self) -> bool:
        """Validate, write the settings file and the keyring (``services.settings``); accept
        on success, else show the error beside the field it names."""
        from ..services.settings import apply_settings

        self._clear_errors()
        values = {name: self._value(name) for name in self.fields
                  if name not in SECRET_FIELDS and not self.is_env_locked(name)}
        secrets: dict[str, str | None] = {}  # field -> new value, None = remove
        for name in SECRET_FIELDS:
            if self.is_env_locked(name):
                continue
            value = self._value(name)
            if value:
                secrets[name] = value
            elif self.clear_boxes[name].isChecked():
                secrets[name] = None
        try:
            apply_settings(self.settings, values, secrets, self.path)
        except ConfigError as exc:
            self._show_error(str(exc), exc.field if exc.field in self.fields else None)
            return False
        for name in secrets:
            self.fields[name].clear()  # type: ignore[attr-defined]
        self.settings_saved.emit(self.settings)
        self.accept()
        return True
