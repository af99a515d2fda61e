"""The timeline's graphics view: track rows, clips, playhead, markers, drags and drops.

Scene coordinates are frames (x) by pixels (y) and zoom is the view's horizontal scale, so
zooming and scrolling never touch the items. Document changes arrive as ``ChangeSet``\\ s and
only the touched tracks are synchronised (by identity, reusing items of unchanged clips).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QMenu,
    QWidget,
)

from ...timeline import schema as S
from ...timeline.document import ChangeSet
from ...timeline.snapping import Snapper, snap_points, tolerance_frames
from ..timecode import format_timecode
from . import style
from .drops import DropController
from .geometry import (
    EDGE_PX,
    SNAP_PX,
    RowLayout,
    clamp_pps,
    display_order,
    fit_pps,
    track_height,
)
from .items import ClipItem, TrackRow, TransitionItem, VLine
from .menus import context_menu
from .previews import MediaPreviews
from .tools import CURSORS, DRAGS, SELECT, Drag, Hit, hit_test

CLIP_HITS = ("clip", "trim_in", "trim_out", "slip", "volume", "fade_in", "fade_out")


class LockedDrag(Drag):
    """A drag on a locked track: says so once instead of moving anything."""

    def begin(self) -> None:
        row = self.hit.row
        name = row.track.name if row is not None else "This track"
        self.view.ctx.error.emit(f"Track '{name}' is locked. Unlock it to change its clips.")

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        pass


class TimelineView(QGraphicsView):
    zoomed = Signal(float)  # pixels per second
    rows_changed = Signal()  # rows added, removed or resized: headers follow
    tracks_updated = Signal(list)  # tracks whose flags or items changed
    markers_changed = Signal()
    current_row_changed = Signal(object)  # otio Track or None

    def __init__(self, ctx: Any, previews: MediaPreviews, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.previews = previews
        self.gscene = QGraphicsScene(self)
        self.gscene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setScene(self.gscene)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setObjectName("timeline-view")

        self.scene_tl: otio.schema.Timeline | None = None
        self.rate = float(S.DEFAULT_FPS)
        self.pps = 100.0
        self.rows: list[TrackRow] = []
        self.row_of: dict[int, TrackRow] = {}
        self.row_layout = RowLayout([], [])
        self.selected_ids: set[int] = set()
        self.current_row: TrackRow | None = None
        self.markers: list[tuple[int, str, str, otio.schema.Marker]] = []
        self.snapping = True
        self.tool = SELECT
        self.follow_playhead = False
        self._drag: Drag | None = None
        self._live: ClipItem | None = None
        self.drops = DropController(self)
        self._content_end = 0

        self.playhead = VLine(style.PLAYHEAD, 1.0, z=30)
        self.snap_line = VLine(style.SNAP_LINE, 1.0, z=31)
        self.snap_line.hide()
        self.in_out = QGraphicsRectItem()
        self.in_out.setBrush(QBrush(style.IN_OUT))
        self.in_out.setPen(QPen(Qt.PenStyle.NoPen))
        self.in_out.setZValue(5)
        self.in_out.hide()
        self.ghosts: list[QGraphicsRectItem] = []
        self.label = QGraphicsSimpleTextItem()
        self.label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.label.setBrush(QBrush(style.TEXT))
        self.label.setFont(style.font(8, True))
        self.label.setZValue(40)
        self.label.hide()
        self.marker_lines: list[VLine] = []
        for item in (self.playhead, self.snap_line, self.in_out, self.label):
            self.gscene.addItem(item)
        self.setTransform(QTransform.fromScale(self.ppf, 1.0))

    # ------------------------------------------------------------------ geometry

    @property
    def ppf(self) -> float:
        """Pixels per frame at the current zoom."""
        return self.pps / self.rate

    def frame_at(self, view_x: float) -> float:
        """Timeline frame (fractional) under viewport x."""
        return (view_x + self.horizontalScrollBar().value()) / self.ppf

    def view_x(self, frame: float) -> float:
        """Viewport x of ``frame``."""
        return frame * self.ppf - self.horizontalScrollBar().value()

    def row_at(self, y: float) -> TrackRow | None:
        i = self.row_layout.index_at(y)
        return self.rows[i] if i is not None else None

    def row_for(self, track: otio.schema.Track) -> TrackRow | None:
        return self.row_of.get(id(track))

    def item_for(self, obj: Any) -> ClipItem | TransitionItem | None:
        """The graphics item showing OTIO clip or transition ``obj``."""
        return self.item_for_id(id(obj))

    def item_for_id(self, key: int) -> ClipItem | TransitionItem | None:
        for row in self.rows:
            item = row.items.get(key)
            if item is not None:
                return item
        return None

    def timecode(self, frame: int) -> str:
        return format_timecode(int(frame), self.rate)

    # ------------------------------------------------------------------ zoom and scroll

    def set_zoom(self, pps: float, anchor: int | None = None) -> None:
        """Zoom to ``pps`` pixels per second keeping the time under viewport x ``anchor``
        (default: the playhead when it is visible, else the middle) where it is."""
        pps = clamp_pps(pps, self.rate)
        width = self.viewport().width()
        if anchor is None:
            x = self.view_x(self.ctx.playhead)
            anchor = int(x) if 0 <= x <= width else width // 2
        frame = self.frame_at(anchor)
        self.pps = pps
        self.setTransform(QTransform.fromScale(self.ppf, 1.0))
        self._update_scene_rect()
        self.horizontalScrollBar().setValue(round(frame * self.ppf - anchor))
        self.zoomed.emit(pps)

    def zoom_fit(self) -> None:
        duration = max(self._content_end, 1)
        self.set_zoom(fit_pps(duration, self.rate, self.viewport().width()), 0)
        self.horizontalScrollBar().setValue(0)

    def ensure_visible_frame(self, frame: int) -> None:
        """Page the view so that ``frame`` is on screen (follow-playhead mode)."""
        x = self.view_x(frame)
        width = self.viewport().width()
        if x < 0 or x > width - 16:
            bar = self.horizontalScrollBar()
            bar.setValue(int(frame * self.ppf - width * 0.1))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        mods = event.modifiers()
        delta = event.angleDelta().y() or event.angleDelta().x()
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.set_zoom(self.pps * 1.25 ** (delta / 120.0), int(event.position().x()))
            event.accept()
            return
        if mods & Qt.KeyboardModifier.ShiftModifier:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._update_scene_rect()

    def _update_scene_rect(self) -> None:
        visible = self.viewport().width() / self.ppf
        end = self._content_end
        width = max(end + 10 * self.rate, end * 1.25, visible)
        height = max(self.row_layout.total + 24, 1)
        self.gscene.setSceneRect(0, 0, width, height)
        for line in (self.playhead, self.snap_line, *self.marker_lines):
            line.set_metrics(self.ppf, height)
        if self.in_out.isVisible():
            self._sync_in_out()

    # ------------------------------------------------------------------ building

    def rebuild(self) -> None:
        """Rebuild every row from the current scene (scene switch, reset, tracks changed)."""
        self.cancel_drag()
        project = self.ctx.project
        scene = self.ctx.scene
        if scene is not None and not any(s is scene for s in project.scenes):
            scene = None
        for row in self.rows:
            self.gscene.removeItem(row)
        self.rows, self.row_of = [], {}
        self.scene_tl = scene
        old_rate = self.rate
        self.rate = S.scene_rate(scene) if scene is not None else float(S.DEFAULT_FPS)
        if self.rate != old_rate:
            self.setTransform(QTransform.fromScale(self.ppf, 1.0))
        current = self.current_row.track if self.current_row is not None else None
        self.current_row = None
        if scene is not None:
            for track in display_order(scene.tracks):
                row = TrackRow(self, track, 0, track_height(track))
                self.gscene.addItem(row)
                row.sync(self.rate)
                self.rows.append(row)
                self.row_of[id(track)] = row
                if track is current:
                    self.current_row = row
        self._relayout()
        self.selected_ids = {id(i) for i in self.ctx.selection}
        self.sync_markers()
        self._sync_in_out()
        self.playhead.set_frame(self.ctx.playhead)
        self.rows_changed.emit()
        self.viewport().update()

    def _relayout(self) -> None:
        self.row_layout = RowLayout.of([row.height for row in self.rows])
        for row, top in zip(self.rows, self.row_layout.tops, strict=True):
            if row.top != top:
                row.setPos(0, top)
        self._content_end = max((row.clips[-1].end for row in self.rows if row.clips),
                                default=0)
        self._update_scene_rect()

    def on_project_changed(self, change: ChangeSet) -> None:
        scene = self.scene_tl
        if change.kind == "reset" or change.structure:
            self.rebuild()
            return
        if scene is None or not any(s is scene for s in change.scenes):
            return
        if self._live is not None and change.kind == "edit" and \
                all(t is self._live.row.track for t in change.tracks) and not change.headers:
            self._live.refresh(self.rate)  # a live volume/fade drag: just that clip
            self.tracks_updated.emit([self._live.row.track])
            return
        if self._drag is not None and not self._drag.live:
            self.cancel_drag()  # the document changed under it (an undo shortcut, say)
        touched: dict[int, otio.schema.Track] = {}
        for track in list(change.tracks) + list(change.headers):
            if id(track) in self.row_of:
                touched[id(track)] = track
        heights = False
        for track in touched.values():
            row = self.row_of[id(track)]
            height = track_height(track)
            heights = heights or height != row.height
            row.sync(self.rate, height)
        if change.headers:
            self.viewport().update()  # lock/mute shading of whole rows
        self._relayout()
        if heights:
            self.rows_changed.emit()
        self.sync_markers()
        self._prune_selection()
        self.tracks_updated.emit(list(touched.values()))

    def _prune_selection(self) -> None:
        kept = [i for i in self.ctx.selection if i.parent() is not None]
        if len(kept) != len(self.ctx.selection):
            self.ctx.select(kept)

    def sync_markers(self) -> None:
        scene = self.scene_tl
        markers = []
        if scene is not None:
            for m in scene.tracks.markers:
                markers.append((S.frames(m.marked_range.start_time, self.rate), m.name,
                                str(m.color), m))
        if [m[:3] for m in markers] == [m[:3] for m in self.markers]:
            self.markers = markers
            return
        self.markers = markers
        for line in self.marker_lines:
            self.gscene.removeItem(line)
        self.marker_lines = []
        for frame, _name, color, _m in markers:
            line = VLine(style.marker_color(color), 1.0, Qt.PenStyle.DashLine, z=25)
            line.setOpacity(0.7)
            line.set_metrics(self.ppf, self.gscene.sceneRect().height())
            line.set_frame(frame)
            self.gscene.addItem(line)
            self.marker_lines.append(line)
        self.markers_changed.emit()

    def _sync_in_out(self) -> None:
        in_out = self.ctx.in_out
        if not in_out or in_out[1] <= in_out[0]:
            self.in_out.hide()
            return
        self.in_out.setRect(QRectF(in_out[0], 0, in_out[1] - in_out[0],
                                   self.gscene.sceneRect().height()))
        self.in_out.show()

    def on_in_out(self, _value: Any) -> None:
        self._sync_in_out()

    def on_playhead(self, frame: int) -> None:
        self.playhead.set_frame(frame)
        if self.follow_playhead and self._drag is None:
            self.ensure_visible_frame(frame)

    def on_selection(self, items: list) -> None:
        new = {id(i) for i in items}
        for key in new ^ self.selected_ids:
            item = self.item_for_id(key)
            if item is not None:
                item.update()
        self.selected_ids = new

    def on_jobs_updated(self, _jobs: list) -> None:
        """Generation progress changed: repaint the placeholder clips."""
        for row in self.rows:
            for item in row.clips:
                if item.placeholder:
                    item.update()

    def set_current_row(self, row: TrackRow | None) -> None:
        if row is not self.current_row:
            self.current_row = row
            self.viewport().update()
            self.current_row_changed.emit(row.track if row is not None else None)

    # ------------------------------------------------------------------ drag feedback

    def make_snapper(self, exclude: Iterable[Any] = ()) -> Snapper:
        """Snap points of the whole scene, collected once per drag."""
        points = snap_points(self.scene_tl, playhead=self.ctx.playhead, exclude=exclude) \
            if self.scene_tl is not None else []
        return Snapper(points, tolerance_frames(SNAP_PX, self.ppf), enabled=self.snapping)

    def show_snap(self, frame: int | None) -> None:
        if frame is None:
            self.snap_line.hide()
        else:
            self.snap_line.set_frame(frame)
            self.snap_line.show()

    def show_ghost(self, index: int, row: TrackRow, start: float, end: float,
                   ok: bool = True) -> None:
        while len(self.ghosts) <= index:
            ghost = QGraphicsRectItem()
            pen = QPen(style.GHOST_PEN, 1.0)
            pen.setCosmetic(True)
            ghost.setPen(pen)
            ghost.setZValue(20)
            self.gscene.addItem(ghost)
            self.ghosts.append(ghost)
        ghost = self.ghosts[index]
        ghost.setBrush(QBrush(style.GHOST_FILL if ok else style.GHOST_BAD))
        ghost.setRect(QRectF(start, row.top + 1, max(end - start, 0), row.height - 2))
        ghost.show()

    def show_label(self, row: TrackRow, frame: float, text: str) -> None:
        self.label.setText(text)
        self.label.setPos(frame, max(0.0, row.top - 14))
        self.label.show()

    def hide_feedback(self) -> None:
        self.snap_line.hide()
        self.label.hide()
        for ghost in self.ghosts:
            ghost.hide()

    def set_live(self, item: ClipItem | None) -> None:
        self._live = item

    def cancel_drag(self) -> None:
        if self._drag is not None:
            drag, self._drag = self._drag, None
            drag.cancel()

    @property
    def dragging(self) -> bool:
        return self._drag is not None and self._drag.started

    # ------------------------------------------------------------------ painting

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, style.BACKGROUND)
        for i, row in enumerate(self.rows):
            top, height = row.top, row.height
            if top > rect.bottom() or top + height < rect.top():
                continue
            band = QRectF(rect.left(), top, rect.width(), height)
            color = style.ROW_CURRENT if row is self.current_row else (
                style.ROW_EVEN if i % 2 == 0 else style.ROW_ODD)
            painter.fillRect(band, color)
            if row.locked:
                t = painter.worldTransform()
                painter.save()
                painter.resetTransform()
                painter.fillRect(t.mapRect(band), style.hatch(style.LOCKED_HATCH.name(
                    style.LOCKED_HATCH.NameFormat.HexArgb)))
                painter.restore()
            painter.fillRect(QRectF(rect.left(), top + height - 1, rect.width(), 1),
                             style.ROW_LINE)

    # ------------------------------------------------------------------ mouse

    def _scene_pos(self, event: Any) -> tuple[QPointF, QPoint]:
        vpos = event.position().toPoint()
        return self.mapToScene(vpos), vpos

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos, vpos = self._scene_pos(event)
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.cancel_drag()
        hit = hit_test(self, pos, self.tool)
        self._select_for(hit, event.modifiers(), event.button())
        if hit.row is not None:
            self.set_current_row(hit.row)
        if event.button() == Qt.MouseButton.LeftButton:
            cls = DRAGS.get(hit.kind)
            if cls is not None and hit.row is not None:
                if hit.row.locked:
                    cls = LockedDrag
                self._drag = cls(self, hit, pos, vpos)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos, vpos = self._scene_pos(event)
        if self._drag is not None:
            self._drag.move(pos, vpos, event.modifiers())
            event.accept()
            return
        if event.buttons() == Qt.MouseButton.NoButton:
            hit = hit_test(self, pos, self.tool)
            cursor = CURSORS.get(hit.kind)
            if cursor is None:
                self.viewport().unsetCursor()
            else:
                self.viewport().setCursor(cursor)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos, _ = self._scene_pos(event)
        if self._drag is not None:
            drag, self._drag = self._drag, None
            drag.release(pos, event.modifiers())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape and self._drag is not None:
            self.cancel_drag()
            event.accept()
            return
        super().keyPressEvent(event)

    def _select_for(self, hit: Hit, mods: Qt.KeyboardModifier, button: Qt.MouseButton) -> None:
        target: Any = None
        if hit.kind in CLIP_HITS and hit.clip is not None:
            target = hit.clip.clip
        elif hit.transition is not None:
            target = hit.transition.transition
        elif hit.kind == "cut":
            return
        current = list(self.ctx.selection)
        toggle = bool(mods & (Qt.KeyboardModifier.ControlModifier |
                              Qt.KeyboardModifier.ShiftModifier))
        if target is None:
            if not toggle and button == Qt.MouseButton.LeftButton:
                self.ctx.select([])
            return
        inside = any(i is target for i in current)
        if toggle and button == Qt.MouseButton.LeftButton:
            if bool(mods & Qt.KeyboardModifier.ControlModifier) and inside:
                self.ctx.select([i for i in current if i is not target])
            elif not inside:
                self.ctx.select(current + [target])
        elif not inside:
            self.ctx.select([target])

    # ------------------------------------------------------------------ context menu

    def cut_near(self, row: TrackRow | None, frame: float,
                 px: float = EDGE_PX * 2) -> tuple[ClipItem, ClipItem] | None:
        """The two clips meeting at a cut within ``px`` pixels of ``frame``, if any."""
        if row is None or row.audio or not row.clips:
            return None
        tol = px / self.ppf
        i = row.clip_index_at(frame)
        best = None
        for j in (i - 1, i, i + 1):
            if 0 <= j < len(row.clips):
                a = row.clips[j]
                b = row.next_clip(a)
                d = abs(frame - a.end)
                if b is not None and d <= tol and (best is None or d < best[0]):
                    best = (d, a, b)
        return (best[1], best[2]) if best else None

    def context_menu(self, pos: QPointF) -> QMenu:
        """The context menu for scene position ``pos`` (see :mod:`.menus`)."""
        return context_menu(self, pos)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        menu = self.context_menu(self.mapToScene(event.pos()))
        if not menu.isEmpty():
            menu.exec(event.globalPos())

    # ------------------------------------------------------------------ drops (see .drops)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        self.drops.enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        self.drops.move(event)

    def dragLeaveEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.drops.leave()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        self.drops.drop(event)
