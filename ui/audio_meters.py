"""Audio meters beside the player: L/R sample peaks with peak hold and the program's
short-term loudness (LUFS), from the samples the player plays (``render.meters``).

Repaints at most ``FPS_LIMIT`` times a second from one timer that runs only while there
is something to show (playing, or levels still falling back), and only when the reading
changed, so playback never causes a repaint storm.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..render.meters import FLOOR_DB, MeterReading, ProgramMeter

__all__ = ["AudioMeters"]

FPS_LIMIT = 30
TARGET_LUFS = -14.0  # the export's loudness target, marked on the scale


class AudioMeters(QWidget):
    """Two peak bars (dBFS, with hold lines), a short-term loudness bar with the export's
    -14 LUFS target marked, and the loudness as a number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audio-meters")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Program audio: peak per channel (dBFS, with hold) and short-term "
                        f"loudness (LUFS, 3 s; exports are normalised to {TARGET_LUFS:g})")
        self.meter = ProgramMeter()
        self.reading = MeterReading((FLOOR_DB, FLOOR_DB), (FLOOR_DB, FLOOR_DB), -math.inf)
        self.paints = 0  # paint events (tests check the rate limit)
        self._active = False
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // FPS_LIMIT)
        self._timer.timeout.connect(self._refresh)
        self._font = QFont()
        self._font.setPixelSize(10)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(46, 200)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(40, 80)

    # ------------------------------------------------------------------ feeding

    def feed(self, samples: np.ndarray | None) -> None:
        """Samples that were just heard (float32 ``(n, 2)``)."""
        if samples is None or not len(samples):
            return
        self.meter.add(samples)
        self._active = True
        if not self._timer.isActive():
            self._timer.start()

    def reset(self) -> None:
        """A new playback or a seek: start the loudness window over."""
        self.meter.reset()

    def stopped(self) -> None:
        """Playback stopped: let the bars fall back, then stop the timer."""
        self._active = False

    def _refresh(self) -> None:
        reading = self.meter.read(time.perf_counter())
        if reading != self.reading:
            self.reading = reading
            self.update()
        if not self._active and reading.silent:
            self._timer.stop()

    # ------------------------------------------------------------------ painting

    @staticmethod
    def _fraction(db: float) -> float:
        return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        self.paints += 1
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#16181d"))
        p.setFont(self._font)
        text_h = 28
        top, bottom = 4.0, float(self.height() - text_h)
        height = max(1.0, bottom - top)
        loud_w = 6.0  # the short-term loudness bar, on the same -60…0 scale
        bar_w = (self.width() - 12 - loud_w) / 2
        for c, (peak, hold) in enumerate(zip(self.reading.peak_db, self.reading.hold_db,
                                              strict=False)):
            x = 4 + c * (bar_w + 2)
            p.fillRect(QRectF(x, top, bar_w, height), QColor("#262a33"))
            level = self._fraction(peak) * height
            color = QColor("#e05252") if peak > -1.0 else (
                QColor("#e0c052") if peak > -12.0 else QColor("#52c07a"))
            p.fillRect(QRectF(x, bottom - level, bar_w, level), color)
            if hold > FLOOR_DB:
                y = bottom - self._fraction(hold) * height
                p.fillRect(QRectF(x, y - 1, bar_w, 2), QColor("#f0f0f0"))
        lx = self.width() - 4 - loud_w
        p.fillRect(QRectF(lx, top, loud_w, height), QColor("#262a33"))
        lufs = self.reading.short_term
        if math.isfinite(lufs):
            level = self._fraction(lufs) * height
            p.fillRect(QRectF(lx, bottom - level, loud_w, level), QColor("#5a8ee0"))
        target = bottom - self._fraction(TARGET_LUFS) * height
        p.fillRect(QRectF(lx - 2, target - 1, loud_w + 4, 2), QColor("#f0f0f0"))
        p.setPen(QColor("#d8d8d8"))
        text = "–" if not math.isfinite(lufs) else f"{lufs:.1f}"
        p.drawText(QRectF(0, bottom + 2, self.width(), text_h / 2),
                   Qt.AlignmentFlag.AlignCenter, text)
        p.setPen(QColor("#8a8f9c"))
        p.drawText(QRectF(0, bottom + text_h / 2, self.width(), text_h / 2 - 2),
                   Qt.AlignmentFlag.AlignCenter, "LUFS")
        p.end()
