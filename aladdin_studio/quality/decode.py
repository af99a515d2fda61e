"""Decode a clip once for every check: frame timestamps, a small grey copy of every frame
(motion, freezes, flicker), colour samples spread across the clip (consistency, clarity) and
a few luma planes at full size (compression blocks).

Decoding dominates the cost of a verification, so nothing else opens the file again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import AladdinError, ErrorKind

__all__ = ["SAMPLE_WIDTH", "SMALL_WIDTH", "ClipFrames", "UnreadableClipError", "decode_clip"]

SMALL_WIDTH = 160  # every frame, grey: enough for global motion and luminance
SAMPLE_WIDTH = 640  # sampled frames, colour: features, colours, sharpness
SAMPLES = 9
NATIVE_SAMPLES = 3  # full-size luma planes for blockiness


class UnreadableClipError(AladdinError):
    """The video cannot be opened or has no picture."""

    kind = ErrorKind.INVALID_INPUT
    retryable = False


@dataclass
class ClipFrames:
    """Everything the checks read from one video."""

    path: Path
    width: int
    height: int
    fps: float  # the stream's average rate (frames per second)
    bitrate: float  # bits per second of the video stream (estimated from its size)
    codec: str
    times: np.ndarray  # presentation time of every frame, seconds from the first
    small: np.ndarray  # (n, h, w) uint8 grey, every frame
    sample_index: list[int] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)  # BGR, SAMPLE_WIDTH wide
    native_luma: list[np.ndarray] = field(default_factory=list)
    decode_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.times)

    @property
    def frame_duration(self) -> float:
        return 1.0 / self.fps if self.fps > 0 else 0.0

    @property
    def duration(self) -> float:
        """Seconds of picture: last frame's time plus one frame."""
        if not self.count:
            return 0.0
        return float(self.times[-1]) + self.frame_duration

    def time_of(self, index: int) -> float:
        return float(self.times[min(max(index, 0), self.count - 1)])

    @property
    def sample_times(self) -> list[float]:
        return [self.time_of(i) for i in self.sample_index]


def _scaled(width: int, height: int, target: int) -> tuple[int, int]:
    if width <= target:
        return width - width % 2, height - height % 2
    h = max(2, int(round(height * target / width)))
    return target, h - h % 2


def decode_clip(path: str | Path, *, samples: int = SAMPLES,
                small_width: int = SMALL_WIDTH, sample_width: int = SAMPLE_WIDTH) -> ClipFrames:
    """Decode ``path`` once (threaded). Raises :class:`UnreadableClipError`."""
    path = Path(path)
    start = time.perf_counter()
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise UnreadableClipError(f"Cannot read {path.name}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise UnreadableClipError(f"{path.name} has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        width, height = ctx.width, ctx.height
        rate = stream.average_rate or stream.guessed_rate or 0
        fps = float(rate) if rate else 0.0
        expected = stream.frames or (
            int(round(float(stream.duration * stream.time_base) * fps))
            if stream.duration and fps else 0)
        sw, sh = _scaled(width, height, small_width)
        cw, ch = _scaled(width, height, sample_width)
        want = _spread(expected, samples) if expected > 1 else set()
        native_want = _spread(expected, NATIVE_SAMPLES) if expected > 1 else set()
        times: list[float] = []
        small: list[np.ndarray] = []
        sample_index: list[int] = []
        sample_frames: list[np.ndarray] = []
        native: list[np.ndarray] = []
        last = None
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = frame.time if frame.time is not None else i / (fps or 24.0)
                times.append(float(t))
                luma = _luma(frame)
                small.append(cv2.resize(luma, (sw, sh), interpolation=cv2.INTER_AREA))
                if i in want:
                    sample_index.append(i)
                    sample_frames.append(
                        frame.reformat(width=cw, height=ch, format="bgr24").to_ndarray())
                if i in native_want:
                    native.append(luma.copy())
                last = frame
        except av.FFmpegError as exc:
            if not times:
                raise UnreadableClipError(f"Cannot decode {path.name}: {exc}") from exc
        if not times:
            raise UnreadableClipError(f"{path.name} has no decodable frames.")
        n = len(times)
        if last is not None and (not sample_index or sample_index[-1] != n - 1):
            # the frame count was unknown or wrong: always keep the last frame
            if sample_index and len(sample_index) >= samples:
                sample_index.pop()
                sample_frames.pop()
            sample_index.append(n - 1)
            sample_frames.append(last.reformat(width=cw, height=ch, format="bgr24").to_ndarray())
        if not native and last is not None:
            native.append(_luma(last).copy())
        size = path.stat().st_size
        bitrate = float(stream.bit_rate or 0) or (
            size * 8 / max(n / fps if fps else 1.0, 1e-3))
    t0 = times[0]
    times_arr = np.asarray([t - t0 for t in times], dtype=np.float64)
    order = np.argsort(times_arr, kind="stable")  # presentation order
    return ClipFrames(path=path, width=width, height=height, fps=fps, bitrate=bitrate,
                      codec=ctx.name, times=times_arr[order], small=np.stack(small)[order],
                      sample_index=sample_index, samples=sample_frames, native_luma=native,
                      decode_s=time.perf_counter() - start)


_LUMA_FORMATS = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12",
                 "gray")


def _luma(frame: av.VideoFrame) -> np.ndarray:
    """The 8-bit luma plane as a view (no conversion for the usual 8-bit YUV formats)."""
    if frame.format.name in _LUMA_FORMATS:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return rows[:, : plane.width]
    return frame.reformat(format="gray").to_ndarray()


def _spread(n: int, k: int) -> set[int]:
    """``k`` indexes spread evenly over ``0..n-1`` (first and last included)."""
    if n <= k:
        return set(range(n))
    return {int(round(x)) for x in np.linspace(0, n - 1, k)}
