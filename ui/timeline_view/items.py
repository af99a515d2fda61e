"""Graphics items of the timeline: track rows, clips, transitions and vertical lines.

Items live in frames (x) by pixels (y). Painting maps the item's rect to device pixels once
and draws there (text, pixmaps and 1-px lines must not be scaled by the zoom), restricted to
the exposed part of the item. Every item caches its geometry and the document values it
draws; nothing here recomputes a layout.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

import numpy as np
import opentimelineio as otio
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ...generation import placement
from ...quality.takes import badge as quality_badge
from ...quality.takes import clip_report, report_text
from ...timeline import schema as S
from ...timeline.layout import layout, media_bounds
from ...timeline.titles import is_title
from ...timeline.transaction import change_count
from . import style
from .geometry import HANDLE_PX, VOLUME_TOP
from .previews import strip_count
from .waveform import wave_image

if TYPE_CHECKING:
    from .view import TimelineView

TITLE_H = 15  # the name strip at the top of a clip
BADGE_W = 44  # the quality badge (issue 15) in the name strip
QUALITY_PASS = QColor(46, 125, 50, 220)
QUALITY_FAIL = QColor(198, 40, 40, 235)
MIN_DETAIL_PX = 4  # clips narrower than this are drawn as a plain bar
EXTENDED = QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption


def placeholder_state(clip: otio.schema.Clip, controller: Any) -> tuple[str, str]:
    """``(status, text)`` of a generation placeholder: the controller's latest job, else the
    status recorded on the clip."""
    job = controller.clip_job(clip) if controller is not None else None
    if job is not None:
        status, progress = job.status, job.progress
        reason = job.error_message or job.message
    else:
        status, progress, reason = placement.placeholder_status(clip)
    if status == "failed":
        return status, f"Failed: {reason or 'unknown error'}"
    if status == "cancelled":
        return status, "Cancelled"
    if status == "queued":
        return status, "Queued…"
    return status, f"Generating… {int(round(min(max(progress, 0.0), 1.0) * 100))}%"


def is_offline(project: Any, clip: otio.schema.Clip) -> bool:
    ref = clip.media_reference
    if isinstance(ref, otio.schema.MissingReference) or ref is None:
        return True
    url = getattr(ref, "target_url", None)
    return bool(url) and url in project.offline


class TrackRow(QGraphicsItem):
    """One track's row: parent of its clip and transition items; paints nothing itself.

    Keeps its clips sorted by start for O(log n) hit tests.
    """

    def __init__(self, view: TimelineView, track: otio.schema.Track, top: int,
                 height: int) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.view = view
        self.track = track
        self.height = height
        self.items: dict[int, ClipItem | TransitionItem] = {}
        self.clips: list[ClipItem] = []
        self.starts: list[int] = []
        self.transitions: list[TransitionItem] = []
        self.tstarts: list[int] = []
        self.audio = S.is_audio(track)
        self.read_flags()
        self.setPos(0, top)

    @property
    def top(self) -> float:
        return self.y()

    def read_flags(self) -> None:
        self.role = S.track_role(self.track).value
        self.locked = S.track_flag(self.track, "locked")
        self.muted = S.track_flag(self.track, "muted")

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF()

    def paint(self, painter: QPainter, option: Any, widget: Any = None) -> None:
        pass

    def sync(self, rate: float, height: int | None = None) -> None:
        """Bring the items in line with the track (reusing the items of unchanged clips)."""
        if height is not None:
            self.height = height
        self.read_flags()
        old = self.items
        new: dict[int, ClipItem | TransitionItem] = {}
        clips: list[ClipItem] = []
        transitions: list[TransitionItem] = []
        slots = layout(self.track, rate)
        for pos, slot in enumerate(slots):
            if slot.is_gap:
                continue
            key = id(slot.item)
            item = old.pop(key, None)
            if slot.is_transition:
                cut = slots[pos - 1].end if pos > 0 else slot.start
                if not isinstance(item, TransitionItem):
                    item = TransitionItem(self, slot.item)
                item.set_span(slot.start, slot.end, cut, self.height)
                transitions.append(item)
            else:
                if not isinstance(item, ClipItem):
                    item = ClipItem(self, slot.item)
                item.set_span(slot.start, slot.end, self.height)
                item.refresh(rate)
                clips.append(item)
            new[key] = item
        scene = self.scene()
        for item in old.values():
            if scene is not None:
                scene.removeItem(item)
            else:
                item.setParentItem(None)
        self.items = new
        self.clips = clips
        self.starts = [c.start for c in clips]
        self.transitions = transitions
        self.tstarts = [t.start for t in transitions]

    # --- lookups ---------------------------------------------------------------------

    def clip_index_at(self, frame: float) -> int:
        """Index in ``clips`` of the last clip starting at or before ``frame`` (-1: none)."""
        return bisect.bisect_right(self.starts, frame) - 1

    def clip_at(self, frame: float) -> ClipItem | None:
        i = self.clip_index_at(frame)
        if i >= 0 and frame < self.clips[i].end:
            return self.clips[i]
        return None

    def transitions_near(self, frame: float, tol: float) -> list[TransitionItem]:
        j = bisect.bisect_right(self.tstarts, frame + tol)
        return [t for t in self.transitions[max(0, j - 2):j] if t.end + tol >= frame]

    def transition_after(self, clip: ClipItem) -> TransitionItem | None:
        index = self.track.index(clip.clip)
        if index + 1 < len(self.track) and isinstance(self.track[index + 1],
                                                      otio.schema.Transition):
            return self.items.get(id(self.track[index + 1]))  # type: ignore[return-value]
        return None

    def next_clip(self, clip: ClipItem) -> ClipItem | None:
        """The clip directly after ``clip`` (touching it, maybe across a transition)."""
        i = bisect.bisect_left(self.starts, clip.start)
        while i < len(self.clips) and self.clips[i] is not clip:
            i += 1
        if i + 1 < len(self.clips) and self.clips[i + 1].start == clip.end:
            return self.clips[i + 1]
        return None


class ClipItem(QGraphicsItem):
    def __init__(self, row: TrackRow, clip: otio.schema.Clip) -> None:
        super().__init__(row)
        self.setFlag(EXTENDED)
        self.row = row
        self.clip = clip
        self.start = self.end = 0
        self._span: tuple[int, int, int] | None = None  # the last set_span's arguments
        self._rect = QRectF()
        self.slip_preview = 0  # frames of slip shown while the slip tool drags
        self._wave_cache: tuple[tuple, Any] | None = None
        self._elided: tuple[int, str] = (-1, "")
        self._ref_key: tuple | None = None
        self._values: tuple | None = None
        self._seen: tuple | None = None  # (take, change counts of the clip and take, rate)
        self.quality: tuple[bool, float] | None = None  # (passed, score) of the active take

    @property
    def duration(self) -> int:
        return self.end - self.start

    def set_span(self, start: int, end: int, height: int) -> None:
        if self._span == (start, end, height):
            return  # (most clips of a 1,000-clip track on an edit that is not a ripple)
        self._span = (start, end, height)
        rect = QRectF(0, 1, end - start, height - 2)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            self._wave_cache = None
        if start != self.start or self.pos().x() != start:
            self.setPos(start, 0)
        self.start, self.end = start, end

    def refresh(self, rate: float) -> None:
        """Re-read the document values this item draws; repaint only if one changed.

        Runs for every clip of a track the document touched, so it returns at once unless
        the clip or its take had a recorded change (``transaction.change_count``), and the
        media reference's derived values (path, bounds, duration) are recomputed only when
        the reference itself changes (a take switch or relink).
        """
        clip = self.clip
        ref = clip.media_reference
        seen = (ref, change_count(clip), change_count(ref), rate)
        if self._seen is not None and self._seen[0] is ref and self._seen[1:] == seen[1:]:
            return  # no recorded change of the clip or its take since the last read
        self._seen = seen
        url = getattr(ref, "target_url", None)
        ref_key = (id(ref), url, rate)
        if ref_key != self._ref_key:
            self._ref_key = ref_key
            self._read_reference(ref, url, rate)
        audio = (1.0, 0.0, 0.0)
        quality = None if self.row.audio else quality_badge(ref)  # issue 15: verified takes
        if quality != self.quality:
            self.quality = quality
            self.setToolTip(report_text(clip_report(clip)) if quality is not None else "")
            self.update()
        if self.row.audio:  # (metadata lookups are slow: video rows skip what they don't draw)
            md = clip.metadata[S.NS] if S.NS in clip.metadata else {}
            audio = tuple(float(md[k]) if k in md else d
                          for k, d in (("volume", 1.0), ("fade_in", 0.0), ("fade_out", 0.0)))
        values = (clip.name or "clip", S.clip_speed(clip) if len(clip.effects) else 1.0,
                  S.frames_exact(clip.source_range.start_time, rate), *audio, ref_key)
        if values != self._values:
            self._values = values
            self.rate = rate
            (self.name, self.speed, self.src_start, self.volume, self.fade_in,
             self.fade_out, _) = values
            self._elided = (-1, "")
            self._wave_cache = None
            self.update()

    def _read_reference(self, ref: Any, url: str | None, rate: float) -> None:
        project = self.row.view.ctx.project
        self.offline = is_offline(project, self.clip)
        self.placeholder = placement.is_placeholder(self.clip)
        self.title = is_title(self.clip)
        self.src = str(project.resolve_media(url)) if url else None
        bounds = media_bounds(self.clip, rate)
        self.media_start = bounds[0] if bounds else 0.0
        info = S.get(ref, "media", {}) if ref is not None else {}
        seconds = (info or {}).get("duration")
        if seconds is None and bounds:
            seconds = (bounds[1] - bounds[0]) / rate
        self.media_seconds = float(seconds) if seconds else None
        self.still = S.is_still(ref) if ref is not None else False

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    # --- audio geometry (item coordinates) -----------------------------------------

    def volume_y(self, volume: float | None = None) -> float:
        v = self.volume if volume is None else volume
        top, h = self._rect.top() + TITLE_H, self._rect.height() - TITLE_H - 2
        return top + h * (1.0 - min(max(v, 0.0), VOLUME_TOP) / VOLUME_TOP)

    def volume_at(self, y: float) -> float:
        top, h = self._rect.top() + TITLE_H, max(1.0, self._rect.height() - TITLE_H - 2)
        return round(min(max((1.0 - (y - top) / h) * VOLUME_TOP, 0.0), VOLUME_TOP), 3)

    def fade_frames(self) -> tuple[float, float]:
        return self.fade_in * self.rate, self.fade_out * self.rate

    # --- painting ----------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        role = self.row.role
        color = style.TITLE_CLIP if self.title else style.clip_color(role)
        t = painter.worldTransform()
        r = t.mapRect(self._rect)
        if r.width() < MIN_DETAIL_PX:
            painter.fillRect(self._rect, color)
            return
        exposed = t.mapRect(option.exposedRect)
        vis = r.intersected(exposed.adjusted(-3, -3, 3, 3))
        if vis.isEmpty():
            return
        painter.resetTransform()
        view = self.row.view
        selected = id(self.clip) in view.selected_ids
        if self.offline:
            painter.fillRect(vis, style.OFFLINE)
            painter.fillRect(vis, style.hatch(style.OFFLINE_HATCH.name()))
        elif self.placeholder:
            status, text = self.placeholder_state()
            failed = status in ("failed", "cancelled")
            painter.fillRect(vis, style.GENERATION_FAILED if failed else style.GENERATING)
            painter.fillRect(vis, style.hatch(style.GENERATING_HATCH.name()))
            self._paint_status(painter, r, vis, text)
        else:
            painter.fillRect(vis, color.lighter(125) if selected else color)
            if self.row.audio:
                self._paint_audio(painter, r, vis, t.m11())
            else:
                self._paint_video(painter, r, vis, t.m11())
        if self.row.locked or (self.row.muted and self.row.audio):
            painter.fillRect(vis, QColor(0, 0, 0, 90))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if selected:
            painter.setPen(style.pen(style.SELECTED.name(), 2))
            painter.drawRect(vis.adjusted(1, 1, -1, -1))
        else:
            painter.setPen(style.pen(color.darker(170).name()))
            painter.drawRect(vis.adjusted(0, 0, -1, -1))
        if r.width() > 24:
            self._paint_name(painter, r, vis)
        if self.quality is not None and not self.placeholder \
                and r.width() > 2 * BADGE_W:
            self._paint_quality(painter, r)

    def _paint_quality(self, painter: QPainter, r: QRectF) -> None:
        """The verification badge at the top right: the score, red when the take failed."""
        passed, score = self.quality
        box = QRectF(r.right() - BADGE_W - 2, r.top() + 2, BADGE_W, TITLE_H - 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QUALITY_PASS if passed else QUALITY_FAIL)
        painter.drawRoundedRect(box, 3, 3)
        painter.setFont(style.font(8, True))
        painter.setPen(style.TEXT)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter,
                         f"{'✓' if passed else '✗'} {score:.2f}")

    def _paint_name(self, painter: QPainter, r: QRectF, vis: QRectF) -> None:
        # Elide against the whole clip, never the exposed part: a partial repaint (the
        # playhead passing) must draw the same text as a full one, or the pieces differ.
        width = int(r.width() - 8)
        if width < 12:
            return
        if self._elided[0] != width:
            text = self.name if abs(self.speed - 1.0) < 1e-9 else f"{self.name}  {self.speed:g}×"
            if self.offline:
                text = f"{text} (offline)"
            fm = style.metrics()
            self._elided = (width, fm.elidedText(text, Qt.TextElideMode.ElideRight, width))
        painter.setFont(style.font())
        painter.setPen(style.TEXT)
        painter.drawText(QRectF(r.left() + 4, r.top(), width, TITLE_H),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         self._elided[1])

    def placeholder_state(self) -> tuple[str, str]:
        """``(status, text)`` this generation placeholder shows (see :func:`placeholder_state`)."""
        return placeholder_state(self.clip, getattr(self.row.view.ctx, "generation", None))

    def _paint_status(self, painter: QPainter, r: QRectF, vis: QRectF, text: str) -> None:
        width = int(r.width() - 8)
        if width < 12 or r.height() < TITLE_H + 10:
            return
        painter.setFont(style.font(8, True))
        painter.setPen(style.TEXT)
        painter.drawText(QRectF(r.left() + 4, r.top() + TITLE_H, width, r.height() - TITLE_H),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         style.metrics(8, True).elidedText(text, Qt.TextElideMode.ElideRight,
                                                           width))

    def _paint_video(self, painter: QPainter, r: QRectF, vis: QRectF, dppf: float) -> None:
        """Filmstrip tiles under the name strip, each showing the frame at its position."""
        view = self.row.view
        height = int(r.height() - TITLE_H - 2)
        if height < 12 or self.src is None or r.width() < 24:
            return
        count = 1 if self.still else strip_count(self.media_seconds)
        strip = view.previews.strip(self.src, count, height)
        top = r.top() + TITLE_H
        if strip is None:
            painter.fillRect(QRectF(vis.left(), top, vis.width(), height),
                             QColor(0, 0, 0, 50))
            return
        tile_w = strip.width() / count
        if tile_w < 2:
            return
        first = max(0, int((vis.left() - r.left()) // tile_w))
        x = r.left() + first * tile_w
        right = min(vis.right(), r.right())
        seconds = self.media_seconds or 0.0
        while x < right:
            index = 0
            if count > 1 and seconds > 0:
                frame = (x + tile_w / 2 - r.left()) / dppf
                media = self.src_start + (frame + self.slip_preview) * self.speed
                t = (media - self.media_start) / self.rate
                index = int(min(max(t / seconds * count, 0), count - 1))
            w = min(tile_w, right - x)
            painter.drawPixmap(QRectF(x, top, w, height), strip,
                               QRectF(index * tile_w, 0, w, strip.height()))
            x += tile_w

    def _paint_audio(self, painter: QPainter, r: QRectF, vis: QRectF, dppf: float) -> None:
        view = self.row.view
        top = r.top() + TITLE_H
        height = int(r.height() - TITLE_H - 2)
        if height >= 8 and self.src is not None:
            peaks = view.previews.waveform(self.src)
            if peaks is not None:
                self._paint_wave(painter, peaks, r, vis, top, height, dppf)
        # fades (shaded corners) and the volume line
        fin, fout = self.fade_frames()
        fin_px, fout_px = fin * dppf, fout * dppf
        bottom = r.bottom() - 1
        vy = r.top() + (self.volume_y() - self._rect.top())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if fin_px > 0.5:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.FADE)
            painter.drawPolygon(QPolygonF([QPointF(r.left(), top), QPointF(r.left() + fin_px, top),
                                           QPointF(r.left(), bottom)]))
        if fout_px > 0.5:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.FADE)
            painter.drawPolygon(QPolygonF([QPointF(r.right(), top),
                                           QPointF(r.right() - fout_px, top),
                                           QPointF(r.right(), bottom)]))
        painter.setPen(style.pen(style.VOLUME_LINE.name(), 1.5))
        left_x = max(r.left(), vis.left() - 2)
        right_x = min(r.right(), vis.right() + 2)
        a = max(left_x, r.left() + fin_px)
        b = min(right_x, r.right() - fout_px)
        lines = []
        if fin_px > 0.5:
            lines.append(QLineF(r.left(), bottom, r.left() + fin_px, vy))
        if b > a:
            lines.append(QLineF(a, vy, b, vy))
        if fout_px > 0.5:
            lines.append(QLineF(r.right() - fout_px, vy, r.right(), bottom))
        painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if r.width() > 3 * HANDLE_PX:
            painter.setPen(style.pen("#202020"))
            painter.setBrush(style.VOLUME_LINE)
            for x in (r.left() + fin_px, r.right() - fout_px):
                painter.drawRect(QRectF(x - HANDLE_PX / 2, top - TITLE_H + 1, HANDLE_PX,
                                        HANDLE_PX))

    def _paint_wave(self, painter: QPainter, peaks: np.ndarray, r: QRectF, vis: QRectF,
                    top: float, height: int, dppf: float) -> None:
        full = r.width() <= 4096
        x0 = int(r.left()) if full else int(max(r.left(), vis.left()))
        x1 = int(r.right()) if full else int(min(r.right(), vis.right()))
        rel = x0 - r.left()
        gain = min(self.volume, VOLUME_TOP)
        key = (round(dppf, 6), height, round(rel, 1), x1 - x0, gain, self.src_start)
        if self._wave_cache is None or self._wave_cache[0] != key:
            cols = rel + np.arange(max(0, x1 - x0), dtype=np.float64)
            media = self.src_start + cols / dppf * self.speed
            seconds = (media - self.media_start) / self.rate
            made = wave_image(peaks, seconds, self.speed / dppf / self.rate, height, gain,
                              style.WAVE)
            self._wave_cache = (key, made)
        made = self._wave_cache[1]
        if made is not None:
            painter.drawImage(QPointF(x0, top), made[1])


class TransitionItem(QGraphicsItem):
    """A transition over a cut: its overlap region, drawn as a band across the cut."""

    def __init__(self, row: TrackRow, transition: otio.schema.Transition) -> None:
        super().__init__(row)
        self.setFlag(EXTENDED)
        self.setZValue(2)
        self.row = row
        self.transition = transition
        # A kind change replaces the transition object (and so this item): read it once.
        self.kind = S.transition_kind(transition).value
        self.start = self.end = self.cut = 0
        self._rect = QRectF()

    def set_span(self, start: int, end: int, cut: int, height: int) -> None:
        rect = QRectF(0, height * 0.25, max(end - start, 0), height * 0.5)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        if start != self.start or self.pos().x() != start:
            self.setPos(start, 0)
        self.start, self.end, self.cut = start, end, cut

    def band(self) -> tuple[float, float]:
        return self._rect.top(), self._rect.bottom()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        t = painter.worldTransform()
        r = t.mapRect(self._rect)
        if r.width() < 6:
            r.adjust(-3, 0, 3, 0)
        painter.resetTransform()
        selected = id(self.transition) in self.row.view.selected_ids
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(style.pen("#101010"))
        painter.setBrush(style.TRANSITION_SELECTED if selected else style.TRANSITION)
        painter.drawRoundedRect(r, 3, 3)
        painter.setPen(style.pen("#404040"))
        painter.drawLine(r.topLeft(), r.bottomRight())
        painter.drawLine(r.bottomLeft(), r.topRight())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if r.width() > 36:
            painter.setFont(style.font(7, True))
            painter.setPen(QColor("#101010"))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, self.kind)


class VLine(QGraphicsItem):
    """A vertical line across the tracks (playhead, snap line, markers); 1 px at any zoom."""

    def __init__(self, color: QColor, width: float = 1.0,
                 style_: Qt.PenStyle = Qt.PenStyle.SolidLine, z: float = 10) -> None:
        super().__init__()
        self.setZValue(z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity)
        self._pen = style.pen(color.name(), width, style_)
        self._half = 1.0
        self._height = 0.0
        self.frame = 0.0

    def set_frame(self, frame: float) -> None:
        self.frame = frame
        self.setPos(frame, 0)

    def set_metrics(self, ppf: float, height: float) -> None:
        """Keep the bounding box a few pixels wide at the zoom ``ppf``."""
        self.prepareGeometryChange()
        self._half = 4.0 / max(ppf, 1e-9)
        self._height = height

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-self._half, 0, 2 * self._half, self._height)

    def paint(self, painter: QPainter, option: Any, widget: Any = None) -> None:
        t = painter.worldTransform()
        top = t.map(QPointF(0, 0))
        bottom = t.map(QPointF(0, self._height))
        painter.resetTransform()
        painter.setPen(self._pen)
        x = round(top.x()) + 0.5
        painter.drawLine(QPointF(x, top.y()), QPointF(x, bottom.y()))
