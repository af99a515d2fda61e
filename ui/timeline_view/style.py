"""Colours, pens and fonts of the timeline, built once (painting reuses them)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPen

BACKGROUND = QColor("#1f2125")
ROW_EVEN = QColor("#2a2d33")
ROW_ODD = QColor("#262930")
ROW_CURRENT = QColor("#33384a")
ROW_LINE = QColor("#17181b")
LOCKED_HATCH = QColor(255, 255, 255, 22)
RULER_BG = QColor("#23262b")
RULER_TEXT = QColor("#c8ccd4")
RULER_TICK = QColor("#7d828c")
PLAYHEAD = QColor("#ff4d4d")
SNAP_LINE = QColor("#ffd23f")
IN_OUT = QColor(90, 160, 255, 40)
IN_OUT_RULER = QColor(90, 160, 255, 110)
GHOST_FILL = QColor(255, 255, 255, 60)
GHOST_BAD = QColor(255, 80, 80, 90)
GHOST_PEN = QColor("#ffffff")
SELECTED = QColor("#ffcc33")
TEXT = QColor("#f2f2f2")
OFFLINE = QColor("#8a1c1c")
OFFLINE_HATCH = QColor("#ff5a5a")
GENERATING = QColor("#3a4150")
TITLE_CLIP = QColor("#2f8f9d")  # title clips (text over the picture)
GENERATING_HATCH = QColor("#7f8db0")
GENERATION_FAILED = QColor("#6b2a2a")
TRANSITION = QColor(255, 255, 255, 150)
TRANSITION_SELECTED = QColor(255, 214, 90, 220)
VOLUME_LINE = QColor("#ffe07a")
FADE = QColor(0, 0, 0, 110)
WAVE = QColor(220, 255, 225, 190)

CLIP_COLORS = {
    "video": QColor("#3b6cb3"),
    "dialogue": QColor("#2f8c5a"),
    "music": QColor("#7b58b8"),
    "sfx": QColor("#b07a2f"),
}

MARKER_COLORS = {
    "RED": "#ff5050", "PINK": "#ff7ab8", "ORANGE": "#ff9a3c", "YELLOW": "#ffe04a",
    "GREEN": "#4ad66d", "CYAN": "#4ad6d6", "BLUE": "#4a8cff", "PURPLE": "#a070ff",
    "MAGENTA": "#ff4aff", "WHITE": "#ffffff", "BLACK": "#404040",
}


def clip_color(role: str) -> QColor:
    return CLIP_COLORS.get(role, CLIP_COLORS["video"])


def marker_color(name: str) -> QColor:
    return QColor(MARKER_COLORS.get(str(name).upper(), MARKER_COLORS["RED"]))


@cache
def brush(color: str | int, alpha: int = 255) -> QBrush:
    c = QColor(color)
    c.setAlpha(alpha)
    return QBrush(c)


@cache
def hatch(color: str) -> QBrush:
    return QBrush(QColor(color), Qt.BrushStyle.BDiagPattern)


@cache
def pen(color: str, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    p = QPen(QColor(color), width, style)
    p.setCosmetic(True)
    return p


@cache
def font(size: int = 8, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(size)
    f.setBold(bold)
    return f


@cache
def metrics(size: int = 8, bold: bool = False) -> QFontMetrics:
    return QFontMetrics(font(size, bold))
