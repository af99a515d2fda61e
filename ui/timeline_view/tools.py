"""Mouse gestures on the timeline: what the pointer is over, and one class per drag.

A drag previews locally (a ghost rectangle, the slip offset of one item, a snap line) and
pushes a single command on release, so a mouse move costs O(1) Python work whatever the
number of clips: the snap points are collected once when the drag starts. Volume and fade
drags push ``SetClipAudio`` live (same merge key: one undo step) and the view updates just
that clip for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from ...timeline import commands as C
from ...timeline.layout import item_frames, media_bounds
from .geometry import EDGE_PX, HANDLE_PX
from .items import TITLE_H, ClipItem, TrackRow, TransitionItem

if TYPE_CHECKING:
    from .view import TimelineView

SELECT, SLIP, ROLL = "select", "slip", "roll"
TOOLS = (SELECT, SLIP, ROLL)
INF = float("inf")


@dataclass
class Hit:
    """What is under the pointer.

    ``kind``: empty, row (empty part of a track), clip, trim_in, trim_out, cut (roll tool),
    slip, transition, transition_in, transition_out, volume, fade_in, fade_out.
    """

    kind: str
    row: TrackRow | None = None
    clip: ClipItem | None = None
    other: ClipItem | None = None  # the clip right of a cut
    transition: TransitionItem | None = None
    frame: float = 0.0


def hit_test(view: TimelineView, pos: QPointF, tool: str = SELECT) -> Hit:
    """Classify scene position ``pos`` (frames, px); O(log n) in the clips of one track."""
    row = view.row_at(pos.y())
    frame = pos.x()
    if row is None:
        return Hit("empty", frame=frame)
    ppf = view.ppf
    tol = EDGE_PX / ppf
    local_y = pos.y() - row.top
    for tr in row.transitions_near(frame, tol):
        top, bottom = tr.band()
        if top <= local_y <= bottom and tr.start - tol <= frame <= tr.end + tol:
            inner = min(tol, (tr.end - tr.start) / 3)
            if tool == ROLL:
                break
            if abs(frame - tr.start) <= inner:
                return Hit("transition_in", row, transition=tr, frame=frame)
            if abs(frame - tr.end) <= inner:
                return Hit("transition_out", row, transition=tr, frame=frame)
            return Hit("transition", row, transition=tr, frame=frame)
    i = row.clip_index_at(frame + tol)
    near = [row.clips[j] for j in (i - 1, i, i + 1) if 0 <= j < len(row.clips)]
    clip = row.clip_at(frame)
    if tool == ROLL:
        for a in near:
            b = row.next_clip(a) if abs(frame - a.end) <= tol else None
            if b is not None:
                return Hit("cut", row, clip=a, other=b, frame=frame)
    if clip is not None and row.audio and tool == SELECT:
        fin, fout = clip.fade_frames()
        if local_y <= clip.boundingRect().top() + HANDLE_PX + 3:
            handle = HANDLE_PX / ppf
            if abs(frame - (clip.start + fin)) <= handle:
                return Hit("fade_in", row, clip=clip, frame=frame)
            if abs(frame - (clip.end - fout)) <= handle:
                return Hit("fade_out", row, clip=clip, frame=frame)
    if tool != SLIP:
        edge = _edge_hit(row, near, clip, frame, tol)
        if edge is not None:
            return edge
    if clip is None:
        return Hit("row", row, frame=frame)
    if tool == SLIP:
        return Hit("slip", row, clip=clip, frame=frame)
    if row.audio and local_y > TITLE_H and abs(local_y - clip.volume_y()) <= 4:
        return Hit("volume", row, clip=clip, frame=frame)
    return Hit("clip", row, clip=clip, frame=frame)


def _edge_hit(row: TrackRow, near: list[ClipItem], clip: ClipItem | None, frame: float,
              tol: float) -> Hit | None:
    if clip is not None:
        inner = min(tol, clip.duration / 3)
        if frame - clip.start <= inner:
            return Hit("trim_in", row, clip=clip, frame=frame)
        if clip.end - frame <= inner:
            return Hit("trim_out", row, clip=clip, frame=frame)
        return None
    for c in near:  # in a gap: an edge just beside it
        if 0 <= frame - c.end <= tol:
            return Hit("trim_out", row, clip=c, frame=frame)
        if 0 <= c.start - frame <= tol:
            return Hit("trim_in", row, clip=c, frame=frame)
    return None


CURSORS = {
    "trim_in": Qt.CursorShape.SizeHorCursor,
    "trim_out": Qt.CursorShape.SizeHorCursor,
    "transition_in": Qt.CursorShape.SizeHorCursor,
    "transition_out": Qt.CursorShape.SizeHorCursor,
    "fade_in": Qt.CursorShape.SizeHorCursor,
    "fade_out": Qt.CursorShape.SizeHorCursor,
    "cut": Qt.CursorShape.SplitHCursor,
    "slip": Qt.CursorShape.SizeHorCursor,
    "volume": Qt.CursorShape.SizeVerCursor,
    "clip": Qt.CursorShape.OpenHandCursor,
}


# --- drags -----------------------------------------------------------------------------------

class Drag:
    """Base of the drags: a threshold before anything moves, then ``update`` per move."""

    live = False  # pushes commands while dragging (volume, fades)

    def __init__(self, view: TimelineView, hit: Hit, press: QPointF, vpos: QPoint) -> None:
        self.view, self.hit = view, hit
        self.press, self.press_vpos = press, vpos
        self.rate = view.rate
        self.started = False
        self.changed = False

    def move(self, pos: QPointF, vpos: QPoint, modifiers: Qt.KeyboardModifier) -> None:
        if not self.started:
            if (vpos - self.press_vpos).manhattanLength() < QApplication.startDragDistance():
                return
            self.started = True
            self.begin()
        self.update(pos, modifiers)

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        try:
            if self.started:
                self.update(pos, modifiers)
                self.commit(modifiers)
        finally:
            self.cleanup()

    def cancel(self) -> None:
        self.cleanup()

    def begin(self) -> None:
        pass

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        raise NotImplementedError

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        pass

    def cleanup(self) -> None:
        self.view.hide_feedback()


def _bounds(item: ClipItem, rate: float) -> tuple[float, float]:
    """Media bounds of a clip in frames; unbounded for stills and unknown media."""
    bounds = media_bounds(item.clip, rate)
    if bounds is None or item.still:
        return -INF, INF
    return bounds


def _floor(x: float) -> float:
    return x if math.isinf(x) else math.floor(x + 1e-9)


def _ceil(x: float) -> float:
    return x if math.isinf(x) else math.ceil(x - 1e-9)


class MoveDrag(Drag):
    """Drag a clip within its track or to another track of the same kind (MoveClip).

    Ctrl held on release inserts (pushes later clips right) instead of overwriting."""

    def begin(self) -> None:
        item = self.hit.clip
        assert item is not None
        self.item = item
        self.grab = self.press.x() - item.start
        self.snapper = self.view.make_snapper(exclude=[item.clip])
        self.row = item.row
        self.at = item.start

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        item = self.item
        start = max(0, round(pos.x() - self.grab))
        snap = self.snapper.snap_span(start, item.duration)
        self.at = max(0, snap.frame)
        row = self.view.row_at(pos.y())
        if row is not None and row.audio == item.row.audio:
            self.row = row
        self.view.show_snap(snap.target)
        self.view.show_ghost(0, self.row, self.at, self.at + item.duration,
                             ok=not self.row.locked)
        self.view.show_label(self.row, self.at, self.view.timecode(self.at))

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        item = self.item
        if self.row is item.row and self.at == item.start:
            return
        insert = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        self.view.ctx.push(C.MoveClip(item.clip, self.row.track, self.at, insert=insert))


class TrimDrag(Drag):
    """Drag a clip's in or out edge (Trim); Shift held on release ripples."""

    def begin(self) -> None:
        item = self.hit.clip
        assert item is not None
        self.item = item
        self.edge = "in" if self.hit.kind == "trim_in" else "out"
        self.snapper = self.view.make_snapper(exclude=[item.clip])
        self.delta = 0
        rate, speed = self.rate, item.speed
        b0, b1 = _bounds(item, rate)
        dur, src0 = item.duration, item.src_start
        track = item.row.track
        index = track.index(item.clip)
        if self.edge == "out":
            self.lo = 1 - dur
            self.hi = _floor((b1 - (src0 + dur * speed)) / speed)
            nxt = track[index + 1] if index + 1 < len(track) else None
            self.room = INF if nxt is None else (item_frames(nxt, rate)
                                                 if isinstance(nxt, C.Gap) else 0)
        else:
            self.hi = dur - 1
            self.lo = _ceil(-(src0 - b0) / speed)
            prev = track[index - 1] if index > 0 else None
            self.room = item_frames(prev, rate) if isinstance(prev, C.Gap) else 0

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        item = self.item
        ripple = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        edge = item.start if self.edge == "in" else item.end
        snap = self.snapper.snap(round(pos.x()))
        lo, hi = self.lo, self.hi
        if not ripple:  # without ripple the clip only grows into a gap beside it
            if self.edge == "out":
                hi = min(hi, self.room)
            else:
                lo = max(lo, -self.room)
        delta = int(min(max(snap.frame - edge, lo), hi))
        self.delta = delta
        start, end = (item.start + delta, item.end) if self.edge == "in" else \
            (item.start, item.end + delta)
        self.view.show_snap(snap.target if snap.frame - edge == delta else None)
        self.view.show_ghost(0, item.row, start, end)
        sign = "+" if delta >= 0 else "−"
        text = f"{sign}{self.view.timecode(abs(delta))}{'  ripple' if ripple else ''}"
        self.view.show_label(item.row, start if self.edge == "in" else end, text)

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        if self.delta:
            ripple = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            self.view.ctx.push(C.Trim(self.item.clip, self.edge, self.delta, ripple=ripple))


class SlipDrag(Drag):
    """Slip tool: dragging inside a clip shows other media in it (Slip); the picture follows
    the pointer."""

    def begin(self) -> None:
        item = self.hit.clip
        assert item is not None
        self.item = item
        b0, b1 = _bounds(item, self.rate)
        speed, src0 = item.speed, item.src_start
        self.lo = _ceil((b0 - src0) / speed)
        self.hi = _floor((b1 - (src0 + item.duration * speed)) / speed)
        self.delta = 0

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        moved = round(pos.x()) - round(self.press.x())
        self.delta = int(min(max(-moved, self.lo), self.hi))
        self.item.slip_preview = self.delta
        self.item.update()
        sign = "+" if self.delta >= 0 else "−"
        self.view.show_ghost(0, self.item.row, self.item.start, self.item.end)
        self.view.show_label(self.item.row, self.item.start,
                             f"slip {sign}{self.view.timecode(abs(self.delta))}")

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        if self.delta:
            self.view.ctx.push(C.Slip(self.item.clip, self.delta))

    def cleanup(self) -> None:
        self.item.slip_preview = 0
        self.item.update()
        super().cleanup()


class RollDrag(Drag):
    """Roll tool: move the cut between two clips (Roll), trimming both."""

    def begin(self) -> None:
        a, b = self.hit.clip, self.hit.other
        assert a is not None and b is not None
        self.a, self.b = a, b
        self.cut = a.end
        self.snapper = self.view.make_snapper(exclude=[a.clip, b.clip])
        a0, a1 = _bounds(a, self.rate)
        b0, _ = _bounds(b, self.rate)
        self.hi = min(b.duration - 1,
                      _floor((a1 - (a.src_start + a.duration * a.speed)) / a.speed))
        self.lo = max(1 - a.duration, -_floor((b.src_start - b0) / b.speed))
        self.delta = 0

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        snap = self.snapper.snap(round(pos.x()))
        self.delta = int(min(max(snap.frame - self.cut, self.lo), self.hi))
        cut = self.cut + self.delta
        self.view.show_snap(snap.target if snap.frame == cut else None)
        self.view.show_ghost(0, self.a.row, self.a.start, cut)
        self.view.show_ghost(1, self.b.row, cut, self.b.end)
        sign = "+" if self.delta >= 0 else "−"
        self.view.show_label(self.a.row, cut, f"roll {sign}{self.view.timecode(abs(self.delta))}")

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        if self.delta:
            self.view.ctx.push(C.Roll(self.a.clip, self.delta))


class TransitionDrag(Drag):
    """Drag either edge of a transition to change its duration (ChangeTransition); it stays
    centred on its cut."""

    def begin(self) -> None:
        item = self.hit.transition
        assert item is not None
        self.item = item
        self.total = item.end - item.start

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        cut = self.item.cut
        self.total = max(1, round(2 * abs(pos.x() - cut)))
        start = cut - self.total // 2
        self.view.show_ghost(0, self.item.row, start, start + self.total)
        self.view.show_label(self.item.row, start,
                             f"{self.item.kind} {self.total / self.rate:.2f} s")

    def commit(self, modifiers: Qt.KeyboardModifier) -> None:
        if self.total != self.item.end - self.item.start:
            self.view.ctx.push(C.ChangeTransition(self.item.transition,
                                                  seconds=self.total / self.rate))


class VolumeDrag(Drag):
    """Drag an audio clip's volume line up or down (SetClipAudio volume, merged)."""

    live = True

    def begin(self) -> None:
        self.item = self.hit.clip
        self.view.set_live(self.item)
        self.value = self.item.volume

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        item = self.item
        value = item.volume_at(pos.y() - item.row.top)
        db = 20 * math.log10(value) if value > 0 else -INF
        self.view.show_label(item.row, item.start + item.duration / 2,
                             f"volume {value:.2f} ({db:+.1f} dB)")
        if value != self.value:
            self.value = value
            self.view.ctx.push(C.SetClipAudio(item.clip, volume=value))

    def cleanup(self) -> None:
        self.view.set_live(None)
        super().cleanup()


class FadeDrag(Drag):
    """Drag an audio clip's fade-in or fade-out handle (SetClipAudio fade_in/fade_out)."""

    live = True

    def begin(self) -> None:
        self.item = self.hit.clip
        self.key = "fade_in" if self.hit.kind == "fade_in" else "fade_out"
        self.view.set_live(self.item)
        self.value = getattr(self.item, self.key)

    def update(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        item = self.item
        frames = pos.x() - item.start if self.key == "fade_in" else item.end - pos.x()
        other = item.fade_out if self.key == "fade_in" else item.fade_in
        limit = max(0.0, item.duration / self.rate - other)
        value = round(min(max(round(frames) / self.rate, 0.0), limit), 4)
        x = item.start + value * self.rate if self.key == "fade_in" else \
            item.end - value * self.rate
        self.view.show_label(item.row, x, f"{self.key.replace('_', ' ')} {value:.2f} s")
        if value != self.value:
            self.value = value
            self.view.ctx.push(C.SetClipAudio(item.clip, **{self.key: value}))

    def cleanup(self) -> None:
        self.view.set_live(None)
        super().cleanup()


DRAGS: dict[str, type[Drag]] = {
    "clip": MoveDrag,
    "trim_in": TrimDrag,
    "trim_out": TrimDrag,
    "slip": SlipDrag,
    "cut": RollDrag,
    "transition_in": TransitionDrag,
    "transition_out": TransitionDrag,
    "volume": VolumeDrag,
    "fade_in": FadeDrag,
    "fade_out": FadeDrag,
}
