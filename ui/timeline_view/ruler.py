"""The timecode ruler above the tracks: ticks, in/out range, markers and the playhead head.

Clicking or dragging on it moves the playhead (``ctx.set_playhead``); right-clicking a
marker offers to remove it. It scrolls and zooms with the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QMenu, QWidget

from ...timeline import commands as C
from ...timeline import schema as S
from . import style
from .geometry import RULER_HEIGHT, tick_steps

if TYPE_CHECKING:
    from .view import TimelineView

MARKER_PX = 6


class Ruler(QWidget):
    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.ctx = view.ctx
        self.setObjectName("timeline-ruler")
        self.setFixedHeight(RULER_HEIGHT)
        self.setMouseTracking(True)
        self._scrubbing = False
        view.horizontalScrollBar().valueChanged.connect(self.refresh)
        view.zoomed.connect(self.refresh)
        view.markers_changed.connect(self.refresh)
        self.ctx.playhead_moved.connect(self.refresh)
        self.ctx.in_out_changed.connect(self.refresh)

    def refresh(self, *_args: Any) -> None:
        self.update()

    def frame_at(self, x: float) -> int:
        return max(0, round(self.view.frame_at(x)))

    def marker_at(self, x: float) -> Any:
        for frame, _name, _color, marker in self.view.markers:
            if abs(self.view.view_x(frame) - x) <= MARKER_PX:
                return marker
        return None

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        view = self.view
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), style.RULER_BG)
        in_out = self.ctx.in_out
        if in_out and in_out[1] > in_out[0]:
            x0, x1 = view.view_x(in_out[0]), view.view_x(in_out[1])
            p.fillRect(QRectF(x0, h - 8, x1 - x0, 8), style.IN_OUT_RULER)
        major, minor = tick_steps(view.rate, view.ppf)
        first = int(view.frame_at(0))
        last = int(view.frame_at(w)) + 1
        p.setFont(style.font(7))
        if minor:
            p.setPen(style.pen(style.RULER_TICK.name()))
            f = first - first % minor
            lines = []
            while f <= last:
                if f % major:
                    x = round(view.view_x(f)) + 0.5
                    lines.append((QPointF(x, h - 5), QPointF(x, h)))
                f += minor
            for a, b in lines:
                p.drawLine(a, b)
        f = first - first % major
        while f <= last:
            x = round(view.view_x(f)) + 0.5
            p.setPen(style.pen(style.RULER_TICK.name()))
            p.drawLine(QPointF(x, h - 12), QPointF(x, h))
            p.setPen(style.RULER_TEXT)
            p.drawText(QPointF(x + 3, h - 14), view.timecode(f))
            f += major
        for frame, name, color, _m in view.markers:
            x = view.view_x(frame)
            if -40 <= x <= w + 40:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(style.marker_color(color))
                p.drawPolygon(QPolygonF([QPointF(x - MARKER_PX, 0), QPointF(x + MARKER_PX, 0),
                                         QPointF(x + MARKER_PX, 6), QPointF(x, 12),
                                         QPointF(x - MARKER_PX, 6)]))
                p.setPen(style.RULER_TEXT)
                p.drawText(QPointF(x + MARKER_PX + 2, 9), name)
        x = round(view.view_x(self.ctx.playhead)) + 0.5
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(style.PLAYHEAD)
        p.drawPolygon(QPolygonF([QPointF(x - 6, h - 12), QPointF(x + 6, h - 12),
                                 QPointF(x, h)]))
        p.setPen(style.pen(style.PLAYHEAD.name()))
        p.drawLine(QPointF(x, 0), QPointF(x, h))
        p.end()

    # ------------------------------------------------------------------ mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        x = event.position().x()
        if event.button() == Qt.MouseButton.RightButton:
            marker = self.marker_at(x)
            if marker is not None:
                self.marker_menu(marker).exec(event.globalPosition().toPoint())
            return
        if event.button() == Qt.MouseButton.LeftButton:
            # the timeline's keys (S, Delete...) act next, not a text field focused before
            self.view.setFocus(Qt.FocusReason.MouseFocusReason)
            self._scrubbing = True
            marker = self.marker_at(x)
            if marker is not None:
                self.ctx.set_playhead(S.frames(marker.marked_range.start_time, self.view.rate))
            else:
                self.ctx.set_playhead(self.frame_at(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._scrubbing:
            self.ctx.set_playhead(self.frame_at(event.position().x()))
        else:
            marker = self.marker_at(event.position().x())
            self.setToolTip(marker.name if marker is not None else "")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._scrubbing = False

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        self.view.wheelEvent(event)  # same x as the view's viewport: Ctrl zooms around it

    def marker_menu(self, marker: Any) -> QMenu:
        menu = QMenu(self)
        scene = self.view.scene_tl
        act = menu.addAction(f"Remove Marker '{marker.name}'")
        act.triggered.connect(lambda _=False: self.ctx.push(C.RemoveMarker(scene, marker)))
        return menu
