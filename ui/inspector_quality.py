"""The Inspector's Quality box: the active take's verification report (verdict, score,
each check, issues, suggestions) and the buttons to verify it now."""

from __future__ import annotations

from typing import Any

import opentimelineio as otio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..quality.takes import clip_report, report_text

__all__ = ["QualityBox"]


class QualityBox(QGroupBox):
    def __init__(self, panel: Any) -> None:
        super().__init__("Quality")
        self.panel = panel
        self.clip: otio.schema.Clip | None = None
        layout = QVBoxLayout(self)
        self.report = QLabel()
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.report)
        buttons = QHBoxLayout()
        self.verify = QPushButton("Verify")
        self.verify.setToolTip("Check duration, size, frame rate, motion and clarity "
                               "(and the references of a generated take)")
        self.verify_ref = QPushButton("Against Reference…")
        self.verify_ref.setToolTip("Check this clip against a character or location "
                                   "picture you pick (e.g. imported footage)")
        buttons.addWidget(self.verify)
        buttons.addWidget(self.verify_ref)
        layout.addLayout(buttons)
        self._listening = False
        self.verify.clicked.connect(lambda: self._verify(False))
        self.verify_ref.clicked.connect(lambda: self._verify(True))

    def _ctx(self) -> Any:
        return self.panel.inspector.ctx

    def _verify(self, ask_reference: bool) -> None:
        from .quality_actions import verifier_for, verify_clip

        if self.clip is None:
            return
        verifier = verifier_for(self._ctx())
        if verify_clip(self._ctx(), self.clip, self.window(), ask_reference=ask_reference):
            self.report.setText("Verifying…")
            if not self._listening:
                verifier.failed.connect(self._failed)
                self._listening = True

    def _failed(self, clip: Any, message: str) -> None:
        if clip is self.clip:
            self.report.setText(f"Could not verify: {message}")

    def show_item(self, clip: otio.schema.Clip, visible: bool = True) -> None:
        self.clip = clip
        self.setVisible(visible)
        if visible:
            self.report.setText(report_text(clip_report(clip)))
