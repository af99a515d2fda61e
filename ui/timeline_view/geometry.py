"""Timeline geometry: frames on x, pixels on y; row layout and ruler tick steps.

The graphics scene is laid out in *frames* horizontally and *pixels* vertically; zoom is the
view's horizontal scale (pixels per frame), so zooming never touches the items.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import opentimelineio as otio

from ...timeline import schema as S

RULER_HEIGHT = 30
HEADER_WIDTH = 200
MIN_TRACK_HEIGHT = 28
MAX_TRACK_HEIGHT = 240
DEFAULT_HEIGHTS = {"video": 64, "audio": 52}
HEIGHT_PRESETS = {"Small": 36, "Medium": 64, "Large": 110}
EDGE_PX = 6  # how close (px) to a clip edge or cut the pointer grabs it
SNAP_PX = 8  # snapping distance on screen
DROP_CUT_PX = 30  # how close to a cut a dropped transition lands on it
HANDLE_PX = 7  # fade handle size
MIN_PPS = 0.05  # pixels per second, the furthest zoom-out
MAX_PPF = 60.0  # pixels per frame, the closest zoom-in
VOLUME_TOP = 2.0  # linear gain at the top of an audio clip (1.0 sits in the middle)


def kind_of(track: otio.schema.Track) -> str:
    return "audio" if S.is_audio(track) else "video"


def track_height(track: otio.schema.Track) -> int:
    value = S.get(track, "height")
    if not value:
        return DEFAULT_HEIGHTS[kind_of(track)]
    return clamp_height(int(value))


def clamp_height(value: float) -> int:
    return int(max(MIN_TRACK_HEIGHT, min(MAX_TRACK_HEIGHT, round(value))))


def display_order(tracks: Iterable[otio.schema.Track]) -> list[otio.schema.Track]:
    """Video tracks top-down (the top layer first), then audio tracks in document order."""
    tracks = list(tracks)
    videos = [t for t in tracks if not S.is_audio(t)]
    audios = [t for t in tracks if S.is_audio(t)]
    return videos[::-1] + audios


@dataclass
class RowLayout:
    """Vertical positions of the track rows (display order)."""

    tops: list[int]
    heights: list[int]

    @classmethod
    def of(cls, heights: Sequence[int]) -> RowLayout:
        tops, y = [], 0
        for h in heights:
            tops.append(y)
            y += h
        return cls(tops, list(heights))

    @property
    def total(self) -> int:
        return (self.tops[-1] + self.heights[-1]) if self.tops else 0

    def index_at(self, y: float) -> int | None:
        i = bisect.bisect_right(self.tops, y) - 1
        if 0 <= i < len(self.tops) and y < self.tops[i] + self.heights[i]:
            return i
        return None


def clamp_pps(pps: float, rate: float) -> float:
    return max(MIN_PPS, min(MAX_PPF * rate, pps))


def fit_pps(duration_frames: int, rate: float, width_px: int) -> float:
    """The zoom that shows ``duration_frames`` (at least one second) in ``width_px``."""
    seconds = max(1.0, duration_frames / rate)
    return clamp_pps(max(50, width_px - 24) / seconds, rate)


def tick_steps(rate: float, ppf: float, min_label_px: float = 96.0) -> tuple[int, int]:
    """(major, minor) ruler tick steps in frames for the zoom ``ppf`` (pixels per frame).

    Majors are whole frames below a second and "round" times above (1 s, 2 s, 5 s, 10 s,
    15 s, 30 s, 1 min …) with at least ``min_label_px`` between labels; minors divide a
    major into 2, 4, 5 or 10 parts at least 6 px apart (0 when none fits).
    """
    fps = max(1, int(round(rate)))
    candidates = [f for f in (1, 2, 5, 10) if f < fps]
    for seconds in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000):
        candidates.append(seconds * fps)
    major = candidates[-1]
    for step in candidates:
        if step * ppf >= min_label_px:
            major = step
            break
    minor = 0
    for parts in (10, 5, 4, 2):
        if major % parts == 0 and (major // parts) * ppf >= 6:
            minor = major // parts
            break
    return major, minor
