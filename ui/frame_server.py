"""The player's render thread: the only thread that ever calls :class:`Preview`.

The GUI thread sends requests and gets :class:`RenderedFrame` objects back through the
queued ``frame_ready`` signal; decoding and compositing never run on the GUI thread.

* **Seek** (paused): render one frame. Seeks are coalesced: there is a single request
  slot, so while the user scrubs only the latest position is rendered.
* **Stream** (playing): frames in play order, at most ``max_ahead`` ahead of what the
  player has shown (it reports each frame it shows or drops with :meth:`consumed`).
  With ``audio=True`` (1× forward with a sound device) frames come from
  :meth:`Preview.playback`, each with the samples heard during it. Otherwise frames are
  rendered with :meth:`Preview.frame_at`, ``step`` timeline frames apart (2 at 2×, -1 in
  reverse …); when the stream falls behind its clock it jumps to the clock's position
  instead of rendering frames that could only be shown late.

Every request has a sequence number; a new request supersedes all older ones, and the
player ignores frames of superseded streams.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..render.plan import ScenePlan
from ..render.preview import PlaybackFrame, Preview

__all__ = ["FrameServer", "RenderedFrame"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedFrame:
    seq: int  # the request this answers
    frame: int  # timeline frame (-1 for the end-of-stream marker)
    image: np.ndarray | None  # RGB (h, w, 3), read-only; None at the end of a stream
    audio: np.ndarray | None = None  # float32 (n, 2) at 48 kHz (audio streams only)
    stream: bool = False
    end: bool = False  # the stream has no more frames
    render_ms: float = 0.0
    picture: QImage | None = None  # ``image`` as an RGB32 QImage, made on the render thread


def to_picture(image: np.ndarray) -> QImage:
    """An RGB32 copy of an RGB array: what the view scales fast (smooth scaling from
    RGB888 converts on every paint, ~7 ms at 960×540)."""
    if not image.flags.c_contiguous:
        image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    return QImage(image.data, w, h, image.strides[0],
                  QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)


@dataclass
class _Seek:
    seq: int
    preview: Preview
    plan: ScenePlan
    frame: int
    size: tuple[int, int]
    posted: float = field(default_factory=time.perf_counter)


@dataclass
class _Stream:
    seq: int
    preview: Preview
    plan: ScenePlan
    start: int
    size: tuple[int, int]
    step: int  # timeline frames between shown frames (negative in reverse)
    audio: bool
    clock: Any = None  # MonotonicClock for video-only streams (thread-safe reads)
    done: bool = False


class FrameServer(QObject):
    """Owns the render thread; see the module docstring."""

    frame_ready = Signal(object)  # RenderedFrame
    failed = Signal(int, str)  # request seq, readable message

    def __init__(self, max_ahead: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_ahead = max_ahead
        self._cond = threading.Condition()
        self._seq = 0
        self._seek: _Seek | None = None
        self._stream: _Stream | None = None
        self._inflight = 0
        self._closing = False
        self._busy = False  # a job is being rendered
        self.coalesced = 0  # seeks replaced before they were rendered
        # Render-thread-only state: the running stream's iterator / next frame.
        self._iter_seq = -1
        self._iter: Iterator[PlaybackFrame] | None = None
        self._next = 0
        self._thread = threading.Thread(target=self._run, name="player-render", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ GUI side

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def seek(self, preview: Preview, plan: ScenePlan, frame: int,
             size: tuple[int, int]) -> int:
        """Render ``frame`` (replacing any pending seek and stopping a stream)."""
        with self._cond:
            if self._seek is not None:
                self.coalesced += 1
            seq = self._next_seq()
            self._seek = _Seek(seq, preview, plan, frame, size)
            self._stream = None
            self._cond.notify_all()
        return seq

    def play(self, preview: Preview, plan: ScenePlan, start: int, size: tuple[int, int],
             step: int, audio: bool, clock: Any = None) -> int:
        """Start streaming frames from ``start`` (replacing any seek or stream)."""
        with self._cond:
            seq = self._next_seq()
            self._seek = None
            self._stream = _Stream(seq, preview, plan, start, size, step, audio, clock)
            self._inflight = 0
            self._cond.notify_all()
        return seq

    def stop(self) -> None:
        """Stop streaming (a pending seek still runs)."""
        with self._cond:
            self._stream = None
            self._inflight = 0

    def consumed(self, seq: int, count: int = 1) -> None:
        """The player showed or dropped ``count`` frames of stream ``seq``."""
        with self._cond:
            if self._stream is not None and self._stream.seq == seq:
                self._inflight = max(0, self._inflight - count)
                self._cond.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Drop pending work and wait for the frame being rendered; True when idle.

        Call before the preview is closed or replaced, so it is not in use meanwhile.
        """
        with self._cond:
            self._seek = self._stream = None
            self._inflight = 0
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (waits for the frame being rendered)."""
        with self._cond:
            self._closing = True
            self._seek = self._stream = None
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest request (0 before any)."""
        with self._cond:
            return self._seq

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident

    # ------------------------------------------------------------------ render thread

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closing:
                        self._iter = None
                        return
                    if self._seek is not None:
                        job: _Seek | _Stream = self._seek
                        self._seek = None
                        break
                    s = self._stream
                    if s is not None and not s.done and self._inflight < self.max_ahead:
                        job = s
                        self._inflight += 1
                        break
                    self._cond.wait()
                self._busy = True
            try:
                if isinstance(job, _Seek):
                    self._render_seek(job)
                else:
                    self._render_stream(job)
            except Exception as exc:  # report, keep the thread alive for the next request
                log.exception("Preview render failed")
                if isinstance(job, _Stream):
                    job.done = True
                    self._iter = None
                self._emit_failed(job.seq, str(exc) or type(exc).__name__)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _emit(self, frame: RenderedFrame) -> None:
        if not self._closing:
            self.frame_ready.emit(frame)

    def _emit_failed(self, seq: int, message: str) -> None:
        if not self._closing:
            self.failed.emit(seq, message)

    def _render_seek(self, job: _Seek) -> None:
        t = time.perf_counter()
        frame = min(max(0, job.frame), max(0, job.plan.frames - 1))
        image = job.preview.frame_at(job.plan, frame / job.plan.fps, job.size)
        self._emit(RenderedFrame(job.seq, frame, image, picture=to_picture(image),
                                 render_ms=(time.perf_counter() - t) * 1e3))

    def _render_stream(self, job: _Stream) -> None:
        t = time.perf_counter()
        plan = job.plan
        if job.seq != self._iter_seq:
            self._iter_seq, self._next = job.seq, job.start
            self._iter = (job.preview.playback(plan, job.start / plan.fps, job.size)
                          if job.audio else None)
        if job.audio:
            assert self._iter is not None
            item = next(self._iter, None)
            if item is None:
                return self._end(job)
            self._emit(RenderedFrame(job.seq, item.frame, item.image, item.audio, stream=True,
                                     picture=to_picture(item.image),
                                     render_ms=(time.perf_counter() - t) * 1e3))
            return None
        n = self._next
        if job.clock is not None and job.clock.running:  # behind the clock: catch up
            now = job.clock.position()
            if job.step > 0 and n < now:
                n = math.ceil(now)
            elif job.step < 0 and n > now:
                n = math.floor(now)
        if not 0 <= n < plan.frames:
            return self._end(job)
        image = job.preview.frame_at(plan, n / plan.fps, job.size)
        self._next = n + job.step
        self._emit(RenderedFrame(job.seq, n, image, stream=True, picture=to_picture(image),
                                 render_ms=(time.perf_counter() - t) * 1e3))
        return None

    def _end(self, job: _Stream) -> None:
        with self._cond:
            job.done = True
            self._inflight = max(0, self._inflight - 1)
        self._iter = None
        self._emit(RenderedFrame(job.seq, -1, None, stream=True, end=True))
