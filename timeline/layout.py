"""Where items sit on a track, in whole frames at the scene rate.

OTIO tracks are sequential: an item's position is the sum of the durations
before it, and transitions take no time on the track. These helpers turn that
into explicit ``[start, end)`` spans the edit commands and views work with.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import opentimelineio as otio

from .schema import frames, frames_exact

Clip = otio.schema.Clip
Gap = otio.schema.Gap
Transition = otio.schema.Transition


class Slot(NamedTuple):  # a tuple: a 1,000-clip layout is built in every edit
    index: int
    item: Any
    start: int
    end: int

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def is_clip(self) -> bool:
        return isinstance(self.item, Clip)

    @property
    def is_gap(self) -> bool:
        return isinstance(self.item, Gap)

    @property
    def is_transition(self) -> bool:
        return isinstance(self.item, Transition)


def item_frames(item: Any, rate: float) -> int:
    if isinstance(item, Transition):
        return 0
    return frames(item.source_range.duration, rate) if item.source_range else 0


def _cached_frames(item: Any, rate: float) -> int:
    """``item_frames``, remembered on the item until its next recorded change
    (``transaction.change_count``: a set range counts): reading an OTIO range costs
    ~4 µs, most of a 1,000-clip layout, and an edit changes a few items of a track."""
    key = (getattr(item, "_aladdin_changes", 0), rate)
    cached = getattr(item, "_aladdin_frames", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    value = item_frames(item, rate)
    item._aladdin_frames = (key, value)
    return value


def layout(track: otio.schema.Track, rate: float) -> list[Slot]:
    """All children with their spans; a transition's span is its overlap region.

    Cached on the track until a recorded edit changes it (``transaction.bump``);
    treat the returned list as read-only.
    """
    version = getattr(track, "_aladdin_version", 0)
    cached = getattr(track, "_aladdin_layout", None)
    if cached is not None and cached[0] == version and cached[1] == rate:
        return cached[2]
    slots = _compute(track, rate)
    track._aladdin_layout = (version, rate, slots)
    return slots


def _compute(track: otio.schema.Track, rate: float) -> list[Slot]:
    slots: list[Slot] = []
    add = slots.append
    pos = 0
    for index, item in enumerate(track):
        if isinstance(item, Transition):
            a = frames(item.in_offset, rate)
            b = frames(item.out_offset, rate)
            add(Slot(index, item, pos - a, pos + b))
            continue
        cached = getattr(item, "_aladdin_frames", None)  # see _cached_frames, inlined
        if cached is not None and cached[0] == (getattr(item, "_aladdin_changes", 0), rate):
            d = cached[1]
        else:
            d = _cached_frames(item, rate)
        add(Slot(index, item, pos, pos + d))
        pos += d
    return slots


def track_end(track: otio.schema.Track, rate: float) -> int:
    for slot in reversed(layout(track, rate)):
        if not slot.is_transition:
            return slot.end
    return 0


def slot_of(track: otio.schema.Track, item: Any, rate: float) -> Slot:
    for slot in layout(track, rate):
        if slot.item is item:
            return slot
    raise LookupError(f"{item.name or 'item'} is not on track {track.name!r}")


def slot_at(track: otio.schema.Track, frame: int, rate: float) -> Slot | None:
    """The clip or gap covering ``frame`` (transitions are skipped)."""
    for slot in layout(track, rate):
        if not slot.is_transition and slot.start <= frame < slot.end:
            return slot
    return None


def neighbours(track: otio.schema.Track, index: int) -> tuple[Any, Any]:
    prev = track[index - 1] if index > 0 else None
    nxt = track[index + 1] if index + 1 < len(track) else None
    return prev, nxt


def media_bounds(clip: otio.schema.Clip, rate: float) -> tuple[float, float] | None:
    """The active take's available media range as (start, end) frames, if known."""
    ref = clip.media_reference
    available = getattr(ref, "available_range", None)
    if available is None:
        return None
    start = frames_exact(available.start_time, rate)
    return start, start + frames_exact(available.duration, rate)


def clips(track: otio.schema.Track) -> list[otio.schema.Clip]:
    return [item for item in track if isinstance(item, Clip)]
