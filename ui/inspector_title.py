"""The Inspector's title settings: text, font, size, colours, outline, shadow, position and
fades of a title clip, each change one ``SetTitle`` command (a slider drag is one step)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import opentimelineio as otio
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QPlainTextEdit,
    QPushButton,
)

from ..timeline.title_commands import SetTitle
from ..timeline.titles import FONTS, title_params
from .inspector_fields import SliderField, combo, double_spin, select_data, set_blocked

if TYPE_CHECKING:
    from .inspector_clip import ClipPanel


class TitleText(QPlainTextEdit):
    """Multi-line title text: committed when the field loses focus or on Ctrl+Enter."""

    def __init__(self, commit: Any) -> None:
        super().__init__()
        self._commit = commit
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.setToolTip("Title text (Ctrl+Enter or leave the field to apply)")

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        self._commit()
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self._commit()
            return
        super().keyPressEvent(event)


class ColorButton(QPushButton):
    """A swatch; clicking opens a colour dialog."""

    def __init__(self, pick: Any) -> None:
        super().__init__()
        self.color = "#ffffff"
        self.setFixedWidth(72)
        self.clicked.connect(lambda: pick(self))

    def show_color(self, color: str) -> None:
        self.color = color
        text = "#000000" if QColor(color).lightness() > 128 else "#ffffff"
        self.setText(color)
        self.setStyleSheet(f"background: {color}; color: {text};")


class TitleBox(QGroupBox):
    """Shown in the clip page for title clips only."""

    def __init__(self, panel: ClipPanel) -> None:
        super().__init__("Title")
        self.panel = panel
        self.clip: otio.schema.Clip | None = None
        form = QFormLayout(self)
        self.text = TitleText(self._commit_text)
        self.font = combo((f, f) for f in FONTS)
        self.size = SliderField(8.0, 400.0, step=1.0, decimals=0, suffix=" px")
        self.color = ColorButton(self._pick)
        self.outline = SliderField(0.0, 20.0, step=0.5, decimals=1, suffix=" px")
        self.outline_color = ColorButton(self._pick)
        self.shadow = QCheckBox("Drop shadow")
        self.x = SliderField(0.0, 100.0, step=1.0, decimals=0, suffix=" %")
        self.y = SliderField(0.0, 100.0, step=1.0, decimals=0, suffix=" %")
        self.fade_in = double_spin(0.0, 60.0, step=0.1, suffix=" s")
        self.fade_out = double_spin(0.0, 60.0, step=0.1, suffix=" s")
        for label, widget in (("Text", self.text), ("Font", self.font), ("Size", self.size),
                              ("Colour", self.color), ("Outline", self.outline),
                              ("Outline colour", self.outline_color), ("", self.shadow),
                              ("Position X", self.x), ("Position Y", self.y),
                              ("Fade in", self.fade_in), ("Fade out", self.fade_out)):
            form.addRow(label, widget)
        self.font.activated.connect(lambda _: self.change(None, font=self.font.currentData()))
        self.size.edited.connect(lambda v: self.change(self.size, size=v))
        self.outline.edited.connect(lambda v: self.change(self.outline, outline=v))
        self.shadow.toggled.connect(lambda on: self.change(None, shadow=on))
        self.x.edited.connect(lambda v: self.change(self.x, x=v / 100.0))
        self.y.edited.connect(lambda v: self.change(self.y, y=v / 100.0))
        self.fade_in.valueChanged.connect(lambda v: self.change(None, fade_in=v))
        self.fade_out.valueChanged.connect(lambda v: self.change(None, fade_out=v))

    def change(self, source: object, **changes: Any) -> bool:
        clip = self.clip
        if clip is None:
            return False
        return self.panel.inspector.apply(lambda: SetTitle(clip, **changes), source)

    def _commit_text(self) -> None:
        clip = self.clip
        if clip is not None and self.text.toPlainText() != title_params(clip)["text"]:
            self.change(None, text=self.text.toPlainText())

    def _pick(self, button: ColorButton) -> None:
        color = QColorDialog.getColor(QColor(button.color), self, "Title colour")
        if color.isValid():
            self.set_color(button, color.name())

    def set_color(self, button: ColorButton, color: str) -> bool:
        key = "color" if button is self.color else "outline_color"
        return self.change(None, **{key: color})

    def show_item(self, clip: otio.schema.Clip) -> None:
        self.clip = clip
        p = title_params(clip)
        if not self.text.hasFocus() and self.text.toPlainText() != p["text"]:
            set_blocked(self.text, "setPlainText", p["text"])
        select_data(self.font, p["font"])
        self.size.set_value(float(p["size"]))
        self.color.show_color(p["color"])
        self.outline.set_value(float(p["outline"]))
        self.outline_color.show_color(p["outline_color"])
        set_blocked(self.shadow, "setChecked", bool(p["shadow"]))
        self.x.set_value(100.0 * float(p["x"]))
        self.y.set_value(100.0 * float(p["y"]))
        set_blocked(self.fade_in, "setValue", float(p["fade_in"]))
        set_blocked(self.fade_out, "setValue", float(p["fade_out"]))
