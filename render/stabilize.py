"""Feature-based video stabilization of I420 frames (OpenCV, two passes).

Analysis (once per clip span): every frame of the span is read, its luma downscaled to
:data:`ANALYSIS_WIDTH`; corners from ``goodFeaturesToTrack`` on frame *k − 1* are tracked
into frame *k* with pyramidal Lucas-Kanade and ``estimateAffinePartial2D`` (RANSAC) gives
the frame-to-frame translation and rotation about the centre. Their running sum is the
camera trajectory; a moving average over :data:`SMOOTH_SECONDS` (ends padded by odd
reflection, so a steady pan is kept to the last frame) is the intended path, and
``smoothed − raw`` is each frame's correction. Corrections are stored as
``(dx / width, dy / width, angle)`` so they apply at any output size.

Rendering: the correction plus a fixed :data:`ZOOM` about the centre is one
``cv2.warpAffine`` per plane. The shift is clamped to the margin the zoom crops away, so
very large shake is only partly removed rather than showing (edge-replicated) borders.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from aladdin_studio.render.transitions import planes

__all__ = ["ANALYSIS_WIDTH", "SMOOTH_SECONDS", "ZOOM", "Stabilizer", "analyse", "frame_times"]

log = logging.getLogger(__name__)

ANALYSIS_WIDTH = 480
SMOOTH_SECONDS = 0.67  # moving-average window
ZOOM = 1.06
_VERSION = 1  # bump when the analysis changes, to ignore old cache files
_MIN_POINTS = 8

Source = Callable[[float], np.ndarray]


def frame_times(span: tuple[float, float], fps: float) -> np.ndarray:
    """Media times ``t0 + k / fps`` covering ``[t0, t1)`` (at least one frame)."""
    t0, t1 = span
    n = max(1, math.ceil((t1 - t0) * fps - 1e-6))
    return t0 + np.arange(n) / fps


def _small_luma(frame: np.ndarray) -> np.ndarray:
    y = planes(frame)[0]
    h, w = y.shape
    if w <= ANALYSIS_WIDTH:
        return np.ascontiguousarray(y)
    size = (ANALYSIS_WIDTH, max(2, round(h * ANALYSIS_WIDTH / w)))
    return cv2.resize(y, size, interpolation=cv2.INTER_AREA)


def _motion(prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """``(dx, dy, angle)`` moving ``prev``'s content onto ``cur`` (pixels, radians)."""
    none = np.zeros(3)
    pts = cv2.goodFeaturesToTrack(prev, maxCorners=200, qualityLevel=0.01, minDistance=8,
                                  blockSize=3)
    if pts is None or len(pts) < _MIN_POINTS:
        return none
    nxt, status, _err = cv2.calcOpticalFlowPyrLK(prev, cur, pts, None, winSize=(21, 21),
                                                 maxLevel=3)
    ok = status.reshape(-1) == 1
    if ok.sum() < _MIN_POINTS:
        return none
    centre = np.array([(prev.shape[1] - 1) / 2.0, (prev.shape[0] - 1) / 2.0], np.float32)
    m, _inliers = cv2.estimateAffinePartial2D(pts[ok] - centre, nxt[ok] - centre,
                                              method=cv2.RANSAC, ransacReprojThreshold=1.0)
    if m is None:
        return none
    return np.array([m[0, 2], m[1, 2], math.atan2(m[1, 0], m[0, 0])])


def _moving_average(path: np.ndarray, radius: int) -> np.ndarray:
    """Centred moving average along axis 0; ends padded by odd reflection."""
    n = len(path)
    if n < 2 or radius < 1:
        return path.copy()
    r = min(radius, n - 1)
    head = 2 * path[0] - path[r:0:-1]
    tail = 2 * path[-1] - path[-2:-r - 2:-1]
    padded = np.concatenate([head, path, tail])
    csum = np.concatenate([np.zeros((1, path.shape[1])), np.cumsum(padded, axis=0)])
    return (csum[2 * r + 1:] - csum[:-2 * r - 1]) / (2 * r + 1)


def analyse(source: Source, span: tuple[float, float], fps: float) -> np.ndarray:
    """Per-frame corrections ``(n, 3)``: ``(dx / width, dy / width, angle)``."""
    times = frame_times(span, fps)
    motions = np.zeros((len(times), 3))
    prev = _small_luma(source(float(times[0])))
    width = prev.shape[1]
    for k in range(1, len(times)):
        cur = _small_luma(source(float(times[k])))
        motions[k] = _motion(prev, cur)
        prev = cur
    trajectory = np.cumsum(motions, axis=0)
    radius = max(1, round(SMOOTH_SECONDS * fps / 2))
    correction = _moving_average(trajectory, radius) - trajectory
    correction[:, :2] /= width
    return correction


def correction_matrix(correction: np.ndarray, w: int, h: int, zoom: float = ZOOM) -> np.ndarray:
    """2×3 luma warp: rotate by the correction angle about the centre, shift, then zoom.

    The shift is limited to what the zoom crops away, so no border is pulled into view
    by translation (rotation may still show a sliver of replicated edge in the corners).
    """
    centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    reach = centre * (1.0 - 1.0 / zoom)
    shift = np.clip(np.asarray(correction[:2]) * w, -reach, reach)
    c, s = math.cos(correction[2]), math.sin(correction[2])
    a = zoom * np.array([[c, -s], [s, c]])
    b = centre + zoom * shift - a @ centre
    return np.hstack([a, b[:, None]])


def warp(frame: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Warp an I420 frame by the luma matrix ``m`` (chroma sited at 2×2 block centres)."""
    out = np.empty_like(frame)
    a, b = m[:, :2], m[:, 2]
    mc = np.hstack([a, ((a @ [0.5, 0.5] + b - 0.5) / 2.0)[:, None]])
    flags, border = cv2.INTER_LINEAR, cv2.BORDER_REPLICATE
    for src, dst, mat in zip(planes(frame), planes(out), (m, mc, mc), strict=True):
        h, w = src.shape
        dst[...] = cv2.warpAffine(src, mat, (w, h), flags=flags, borderMode=border)
    return out


class Stabilizer:
    """Analyses a clip span on first use (cached in memory and on disk), then warps frames."""

    def __init__(self, fps: float, *, cache_dir: Path | None = None, clip_key: str = "") -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.fps = float(fps)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.clip_key = clip_key
        self._corrections: dict[tuple[float, float], np.ndarray] = {}
        self._warned = False

    def cache_path(self, span: tuple[float, float]) -> Path | None:
        """The cache file for ``span`` (``None`` without ``cache_dir`` or ``clip_key``)."""
        if self.cache_dir is None or not self.clip_key:
            return None
        key = json.dumps([_VERSION, self.clip_key, [round(t, 6) for t in span],
                          round(self.fps, 6), ANALYSIS_WIDTH, SMOOTH_SECONDS])
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.cache_dir / f"stabilize-{digest}.npy"

    def corrections(self, source: Source, span: tuple[float, float]) -> np.ndarray:
        span = (float(span[0]), float(span[1]))
        found = self._corrections.get(span)
        if found is None:
            n = len(frame_times(span, self.fps))
            path = self.cache_path(span)
            found = _load(path, n)
            if found is None:
                found = analyse(source, span, self.fps)
                _save(path, found)
            self._corrections[span] = found
        return found

    def apply(self, frame: np.ndarray, source_time: float, source: Source | None,
              span: tuple[float, float] | None) -> np.ndarray:
        """The stabilized frame; ``frame`` itself when there is no source/span to analyse."""
        if source is None or span is None:
            if not self._warned:
                log.debug("stabilize: no source/span given, frame left unstabilized")
                self._warned = True
            return frame
        corrections = self.corrections(source, span)
        k = int(round((source_time - span[0]) * self.fps))
        k = min(len(corrections) - 1, max(0, k))
        h, w = planes(frame)[0].shape
        return warp(frame, correction_matrix(corrections[k], w, h))


def _load(path: Path | None, n: int) -> np.ndarray | None:
    if path is None or not path.is_file():
        return None
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable stabilization cache %s: %s", path, exc)
        return None
    if data.shape != (n, 3) or not np.isfinite(data).all():
        return None
    return data


def _save(path: Path | None, data: np.ndarray) -> None:
    """Write atomically; a cache that cannot be written is only logged."""
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".stabilize-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, data, allow_pickle=False)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write stabilization cache %s: %s", path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
