"""Waveform peaks to an image, one pixel column at a time, with numpy (no per-pixel Python)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

PEAKS_PER_SECOND = 100


def _premultiplied(color: QColor) -> int:
    a = color.alpha()
    r, g, b = (color.red() * a // 255, color.green() * a // 255, color.blue() * a // 255)
    return (a << 24) | (r << 16) | (g << 8) | b


def wave_image(peaks: np.ndarray, seconds: np.ndarray, seconds_per_px: float, height: int,
               gain: float, color: QColor) -> tuple[np.ndarray, QImage] | None:
    """An ARGB image ``len(seconds)`` x ``height`` of the peaks starting at ``seconds``.

    ``seconds`` is the media time at the left edge of each column; a column covers
    ``seconds_per_px``. Returns the pixel array with the image (the image borrows it).
    """
    n = len(seconds)
    if n == 0 or height < 2 or len(peaks) == 0:
        return None
    count = len(peaks)
    b0 = np.floor(seconds * PEAKS_PER_SECOND).astype(np.int64)
    valid = (b0 >= 0) & (b0 < count)
    idx = np.clip(b0, 0, count - 1)
    last = int(np.clip(np.floor((seconds[-1] + seconds_per_px) * PEAKS_PER_SECOND),
                       idx[-1] + 1, count))
    lo = np.append(peaks[:, 0], 0.0)
    hi = np.append(peaks[:, 1], 0.0)
    edges = np.append(idx, last)
    top_v = np.maximum.reduceat(hi, edges)[:-1]
    bot_v = np.minimum.reduceat(lo, edges)[:-1]
    mid = (height - 1) / 2.0
    top = np.clip(np.floor(mid - top_v * mid * gain), 0, height - 1)
    bot = np.clip(np.ceil(mid - bot_v * mid * gain), 0, height - 1)
    ys = np.arange(height, dtype=np.float64)[:, None]
    mask = (ys >= top[None, :]) & (ys <= bot[None, :]) & valid[None, :]
    pixels = np.where(mask, np.uint32(_premultiplied(color)), np.uint32(0)).astype(np.uint32)
    pixels = np.ascontiguousarray(pixels)
    image = QImage(pixels.data, n, height, n * 4, QImage.Format.Format_ARGB32_Premultiplied)
    return pixels, image
