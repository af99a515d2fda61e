"""Track headers: the column left of the tracks, scrolled with them vertically.

Each header shows the track's name, its role (audio tracks: dialogue, music or sfx), mute,
solo, lock and sync-lock toggles, and can be made taller or shorter by dragging its bottom
edge or from its context menu. Dragging a header onto another track of the same kind
reorders the tracks; the context menu adds, renames and removes tracks. Every change is a
timeline command (``SetTrackFlags``, ``MoveTrack``, ``AddTrack``, ``RenameItem``...).
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
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...timeline import commands as C
from ...timeline import schema as S
from ...timeline.names import unique_name
from ..wheel_guard import WheelGuard, guard_field
from .geometry import DEFAULT_HEIGHTS, HEADER_WIDTH, HEIGHT_PRESETS, clamp_height, kind_of

if TYPE_CHECKING:
    from .view import TimelineView

GRIP_PX = 5
FLAGS = (("muted", "M", "Mute"), ("solo", "S", "Solo"), ("locked", "L", "Lock"))


SYNC_TIP = ("Sync lock: ripple edits, inserts and transitions on other tracks move this "
            "track by the same amount, so it stays in sync")


class TrackHeader(QFrame):
    clicked = Signal(object)  # the track
    resizing = Signal(object, int)  # track, height while the bottom edge is dragged
    dropped = Signal(object, QPoint)  # track dragged by its header, released at global pos
    dragged = Signal(object, QPoint)  # the same while the drag moves (None: it ended)

    def __init__(self, ctx: Any, track: otio.schema.Track, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.track = track
        self.setObjectName(f"track-header-{track.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)
        self._resize_from: tuple[int, int] | None = None
        self._drag_from: QPoint | None = None
        self.dragging = False
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
        self.sync = QToolButton()
        self.sync.setText("⇆")
        self.sync.setToolTip(SYNC_TIP)
        self.sync.setCheckable(True)
        self.sync.setAutoRaise(True)
        self.sync.setFixedSize(22, 20)
        self.sync.setObjectName("track-sync_lock")
        self.sync.clicked.connect(self.set_sync_lock)
        top.addWidget(self.sync)
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
        self.sync.blockSignals(True)
        self.sync.setChecked(self.sync_locked())
        self.sync.blockSignals(False)
        if self.role is not None:
            self.role.blockSignals(True)
            self.role.setCurrentIndex(max(0, self.role.findData(S.track_role(self.track).value)))
            self.role.blockSignals(False)

    def set_flag(self, key: str, value: bool) -> None:
        if not self.ctx.push(C.SetTrackFlags(self.track, **{key: bool(value)})):
            self.refresh()

    def sync_locked(self) -> bool:
        try:
            scene = self.ctx.project.scene_of(self.track)
        except Exception:  # noqa: BLE001 - a track just removed
            scene = None
        return S.sync_locked(self.track, scene)

    def set_sync_lock(self, on: bool) -> None:
        if not self.ctx.push(C.SetTrackFlags(self.track, sync_lock=bool(on))):
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
                self._drag_from = event.globalPosition().toPoint()
                self.clicked.emit(self.track)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._resize_from is not None:
            y0, h0 = self._resize_from
            self.preview_height = clamp_height(h0 + event.globalPosition().y() - y0)
            self.resizing.emit(self.track, self.preview_height)
            return
        if self._drag_from is not None:
            moved = event.globalPosition().toPoint() - self._drag_from
            if not self.dragging and moved.manhattanLength() >= \
                    QApplication.startDragDistance():
                self.dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
            if self.dragging:
                self.dragged.emit(self.track, event.globalPosition().toPoint())
                return
        on_grip = self._on_grip(event.position().toPoint())
        if on_grip:
            self.setCursor(Qt.CursorShape.SizeVerCursor)
        else:
            self.unsetCursor()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self.dragging:
            self.unsetCursor()
            self.dragged.emit(None, QPoint())
            self.dropped.emit(self.track, event.globalPosition().toPoint())
        self._drag_from, self.dragging = None, False
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
        sync = menu.addAction("Sync Lock")
        sync.setToolTip(SYNC_TIP)
        sync.setCheckable(True)
        sync.setChecked(self.sync_locked())
        sync.triggered.connect(self.set_sync_lock)
        menu.addSeparator()
        menu.addAction("Rename Track…").triggered.connect(lambda _=False: self.start_rename())
        add_track_items(menu, self.ctx, self.track)
        remove = menu.addAction("Remove Track")
        remove.triggered.connect(lambda _=False: self.ctx.push(C.RemoveTrack(self.track)))
        return menu

    def start_rename(self) -> QLineEdit:
        """Edit the name in place; Enter renames (one undo step), Escape keeps it."""
        edit = QLineEdit(self.track.name, self)
        edit.setObjectName("track-rename")
        edit.setGeometry(self.name.geometry().adjusted(-2, -2, 60, 2))
        edit.selectAll()

        def finish() -> None:
            name = edit.text().strip()
            edit.deleteLater()
            if name and name != self.track.name:
                self.ctx.push(C.RenameItem(self.track, name))

        edit.editingFinished.connect(finish)
        edit.show()
        edit.setFocus()
        return edit


def add_track_items(menu: QMenu, ctx: Any, near: otio.schema.Track | None = None) -> None:
    """"Add Video Track" (a layer above the others: overlays, B-roll, titles) and "Add
    Audio Track" with its role, for the scene of ``near`` (else the current scene)."""
    def scene() -> Any:
        return ctx.project.scene_of(near) if near is not None else ctx.scene

    menu.addAction("Add Video Track").triggered.connect(
        lambda _=False: ctx.push(C.AddTrack(scene(), "video")))
    audio = menu.addMenu("Add Audio Track")
    for role in S.AUDIO_ROLES:
        label = role.value.title() if role.value != "sfx" else "SFX"
        audio.addAction(label).triggered.connect(
            lambda _=False, r=role.value, n=label: ctx.push(
                C.AddTrack(scene(), "audio", name=_free_name(scene(), n), role=r)))


def _free_name(scene: Any, base: str) -> str:
    return unique_name(base, (t.name for t in scene.tracks))


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
                header.dropped.connect(self._dropped)
                header.dragged.connect(self._drag_over)
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

    def header_at(self, global_pos: QPoint) -> TrackHeader | None:
        pos = self.mapFromGlobal(global_pos)
        return next((h for h in self.headers if h.geometry().contains(pos)), None)

    def _drag_over(self, track: otio.schema.Track | None, global_pos: QPoint) -> None:
        """Mark the header a dragged track would take the place of (same kind only)."""
        target = self.header_at(global_pos) if track is not None else None
        for header in self.headers:
            fits = header is target and header.track is not track and \
                S.is_audio(header.track) == S.is_audio(track)
            header.setStyleSheet("TrackHeader { border: 2px solid #f0c040; }" if fits else "")

    def _dropped(self, track: otio.schema.Track, global_pos: QPoint) -> None:
        """A header dragged onto another: the track takes that track's place."""
        target = self.header_at(global_pos)
        if target is None or target.track is track:
            return
        if S.is_audio(target.track) != S.is_audio(track):
            self.ctx.error.emit("Drag a track onto a track of the same kind (video or audio).")
            return
        scene = self.ctx.project.scene_of(track)
        index = next(i for i, t in enumerate(scene.tracks) if t is target.track)
        self.ctx.push(C.MoveTrack(track, index))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        """Below the headers: add a track."""
        if self.ctx.scene is None:
            return
        menu = QMenu(self)
        add_track_items(menu, self.ctx)
        menu.exec(event.globalPos())

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
