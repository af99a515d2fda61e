"""The transition palette: a list of transitions to drag onto a cut in the timeline."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

TRANSITION_MIME = "application/x-aladdin-transition"

#: (label, kind, direction) offered by the palette.
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    ("Fade", "fade", "left"),
    ("Dissolve", "dissolve", "left"),
    ("Wipe ←", "wipe", "left"),
    ("Wipe →", "wipe", "right"),
    ("Wipe ↑", "wipe", "up"),
    ("Wipe ↓", "wipe", "down"),
    ("Slide ←", "slide", "left"),
    ("Slide →", "slide", "right"),
)


def transition_mime(kind: str, direction: str = "left") -> QMimeData:
    mime = QMimeData()
    mime.setData(TRANSITION_MIME, json.dumps({"kind": kind, "direction": direction}).encode())
    return mime


def read_transition(mime: QMimeData) -> dict[str, Any] | None:
    """``{"kind", "direction"}`` from a palette drag, or ``None`` if it is something else."""
    if not mime.hasFormat(TRANSITION_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(TRANSITION_MIME).data()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or "kind" not in data:
        return None
    return {"kind": str(data["kind"]), "direction": str(data.get("direction", "left"))}


class TransitionPalette(QListWidget):
    """A horizontal strip of transitions; each item drags ``application/x-aladdin-transition``
    with JSON ``{"kind": ..., "direction": ...}``."""

    def __init__(self, parent: QWidget | None = None, *, horizontal: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("transition-palette")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        if horizontal:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(False)
            self.setFixedHeight(28)
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setSpacing(2)
        self.setToolTip("Drag a transition onto a cut between two video clips")
        for label, kind, direction in TRANSITIONS:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, {"kind": kind, "direction": direction})
            item.setToolTip(f"{kind} ({direction})")
            item.setSizeHint(QSize(72, 22))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.addItem(item)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt's name
        return [TRANSITION_MIME]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # noqa: N802 - Qt's name
        data = items[0].data(Qt.ItemDataRole.UserRole) if items else {"kind": "dissolve"}
        return transition_mime(data["kind"], data.get("direction", "left"))
