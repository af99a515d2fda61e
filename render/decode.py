"""Frame-accurate video decoding for the compositor (PyAV + numpy, no Qt).

:class:`VideoSource` keeps one demuxer/decoder open per file and answers "which frame is on
screen at time *t*" with the rule *the last frame whose presentation time is <= t*. Times are
seconds from the first frame of the stream (the stream's ``start_time`` is subtracted).

Decoding strategy: a request a little ahead of the last decoded frame (< ``FORWARD_WINDOW``
seconds, or still inside the current GOP) decodes forward; anything else seeks to the
keyframe before the target and decodes forward from there. The last converted frame is
cached, so repeated requests for the same frame are free.

Output arrays are shared and read-only; ``copy()`` them before modifying.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.timeline.probe import MediaProbeError, describe_av_error, probe

__all__ = ["FORWARD_WINDOW", "DecodeError", "VideoSource"]

#: Decode forward (instead of seeking) when the target is at most this many seconds ahead.
FORWARD_WINDOW = 2.0
_FITS = ("fit", "fill")
_PIX_FMTS = ("yuv420p", "rgb24")
# Limited-range black in YUV.
_Y_BLACK, _C_BLACK = 16, 128


class DecodeError(AladdinError):
    """A file cannot be opened or decoded; ``str(err)`` names the file and the reason."""

    kind = ErrorKind.CORRUPT

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot decode '{self.path}': {reason}")


@dataclass(frozen=True, slots=True)
class _Decoded:
    time: float  # seconds from the stream start
    frame: av.VideoFrame


@dataclass(frozen=True, slots=True)
class _Geometry:
    scale_w: int  # size passed to the scaler (coded orientation)
    scale_h: int
    rot_k: int  # np.rot90 k (negative = clockwise)
    out_w: int
    out_h: int
    x0: int  # fit: paste offset into the canvas; fill: crop offset into the scaled image
    y0: int
    mode: str  # "plain", "fit" or "fill"


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


class VideoSource:
    """Random-access, frame-accurate reader of one video (or still image) file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        out_size: tuple[int, int] | None = None,
        fit: str = "fit",
        pix_fmt: str = "yuv420p",
    ) -> None:
        self.path = os.fspath(path)
        if fit not in _FITS:
            raise ValueError(f"fit must be one of {_FITS}, got {fit!r}")
        if pix_fmt not in _PIX_FMTS:
            raise ValueError(f"pix_fmt must be one of {_PIX_FMTS}, got {pix_fmt!r}")
        if out_size is not None:
            w, h = out_size
            if w <= 0 or h <= 0 or (pix_fmt == "yuv420p" and (w % 2 or h % 2)):
                raise ValueError(f"out_size must be positive (and even for yuv420p): {w}x{h}")
        self.out_size = out_size
        self.fit = fit
        self.pix_fmt = pix_fmt

        try:
            info = probe(self.path)
        except MediaProbeError as exc:
            raise DecodeError(self.path, exc.reason) from exc
        if not info.has_video:
            raise DecodeError(self.path, "no video stream")
        self.rotation: int = info.rotation
        self.is_still: bool = info.is_still
        self.duration: float | None = info.duration

        self._container: Any = None
        self._stream: Any = None
        self._open()
        stream = self._stream
        self._tb = float(stream.time_base) if stream.time_base else 1.0 / av.time_base
        self._start = (stream.start_time or 0) * self._tb
        rate = stream.average_rate or stream.guessed_rate
        self.fps: Fraction | None = None if self.is_still or not rate else Fraction(rate)
        frame_dur = 1.0 / float(self.fps) if self.fps else 1.0 / 24.0
        self._frame_dur = frame_dur
        # Absorbs timestamp rounding (at most a tick) so t = n/fps yields frame n; capped at
        # half a frame so it never changes which frame is on screen.
        self._eps = min(0.5 * frame_dur, max(self._tb, 1e-6))

        self._reformatter = VideoReformatter()
        self._geometry_cache: dict[tuple[int, int], _Geometry] = {}
        self._iter: Iterator[av.VideoFrame] | None = None
        self._prev: _Decoded | None = None
        self._pending: _Decoded | None = None
        self._eof = False
        self._prev_is_first = False
        self._next_is_first = False
        self._last_time: float | None = None
        self._run_key: float | None = None  # last keyframe of the current sequential run
        self._gop = 0.0  # longest keyframe interval seen while decoding sequentially
        self._pending_is_first = False
        self._out: tuple[float, np.ndarray] | None = None
        self._closed = False

    # ------------------------------------------------------------------ public API

    def frame_at(self, t: float) -> np.ndarray:
        """The frame displayed at ``t`` seconds, converted to the output format.

        Times before the start give the first frame, times past the end the last one.
        """
        decoded = self._locate(t)
        if self._out is not None and self._out[0] == decoded.time:
            return self._out[1]
        out = self._convert(decoded.frame)
        out.flags.writeable = False
        self._out = (decoded.time, out)
        return out

    def raw_frame_at(self, t: float) -> av.VideoFrame | None:
        """The decoded frame at ``t`` if it needs no conversion at all, else ``None``.

        The export hands such frames straight to the encoder (no copy, no scaling). The
        frame is shared with the decoder's cache: set ``pts``/``pict_type`` only.
        """
        if self.pix_fmt != "yuv420p" or self.rotation % 360 or self.is_still:
            return None
        frame = self._locate(t).frame
        if frame.format.name != "yuv420p":
            return None
        if self.out_size is not None and (frame.width, frame.height) != self.out_size:
            return None
        return frame

    def content_rect(self, src_size: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of the picture inside the output (fit mode leaves bars around it).

        ``src_size`` is the coded size of the source; defaults to the last decoded frame's.
        """
        if src_size is None:
            if self._prev is None:
                raise ValueError("no frame decoded yet")
            src_size = (self._prev.frame.width, self._prev.frame.height)
        geo = self._geometry(*src_size)
        if geo.mode != "fit":
            return 0, 0, geo.out_w, geo.out_h
        rot = self.rotation % 360
        w, h = (geo.scale_h, geo.scale_w) if rot in (90, 270) else (geo.scale_w, geo.scale_h)
        return geo.x0, geo.y0, w, h

    def frames(self, t0: float, n: int, fps: float) -> Iterator[np.ndarray]:
        """Yield the frames at ``t0 + i / fps`` for ``i`` in ``range(n)`` (conformed playback)."""
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        for i in range(n):
            yield self.frame_at(t0 + i / fps)

    def close(self) -> None:
        """Release the decoder and the file."""
        if self._closed:
            return
        self._closed = True
        self._drop_iter()
        self._prev = self._pending = None
        self._out = None
        self._container.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    # ------------------------------------------------------------------ positioning

    def _open(self) -> None:
        """(Re)open the file; a fresh demuxer is positioned exactly at the start."""
        if self._container is not None:
            self._container.close()
        try:
            self._container = av.open(self.path, mode="r", metadata_errors="ignore")
        except av.error.FFmpegError as exc:
            raise DecodeError(self.path, _describe(exc)) from exc
        cover_art = av.stream.Disposition.attached_pic
        stream = next(
            (s for s in self._container.streams.video if not s.disposition & cover_art), None
        )
        if stream is None:
            self._container.close()
            raise DecodeError(self.path, "no video stream")
        stream.thread_type = "AUTO"
        self._stream = stream
        self._fresh = True  # nothing read yet: positioned at the start

    def _locate(self, t: float) -> _Decoded:
        """Decode (or seek) so ``_prev`` is the frame on screen at ``t``."""
        if self._closed:
            raise ValueError("VideoSource is closed")
        target = max(0.0, float(t)) + self._eps
        if self.is_still:
            if self._prev is None:
                self._seek(0.0)
                self._advance(target)
        elif not self._ready(target):
            if self._needs_seek(target):
                self._seek(target)
            self._advance(target)
        decoded = self._prev
        assert decoded is not None
        if self._eof and not self.is_still:
            self._check_complete(decoded.time, target)
        return decoded

    def _ready(self, target: float) -> bool:
        """Whether ``_prev`` is already the answer for ``target``."""
        prev = self._prev
        if prev is None or self._iter is None:
            return False
        if prev.time > target and not self._prev_is_first:
            return False
        if self._eof:
            return True
        return self._pending is not None and self._pending.time > target

    def _needs_seek(self, target: float) -> bool:
        if self._iter is None:
            return True
        prev = self._prev
        if prev is None:
            # Fresh decoder positioned at the start (or a failed run): decode forward if close.
            return target > FORWARD_WINDOW or not self._next_is_first
        if target < prev.time:
            return True
        if target - prev.time <= FORWARD_WINDOW:
            return False
        # Still inside the GOP being decoded: a seek would land on the same (or an earlier)
        # keyframe, so decoding forward is never slower.
        if self._run_key is not None and self._gop > 0 and target < self._run_key + self._gop:
            return False
        return True

    def _seek(self, target: float) -> None:
        """Position the decoder so the next decoded frame is at or before ``target``."""
        seek_time = target - self._eps
        if self.duration is not None:
            seek_time = min(seek_time, self.duration)
        seek_time = max(0.0, seek_time)
        backoff = 1.0
        while True:
            self._drop_iter()
            try:
                if seek_time > 0.0:
                    offset = int(round((seek_time + self._start) / self._tb))
                    self._container.seek(
                        offset, stream=self._stream, backward=True, any_frame=False
                    )
                elif not self._fresh:
                    # Timestamp seeks to the very start are unreliable in some formats
                    # (MPEG-TS lands on a later keyframe); reopening is exact and cheap.
                    self._open()
            except av.error.FFmpegError as exc:
                if seek_time <= 0.0:
                    raise DecodeError(self.path, f"seek failed: {_describe(exc)}") from exc
                seek_time = 0.0
                continue
            self._iter = self._decode_iter()
            self._next_is_first = seek_time <= 0.0
            first = self._next()
            if first is None:
                if seek_time <= 0.0:
                    raise DecodeError(self.path, "no decodable video frames")
            elif first.time <= target or seek_time <= 0.0:
                self._pending = first
                return
            seek_time = max(0.0, seek_time - backoff)
            backoff *= 2.0

    def _advance(self, target: float) -> None:
        """Decode forward until ``_prev`` is the last frame with time <= ``target``."""
        if self._pending is None and not self._eof:
            self._pending = self._next()
        while self._pending is not None and self._pending.time <= target:
            self._take_pending()
        if self._prev is None:
            # Target precedes the first frame: show the first frame.
            if self._pending is None:
                raise DecodeError(self.path, "no decodable video frames")
            self._take_pending()
        elif not self._eof and self._pending is None:
            self._pending = self._next()

    def _check_complete(self, last: float, target: float) -> None:
        """Raise if the stream ended well before the declared duration (truncated file)."""
        if self.duration is None:
            return
        expected = min(target, self.duration - self._frame_dur)
        if last + max(1.5 * self._frame_dur, 0.1) < expected:
            raise DecodeError(
                self.path,
                f"truncated or corrupt: video ends at {last:.3f} s of {self.duration:.3f} s",
            )

    def _take_pending(self) -> None:
        pending = self._pending
        assert pending is not None
        self._prev_is_first = self._prev is None and self._pending_is_first
        self._prev = pending
        self._pending = self._next()

    # ------------------------------------------------------------------ decoding

    def _decode_iter(self) -> Iterator[av.VideoFrame]:
        for packet in self._container.demux(self._stream):
            yield from packet.decode()

    def _drop_iter(self) -> None:
        if self._iter is not None:
            close = getattr(self._iter, "close", None)
            if close is not None:
                close()
        self._iter = None
        self._prev = self._pending = None
        self._eof = False
        self._prev_is_first = False
        self._pending_is_first = False
        self._last_time = None
        self._run_key = None

    def _next(self) -> _Decoded | None:
        """Decode the next frame; ``None`` (and ``_eof``) at the end of the stream."""
        if self._iter is None or self._eof:
            return None
        self._fresh = False
        try:
            frame = next(self._iter)
        except StopIteration:
            self._eof = True
            return None
        except av.error.FFmpegError as exc:
            self._drop_iter()
            raise DecodeError(self.path, _describe(exc)) from exc
        if frame.pts is not None:
            time = frame.pts * self._tb - self._start
        elif self._last_time is not None:
            time = self._last_time + self._frame_dur
        else:
            time = 0.0
        self._pending_is_first = self._next_is_first and self._last_time is None
        self._last_time = time
        if frame.key_frame:
            if self._run_key is not None and time > self._run_key:
                self._gop = max(self._gop, time - self._run_key)
            self._run_key = time
        return _Decoded(time, frame)

    # ------------------------------------------------------------------ conversion

    def _geometry(self, w: int, h: int) -> _Geometry:
        key = (w, h)
        geo = self._geometry_cache.get(key)
        if geo is not None:
            return geo
        rot = self.rotation % 360
        dw, dh = (h, w) if rot in (90, 270) else (w, h)
        if self.out_size is None:
            out_w, out_h = (dw, dh) if self.pix_fmt == "rgb24" else (dw - dw % 2, dh - dh % 2)
            sw, sh, x0, y0, mode = out_w, out_h, 0, 0, "plain"
        else:
            out_w, out_h = self.out_size
            if self.fit == "fit":
                s = min(out_w / dw, out_h / dh)
                sw, sh = min(out_w, _even(dw * s)), min(out_h, _even(dh * s))
                x0, y0 = (out_w - sw) // 2 & ~1, (out_h - sh) // 2 & ~1
            else:
                s = max(out_w / dw, out_h / dh)
                sw, sh = max(out_w, _even(dw * s)), max(out_h, _even(dh * s))
                x0, y0 = (sw - out_w) // 2 & ~1, (sh - out_h) // 2 & ~1
            mode = "plain" if (sw, sh) == (out_w, out_h) else self.fit
        scale_w, scale_h = (sh, sw) if rot in (90, 270) else (sw, sh)
        geo = _Geometry(scale_w, scale_h, -(rot // 90), out_w, out_h, x0, y0, mode)
        self._geometry_cache[key] = geo
        return geo

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        geo = self._geometry(frame.width, frame.height)
        scaled = self._reformatter.reformat(
            frame, width=geo.scale_w, height=geo.scale_h, format=self.pix_fmt
        )
        arr = scaled.to_ndarray()
        if self.pix_fmt == "rgb24":
            planes = [arr]
        else:
            h, w = geo.scale_h, geo.scale_w
            flat = arr[h:].reshape(-1)
            q = (h // 2) * (w // 2)
            planes = [arr[:h], flat[:q].reshape(h // 2, w // 2), flat[q:].reshape(h // 2, w // 2)]
        if geo.rot_k % 4:
            planes = [np.rot90(p, geo.rot_k) for p in planes]
        if geo.mode == "plain" and not geo.rot_k % 4:
            return np.ascontiguousarray(arr)
        return self._compose(planes, geo)

    def _compose(self, planes: list[np.ndarray], geo: _Geometry) -> np.ndarray:
        out_w, out_h = geo.out_w, geo.out_h
        if self.pix_fmt == "rgb24":
            out = np.zeros((out_h, out_w, 3), dtype=np.uint8)
            targets = [(out, 1, 0)]
        else:
            out = np.empty((out_h * 3 // 2, out_w), dtype=np.uint8)
            flat = out[out_h:].reshape(-1)
            q = (out_h // 2) * (out_w // 2)
            u = flat[:q].reshape(out_h // 2, out_w // 2)
            v = flat[q : 2 * q].reshape(out_h // 2, out_w // 2)
            flat[2 * q :] = _C_BLACK
            targets = [(out[:out_h], 1, _Y_BLACK), (u, 2, _C_BLACK), (v, 2, _C_BLACK)]
        for plane, (dst, div, black) in zip(planes, targets, strict=True):
            x0, y0 = geo.x0 // div, geo.y0 // div
            dh, dw = dst.shape[:2]
            if geo.mode == "fill":
                dst[...] = plane[y0 : y0 + dh, x0 : x0 + dw]
            elif geo.mode == "fit":
                ph, pw = plane.shape[:2]
                if black:
                    dst[...] = black
                dst[y0 : y0 + ph, x0 : x0 + pw] = plane
            else:
                dst[...] = plane
        return out


def _describe(exc: BaseException) -> str:
    return describe_av_error(exc, "corrupt or truncated media (invalid data)")
