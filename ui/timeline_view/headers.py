"""Track headers: the column left of the tracks, scrolled with them vertically.

Each header shows the track's name, its role (audio tracks: dialogue, music or sfx), mute,
solo and lock toggles, and can be made taller or shorter by dragging its bottom edge or
from its context menu. Every change is a ``SetTrackFlags`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import opentimelineio as otio
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...timeline import commands as C
from ...timeline import schema as S
from ..wheel_guard import WheelGuard, guard_field
from .geometry import DEFAULT_HEIGHTS, HEADER_WIDTH, HEIGHT_PRESETS, clamp_height, kind_of

if TYPE_CHECKING:
    from .view import TimelineView

GRIP_PX = 5
FLAGS = (("muted", "M", "Mute"), ("solo", "S", "Solo"), ("locked", "L", "Lock"))


class TrackHeader(QFrame):
    clicked = Signal(object)  # the track
    resizing = Signal(object, int)  # track, height while the bottom edge is dragged

    def __init__(self, ctx: Any, track: otio.schema.Track, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.track = track
        self.setObjectName(f"track-header-{track.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)
        self._resize_from: tuple[int, int] | None = None
        self.preview_height: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 4, GRIP_PX + 1)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(2)
        self.name = QLabel(track.name)
        self.name.setObjectName("track-name")
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top.addWidget(self.name, 1)
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in FLAGS:
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setFixedSize(22, 20)
            button.setObjectName(f"track-{key}")
            button.clicked.connect(lambda checked, k=key: self.set_flag(k, checked))
            self.buttons[key] = button
            top.addWidget(button)
        layout.addLayout(top)
        self.role: QComboBox | None = None
        if S.is_audio(track):
            self.role = QComboBox()
            self.role.setObjectName("track-role")
            for role in S.AUDIO_ROLES:
                self.role.addItem(role.value.title() if role.value != "sfx" else "SFX",
                                  role.value)
            self.role.activated.connect(self._role_chosen)
            guard_field(self.role, WheelGuard(self))  # the wheel scrolls the tracks
            layout.addWidget(self.role)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        """Show the track's current flags (after an edit, undo or redo)."""
        self.name.setText(self.track.name)
        self.setToolTip(f"{self.track.name} ({kind_of(self.track)} track)")
        for key, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(S.track_flag(self.track, key))
            button.blockSignals(False)
        if self.role is not None:
            self.role.blockSignals(True)
            self.role.setCurrentIndex(max(0, self.role.findData(S.track_role(self.track).value)))
            self.role.blockSignals(False)

    def set_flag(self, key: str, value: bool) -> None:
        if not self.ctx.push(C.SetTrackFlags(self.track, **{key: bool(value)})):
            self.refresh()

    def _role_chosen(self, index: int) -> None:
        role = self.role.itemData(index) if self.role is not None else None
        if role and role != S.track_role(self.track).value:
            if not self.ctx.push(C.SetTrackFlags(self.track, role=role)):
                self.refresh()

    def set_height(self, height: int) -> None:
        height = clamp_height(height)
        if S.get(self.track, "height") != height:
            self.ctx.push(C.SetTrackFlags(self.track, height=height))

    # --- mouse: select the track, resize from the bottom edge ---

    def _on_grip(self, pos: QPoint) -> bool:
        return pos.y() >= self.height() - GRIP_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            if self._on_grip(pos):
                self._resize_from = (int(event.globalPosition().y()), self.height())
            else:
                self.clicked.emit(self.track)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._resize_from is not None:
            y0, h0 = self._resize_from
            self.preview_height = clamp_height(h0 + event.globalPosition().y() - y0)
            self.resizing.emit(self.track, self.preview_height)
            return
        on_grip = self._on_grip(event.position().toPoint())
        if on_grip:
            self.setCursor(Qt.CursorShape.SizeVerCursor)
        else:
            self.unsetCursor()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._resize_from is not None:
            self._resize_from = None
            height, self.preview_height = self.preview_height, None
            if height is not None:
                self.set_height(height)
            self.resizing.emit(self.track, -1)
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        self.menu().exec(event.globalPos())

    def menu(self) -> QMenu:
        menu = QMenu(self)
        sizes = menu.addMenu("Height")
        for label, height in HEIGHT_PRESETS.items():
            sizes.addAction(label).triggered.connect(
                lambda _=False, h=height: self.set_height(h))
        sizes.addAction("Default").triggered.connect(
            lambda _=False: self.set_height(DEFAULT_HEIGHTS[kind_of(self.track)]))
        for key, _text, tip in FLAGS:
            act = menu.addAction(tip)
            act.setCheckable(True)
            act.setChecked(S.track_flag(self.track, key))
            act.triggered.connect(lambda checked, k=key: self.set_flag(k, checked))
        return menu


class HeaderColumn(QWidget):
    """Places one :class:`TrackHeader` beside each row of the view, following its scroll."""

    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.ctx = view.ctx
        self.setObjectName("track-headers")
        self.setFixedWidth(HEADER_WIDTH)
        self.headers: list[TrackHeader] = []
        self._preview: dict[int, int] = {}
        view.rows_changed.connect(self.rebuild)
        view.tracks_updated.connect(self.refresh_tracks)
        view.current_row_changed.connect(self._highlight)
        view.verticalScrollBar().valueChanged.connect(self.place)

    def header_for(self, track: otio.schema.Track) -> TrackHeader | None:
        return next((h for h in self.headers if h.track is track), None)

    def rebuild(self) -> None:
        """Reuse headers of tracks still shown; make headers for new rows."""
        old = {id(h.track): h for h in self.headers}
        self.headers = []
        for row in self.view.rows:
            header = old.pop(id(row.track), None)
            if header is None:
                header = TrackHeader(self.ctx, row.track, self)
                header.clicked.connect(self._clicked)
                header.resizing.connect(self._resizing)
            else:
                header.refresh()
            header.show()
            self.headers.append(header)
        for header in old.values():
            header.deleteLater()
        self._preview.clear()
        self.place()
        self._highlight()

    def place(self, *_args: Any) -> None:
        offset = self.view.verticalScrollBar().value()
        y = -offset
        for header, row in zip(self.headers, self.view.rows, strict=False):
            height = self._preview.get(id(row.track), row.height)
            header.setGeometry(0, int(y), self.width(), int(height))
            y += height

    def refresh_tracks(self, tracks: list) -> None:
        for track in tracks:
            header = self.header_for(track)
            if header is not None:
                header.refresh()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.place()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        """Scroll the tracks (the headers follow)."""
        QApplication.sendEvent(self.view.verticalScrollBar(), event)

    def _clicked(self, track: otio.schema.Track) -> None:
        self.view.set_current_row(self.view.row_for(track))

    def _resizing(self, track: otio.schema.Track, height: int) -> None:
        if height < 0:
            self._preview.pop(id(track), None)
        else:
            self._preview[id(track)] = height
        self.place()

    def _highlight(self, *_args: Any) -> None:
        current = self.view.current_row.track if self.view.current_row is not None else None
        for header in self.headers:
            header.setProperty("current", header.track is current)
            header.setFrameShadow(QFrame.Shadow.Sunken if header.track is current
                                  else QFrame.Shadow.Raised)
