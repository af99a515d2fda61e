"""Filmstrips and waveforms for clip items, fetched from ``ctx.background`` off the GUI thread.

Painting asks :meth:`MediaPreviews.strip` / :meth:`waveform` and gets ``None`` until the
result is ready; the request itself (which may hash the file to find its cache key) runs on
a helper thread, and finished results come back to the GUI thread through a queued signal.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPixmap

THUMB_HEIGHT = 72
MAX_THUMBS = 60


def strip_count(media_seconds: float | None) -> int:
    """Frames in a media file's filmstrip: about one per second, 1 for stills."""
    if not media_seconds:
        return 1
    return max(1, min(MAX_THUMBS, math.ceil(media_seconds)))


class MediaPreviews(QObject):
    """Cache of filmstrip pixmaps and waveform peaks per source file."""

    updated = Signal(str)  # source path whose preview arrived (GUI thread)
    _arrived = Signal(str, str, object)  # kind, source path, result or exception

    def __init__(self, ctx: Any, enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.enabled = enabled
        self._strips: dict[str, QPixmap | None] = {}
        self._scaled: dict[tuple[str, int], QPixmap] = {}
        self._waves: dict[str, np.ndarray | None] = {}
        self._asked: set[tuple[str, str]] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._arrived.connect(self._store, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ lookups

    def strip(self, src: str, count: int, height: int) -> QPixmap | None:
        """The filmstrip of ``src`` scaled to ``height`` px, or ``None`` while it loads."""
        pixmap = self._strips.get(src)
        if pixmap is None:
            self._ask("thumbnails", src, count=count, height=THUMB_HEIGHT)
            return None
        if pixmap.isNull():
            return None
        key = (src, height)
        scaled = self._scaled.get(key)
        if scaled is None:
            scaled = pixmap.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
            self._scaled[key] = scaled
        return scaled

    def waveform(self, src: str) -> np.ndarray | None:
        """Min/max peaks (100 a second) of ``src``, or ``None`` while they load."""
        peaks = self._waves.get(src)
        if peaks is None:
            self._ask("waveform", src)
        elif len(peaks) == 0:
            return None
        return peaks

    def clear(self) -> None:
        """Forget everything (another project was opened)."""
        self._strips.clear()
        self._scaled.clear()
        self._waves.clear()
        self._asked.clear()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # ------------------------------------------------------------------ requests

    def _ask(self, kind: str, src: str, **kwargs: Any) -> None:
        if not self.enabled or (kind, src) in self._asked:
            return
        self._asked.add((kind, src))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline-previews")
        background = self.ctx.background
        if background is None:
            return
        self._pool.submit(self._request, background, kind, src, kwargs)

    def _request(self, background: Any, kind: str, src: str, kwargs: dict[str, Any]) -> None:
        """Helper thread: start the request; its completion is forwarded to the GUI thread."""
        try:
            future = background.request(kind, src, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported as a failed preview
            self._emit(kind, src, exc)
            return
        future.add_done_callback(lambda f: self._done(kind, src, f))

    def _done(self, kind: str, src: str, future: Future) -> None:
        if future.cancelled():
            self._emit(kind, src, RuntimeError("cancelled"))
            return
        self._emit(kind, src, future.exception() or future.result())

    def _emit(self, kind: str, src: str, result: Any) -> None:
        try:
            self._arrived.emit(kind, src, result)
        except RuntimeError:  # the widget is gone
            pass

    @Slot(str, str, object)
    def _store(self, kind: str, src: str, result: Any) -> None:
        failed = isinstance(result, BaseException)
        if kind == "thumbnails":
            pixmap = QPixmap() if failed else QPixmap(str(result))
            self._strips[src] = pixmap
        else:
            peaks = np.zeros((0, 2), np.float32) if failed else np.asarray(result, np.float32)
            self._waves[src] = peaks
        self.updated.emit(src)
