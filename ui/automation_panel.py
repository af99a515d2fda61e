"""Settings ▸ Automation: serve the automation API from the editor, its port, token and the
webhook for every job (kept in settings.toml; the token in the keyring)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

__all__ = ["AutomationPanel"]


class AutomationPanel(QWidget):
    """Controls an :class:`~aladdin_studio.ui.editor_api.EditorApi`; changes apply at once."""

    def __init__(self, automation: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.automation = automation
        form = QFormLayout(self)
        intro = QLabel("Scripts and pipelines can generate, assemble, verify and render "
                       "through a local HTTP API (see docs/automation-api.md). It listens on "
                       "this machine only (127.0.0.1) and every request needs the token.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.enabled = QCheckBox("Serve the automation API while the editor runs")
        form.addRow(self.enabled)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        form.addRow("Port:", self.port)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Status:", self.status)
        row = QHBoxLayout()
        self.token = QLineEdit()
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QPushButton("Show")
        self.show_token.setCheckable(True)
        self.copy_token = QPushButton("Copy")
        row.addWidget(self.token, 1)
        row.addWidget(self.show_token)
        row.addWidget(self.copy_token)
        form.addRow("Token:", row)
        self.webhook = QLineEdit()
        self.webhook.setPlaceholderText("https://example.com/hook (optional)")
        self.webhook.setToolTip("Every finished job (from the editor, the CLI or the API) is "
                                "announced there, signed; see docs/automation-api.md.")
        self.webhook.setText(automation.webhook_url)
        form.addRow("Webhook for every job:", self.webhook)
        self.webhook_error = QLabel()
        self.webhook_error.setStyleSheet("color: #d9534f;")
        self.webhook_error.setWordWrap(True)
        self.webhook_error.setVisible(False)
        form.addRow(self.webhook_error)
        note = QLabel("Saved in settings.toml (ALADDIN_API_AUTOSTART, ALADDIN_API_PORT, "
                      "ALADDIN_WEBHOOK_URL override it); the token stays in the OS keyring.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid); font-size: small;")
        form.addRow(note)
        self.port.setValue(automation.port)
        self.enabled.setChecked(automation.running)
        self.enabled.toggled.connect(self._toggle)
        self.port.editingFinished.connect(self._port_changed)
        self.webhook.editingFinished.connect(self._webhook_changed)
        self.show_token.toggled.connect(self._reveal)
        self.copy_token.clicked.connect(self.copy)
        automation.state_changed.connect(self.refresh)
        self.refresh()

    def _token(self) -> str | None:
        try:
            return self.automation.token()
        except Exception as exc:  # no keyring: say so where the token would be
            self.token.setPlaceholderText(str(exc))
            return None

    def refresh(self) -> None:
        a = self.automation
        if a.running:
            self.status.setText(f"Serving {a.url} (docs: {a.server.url}/docs)")
        elif a.error:
            self.status.setText(f"Not running: {a.error}")
        else:
            self.status.setText("Off")
        self.enabled.blockSignals(True)
        self.enabled.setChecked(a.running)
        self.enabled.blockSignals(False)
        token = self._token()
        self.token.setText(token or "")
        self.copy_token.setEnabled(bool(token))

    def _toggle(self, on: bool) -> None:
        if on:
            self.automation.start(self.port.value())
        else:
            self.automation.stop()

    def _port_changed(self) -> None:
        if self.automation.running and self.port.value() != self.automation.server.port:
            self.automation.start(self.port.value())
        elif not self.automation.running:
            self.automation.set_port(self.port.value())

    def _webhook_changed(self) -> None:
        error = self.automation.set_webhook_url(self.webhook.text())
        self.webhook_error.setText(error or "")
        self.webhook_error.setVisible(bool(error))

    def _reveal(self, shown: bool) -> None:
        self.token.setEchoMode(QLineEdit.EchoMode.Normal if shown
                               else QLineEdit.EchoMode.Password)
        self.show_token.setText("Hide" if shown else "Show")

    def copy(self) -> None:
        token = self._token()
        if token:
            QGuiApplication.clipboard().setText(token)
