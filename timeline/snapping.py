"""Snapping for drags: clip edges, the playhead and markers within a tolerance.

A :class:`Snapper` is built once when a drag starts (the points don't move
during it) and answers each mouse move with a binary search.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from . import schema as S
from .layout import layout


@dataclass(frozen=True)
class Snap:
    frame: int          # where the dragged edge lands
    target: int | None  # the snap point used, or None when nothing was near
    delta: int = 0      # how far the whole dragged span moved to snap


def snap_points(scene: otio.schema.Timeline, *, playhead: int | None = None,
                exclude: Iterable[Any] = (), markers: bool = True) -> list[int]:
    """Sorted frames a drag may snap to; items in ``exclude`` (the dragged ones) don't count."""
    rate = S.scene_rate(scene)
    skip = {id(item) for item in exclude}
    points = {0}
    for track in scene.tracks:
        for slot in layout(track, rate):
            if slot.is_clip and id(slot.item) not in skip:
                points.add(slot.start)
                points.add(slot.end)
    if markers:
        for marker in scene.tracks.markers:
            points.add(S.frames(marker.marked_range.start_time, rate))
    if playhead is not None:
        points.add(playhead)
    return sorted(points)


def tolerance_frames(pixels: float, pixels_per_frame: float) -> int:
    """Convert an on-screen snap distance (e.g. 8 px) to frames at the current zoom."""
    return max(0, int(pixels / max(pixels_per_frame, 1e-9)))


class Snapper:
    def __init__(self, points: Iterable[int], tolerance: int, enabled: bool = True) -> None:
        self.points = sorted(set(points))
        self.tolerance = tolerance
        self.enabled = enabled

    def nearest(self, frame: int) -> int | None:
        if not self.enabled or not self.points:
            return None
        i = bisect.bisect_left(self.points, frame)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(self.points):
                p = self.points[j]
                if abs(p - frame) <= self.tolerance and (best is None or
                                                         abs(p - frame) < abs(best - frame)):
                    best = p
        return best

    def snap(self, frame: int) -> Snap:
        """Snap one edge (a trim, the playhead, a marker)."""
        target = self.nearest(frame)
        return Snap(frame if target is None else target, target)

    def snap_span(self, start: int, duration: int) -> Snap:
        """Snap a moved clip by whichever of its edges is closer to a point."""
        options = []
        for edge in (start, start + duration):
            target = self.nearest(edge)
            if target is not None:
                options.append((abs(target - edge), target - edge, target))
        if not options:
            return Snap(start, None)
        _, delta, target = min(options)
        return Snap(max(0, start + delta), target, delta)
