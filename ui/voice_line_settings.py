"""One dialogue line's own delivery: emotion and TTS overrides (stability, similarity,
style, speed, seed) over its character's settings. Each setting is either the character's
(unticked, shown for reference) or this line's (ticked). The result is written into the
script as the line's ``(emotion) {…}`` block by the Dialogue panel."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from aladdin_studio.errors import AladdinError
from aladdin_studio.voice.errors import VoiceInputError
from aladdin_studio.voice.profiles import TTSSettings
from aladdin_studio.voice.script import ScriptLine

__all__ = ["LineSettingsDialog"]

# (setting, label, minimum, maximum, step)
_NUMBERS = (("stability", "Stability", 0.0, 1.0, 0.05),
            ("similarity_boost", "Similarity", 0.0, 1.0, 0.05),
            ("style", "Style", 0.0, 1.0, 0.05),
            ("speed", "Speed", 0.7, 1.2, 0.05))


class LineSettingsDialog(QDialog):
    """Edit ``line``'s emotion and overrides; ``character`` holds the settings it inherits."""

    def __init__(self, line: ScriptLine, character: TTSSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Line Settings — {line.character}")
        self.setObjectName("line-settings")
        self.line, self.character = line, character
        self.result_settings: dict[str, Any] = dict(line.settings)
        self.result_emotion = line.emotion
        said = line.text if len(line.text) <= 60 else line.text[:59] + "…"
        form = QFormLayout()
        form.addRow(QLabel(f"{line.character}: “{said}”"))
        self.emotion_edit = QLineEdit(line.emotion)
        self.emotion_edit.setPlaceholderText("none (e.g. worried, whispering)")
        form.addRow("Emotion", self.emotion_edit)
        self.checks: dict[str, QCheckBox] = {}
        self.spins: dict[str, QDoubleSpinBox] = {}
        for name, label, low, high, step in _NUMBERS:
            own = line.settings.get(name)
            inherited = float(getattr(character, name))
            check = QCheckBox("This line")
            check.setObjectName(f"override-{name}")
            spin = QDoubleSpinBox()
            spin.setObjectName(f"value-{name}")
            spin.setRange(low, high)
            spin.setSingleStep(step)
            spin.setDecimals(2)
            spin.setValue(float(own) if own is not None else inherited)
            check.setChecked(own is not None)
            spin.setEnabled(own is not None)
            check.toggled.connect(spin.setEnabled)
            check.toggled.connect(lambda on, s=spin, v=inherited: None if on else s.setValue(v))
            form.addRow(label, self._row(check, spin, f"character: {inherited:.2f}"))
            self.checks[name], self.spins[name] = check, spin
        seed = line.settings.get("seed")
        self.seed_check = QCheckBox("This line")
        self.seed_check.setObjectName("override-seed")
        self.seed_edit = QLineEdit("" if seed is None else str(seed))
        self.seed_edit.setPlaceholderText("a whole number")
        self.seed_check.setChecked(seed is not None)
        self.seed_edit.setEnabled(seed is not None)
        self.seed_check.toggled.connect(self.seed_edit.setEnabled)
        inherited_seed = "random" if character.seed is None else str(character.seed)
        form.addRow("Seed", self._row(self.seed_check, self.seed_edit,
                                      f"character: {inherited_seed}"))
        self.message = QLabel()
        self.message.setObjectName("line-settings-message")
        self.message.setStyleSheet("color: #e06c4c")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    @staticmethod
    def _row(check: QCheckBox, field: QWidget, note: str) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(check)
        box.addWidget(field, 1)
        box.addWidget(QLabel(note))
        return row

    def values(self) -> tuple[str, dict[str, Any]]:
        """``(emotion, settings)`` as edited, checked like the script's ``{…}`` block."""
        settings = {k: v for k, v in self.line.settings.items()
                    if k not in (*self.checks, "seed")}  # model, speaker boost: kept
        for name, check in self.checks.items():
            if check.isChecked():
                settings[name] = round(self.spins[name].value(), 3)
        if self.seed_check.isChecked():
            text = self.seed_edit.text().strip()
            if not text.isdigit():
                raise VoiceInputError("A seed is a whole number (untick it for the "
                                      "character's).")
            settings["seed"] = int(text)
        TTSSettings().override(settings)  # the ranges: one clear line when out of them
        return self.emotion_edit.text().strip(), settings

    def accept(self) -> None:
        try:
            self.result_emotion, self.result_settings = self.values()
        except AladdinError as exc:
            self.message.setText(str(exc).splitlines()[0])
            return
        super().accept()
