"""Scrolling over value fields scrolls the panel, not the value.

A spin box, slider or combo box under the pointer takes wheel events by default, so
scrolling a long panel (the Inspector) changes whatever field passes under the pointer.
Guarded fields take the wheel only once they have the keyboard focus (click or Tab into
them); otherwise the event goes on to their parents, which scroll.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

GUARDED = (QAbstractSpinBox, QAbstractSlider, QComboBox)


class WheelGuard(QObject):
    """Event filter: a wheel event over an unfocused field goes to the field's parent."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or not isinstance(obj, QWidget):
            return False
        if obj.hasFocus():
            return False
        # Qt does not pass a re-sent event on to parents by itself: walk up to the first
        # one that takes it; a scroll area scrolls with its scroll bar.
        vertical = event.angleDelta().y() != 0
        parent = obj.parentWidget()
        while parent is not None:
            if isinstance(parent, QAbstractScrollArea):
                bar = parent.verticalScrollBar() if vertical else parent.horizontalScrollBar()
                QApplication.sendEvent(bar, event)
                break
            event.ignore()
            QApplication.sendEvent(parent, event)
            if event.isAccepted():
                break
            parent = parent.parentWidget()
        return True


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every spin box, slider (not scroll bars) and combo box under ``root``."""
    guard = root.findChild(WheelGuard, "wheel-guard")
    if guard is None:
        guard = WheelGuard(root)
        guard.setObjectName("wheel-guard")
    for widget in root.findChildren(QWidget):
        if isinstance(widget, GUARDED) and not isinstance(widget, QScrollBar):
            guard_field(widget, guard)
    return guard


def guard_field(widget: QWidget, guard: WheelGuard) -> None:
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel no longer gives focus
    widget.removeEventFilter(guard)
    widget.installEventFilter(guard)
