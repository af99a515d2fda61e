"""Small editing widgets and value conversions for the Inspector.

Every widget here separates *user* edits (signals) from *document* updates (``set_value``
with signals blocked), so showing the document never pushes a command back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QSlider,
    QSpinBox,
    QWidget,
)

MIN_DB, MAX_DB = -60.0, 12.0


def gain_to_db(gain: float) -> float:
    """Linear gain as dB, clamped to the volume slider's range (0 → ``MIN_DB``)."""
    if gain <= 0:
        return MIN_DB
    return max(MIN_DB, min(MAX_DB, 20.0 * math.log10(gain)))


def db_to_gain(db: float) -> float:
    """dB as linear gain; the bottom of the range is silence."""
    if db <= MIN_DB:
        return 0.0
    return min(4.0, 10.0 ** (db / 20.0))


def timecode(frames: int, rate: float) -> str:
    """``HH:MM:SS:FF`` for a frame count at ``rate``."""
    fps = max(1, int(round(rate)))
    sign = "-" if frames < 0 else ""
    frames = abs(int(frames))
    seconds, ff = divmod(frames, fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


class SliderField(QWidget):
    """A slider and a spin box over one float value.

    ``edited(value)`` fires for user changes only. ``gesture`` numbers the user's
    gestures: it stays the same while the slider is held down (one drag) and changes for
    every other edit, so a drag can become exactly one undo step. ``released`` fires when
    a drag ends.
    """

    edited = Signal(float)
    released = Signal()

    def __init__(self, lo: float, hi: float, *, step: float = 0.01, decimals: int = 2,
                 suffix: str = "", special_min: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step = step
        self.gesture = 0
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(round(lo / step), round(hi / step))
        self.slider.setPageStep(max(1, (self.slider.maximum() - self.slider.minimum()) // 10))
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(lo, hi)
        self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step * 10 if step < 1 else step)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)
        self.spin.setAccelerated(True)
        if special_min:
            self.spin.setSpecialValueText(special_min)
        self.spin.setMinimumWidth(84)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.sliderPressed.connect(self._new_gesture)
        self.slider.sliderReleased.connect(self.released)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    @property
    def dragging(self) -> bool:
        return self.slider.isSliderDown()

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Show a document value (no ``edited``); ignored while the user drags."""
        if self.dragging:
            return
        with QSignalBlocker(self.slider), QSignalBlocker(self.spin):
            self.spin.setValue(value)
            self.slider.setValue(round(value / self.step))

    def _new_gesture(self) -> None:
        self.gesture += 1

    def _from_slider(self, position: int) -> None:
        value = position * self.step
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)
        if not self.dragging:
            self._new_gesture()
        self.edited.emit(self.spin.value())

    def _from_spin(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(value / self.step))
        self._new_gesture()
        self.edited.emit(value)


def double_spin(lo: float, hi: float, *, step: float = 0.1, decimals: int = 2,
                suffix: str = "") -> QDoubleSpinBox:
    """A spin box that reports a value when editing is done, not on every keystroke."""
    spin = QDoubleSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    return spin


def frame_spin() -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(-10_000_000, 10_000_000)
    spin.setSuffix(" f")
    spin.setKeyboardTracking(False)
    return spin


def combo(items: Iterable[tuple[str, object]]) -> QComboBox:
    """A combo box of ``(label, data)`` items."""
    box = QComboBox()
    for label, data in items:
        box.addItem(label, data)
    return box


def set_blocked(widget: QWidget, setter: str, value: object) -> None:
    """Call ``widget.<setter>(value)`` without emitting its signals."""
    with QSignalBlocker(widget):
        getattr(widget, setter)(value)


def select_data(box: QComboBox, data: object) -> bool:
    """Show the item holding ``data`` without emitting signals; False if there is none."""
    index = box.findData(data)
    with QSignalBlocker(box):
        box.setCurrentIndex(index)
    return index >= 0
