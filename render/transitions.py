"""Transitions on I420 frames, as numpy arrays shaped ``(h * 3 // 2, w)``.

That is the layout PyAV's ``to_ndarray(format="yuv420p")`` returns and
``VideoFrame.from_ndarray`` accepts, so frames outside effects never need a
colour conversion. Each function takes the outgoing frame ``a``, the incoming
frame ``b`` and the eased progress ``p`` in [0, 1] and returns a new frame.
"""

from __future__ import annotations

import numpy as np

BLACK_Y, BLACK_C = 16, 128  # limited-range black


def ease(p: float, easing: str) -> float:
    """Map linear progress to eased progress (the document's easing names)."""
    p = min(1.0, max(0.0, float(p)))
    if easing == "ease-in":
        return p * p * p
    if easing == "ease-out":
        return 1.0 - (1.0 - p) ** 3
    if easing == "ease-in-out":
        return 4 * p * p * p if p < 0.5 else 1.0 - (-2.0 * p + 2.0) ** 3 / 2.0
    if easing == "linear":
        return p
    raise ValueError(f"unknown easing {easing!r}")


def planes(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of an I420 frame."""
    rows, w = frame.shape
    h = rows * 2 // 3
    flat = frame.reshape(-1)
    y = flat[: h * w].reshape(h, w)
    u = flat[h * w: h * w + h * w // 4].reshape(h // 2, w // 2)
    v = flat[h * w + h * w // 4:].reshape(h // 2, w // 2)
    return y, u, v


def black_like(frame: np.ndarray) -> np.ndarray:
    out = np.empty_like(frame)
    h = frame.shape[0] * 2 // 3
    out[:h] = BLACK_Y
    out[h:] = BLACK_C
    return out


def _mix(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    """(1-p)·a + p·b in 8-bit fixed point, rounded."""
    k = int(round(p * 256))
    if k <= 0:
        return a.copy()
    if k >= 256:
        return b.copy()
    out = a.astype(np.uint16) * (256 - k)
    out += b.astype(np.uint16) * k
    out += 128
    return (out >> 8).astype(np.uint8)


def dissolve(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    return _mix(a, b, p)


def fade_through_black(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    """First half: ``a`` fades to black; second half: ``b`` fades up from black."""
    black = black_like(a)
    if p < 0.5:
        return _mix(a, black, p * 2.0)
    return _mix(black, b, (p - 0.5) * 2.0)


def _edge(fraction: float, luma_size: int) -> int:
    """An even luma position so the chroma planes split at exactly half of it."""
    return int(min(luma_size, max(0, round(fraction * luma_size / 2.0) * 2)))


_AXIS = {"left": 1, "right": 1, "up": 0, "down": 0}


def _axis(direction: str, what: str) -> int:
    if direction not in _AXIS:
        raise ValueError(f"unknown {what} direction {direction!r}")
    return _AXIS[direction]


def wipe(a: np.ndarray, b: np.ndarray, p: float, direction: str = "left") -> np.ndarray:
    """A hard edge crosses the frame in ``direction``, revealing ``b`` behind it.

    ``left``: the edge moves from the right side to the left, so at p = 0.5
    ``a`` fills the left half and ``b`` the right half.
    """
    axis = _axis(direction, "wipe")
    out = a.copy()
    y_out = planes(out)[0]
    forward = direction in ("left", "up")  # b grows from the far side
    edge = _edge(1.0 - p if forward else p, y_out.shape[axis])
    for i, (po, pb) in enumerate(zip(planes(out), planes(b), strict=True)):
        e = edge if i == 0 else edge // 2
        cut = (slice(None), slice(e, None) if forward else slice(None, e))
        po[cut if axis == 1 else cut[::-1]] = pb[cut if axis == 1 else cut[::-1]]
    return out


def slide(a: np.ndarray, b: np.ndarray, p: float, direction: str = "left") -> np.ndarray:
    """``b`` slides in and pushes ``a`` out of the frame in ``direction``."""
    axis = _axis(direction, "slide")
    out = np.empty_like(a)
    offset = _edge(p, planes(a)[0].shape[axis])
    for i, (po, pa, pb) in enumerate(zip(planes(out), planes(a), planes(b), strict=True)):
        size = po.shape[axis]
        off = offset if i == 0 else offset // 2
        if direction in ("left", "up"):  # a leaves towards the start, b follows it in
            parts = ((slice(0, size - off), pa, slice(off, size)),
                     (slice(size - off, size), pb, slice(0, off)))
        else:
            parts = ((slice(off, size), pa, slice(0, size - off)),
                     (slice(0, off), pb, slice(size - off, size)))
        for dst, src, src_slice in parts:
            if axis == 1:
                po[:, dst] = src[:, src_slice]
            else:
                po[dst, :] = src[src_slice, :]
    return out


def apply(kind: str, a: np.ndarray, b: np.ndarray, progress: float, *,
          direction: str = "left", easing: str = "linear") -> np.ndarray:
    """The transition ``kind`` at linear ``progress`` (0 = all ``a``, 1 = all ``b``)."""
    p = ease(progress, easing)
    if kind == "dissolve":
        return dissolve(a, b, p)
    if kind == "fade":
        return fade_through_black(a, b, p)
    if kind == "wipe":
        return wipe(a, b, p, direction)
    if kind == "slide":
        return slide(a, b, p, direction)
    if kind == "cut":
        return (a if p < 0.5 else b).copy()
    raise ValueError(f"unknown transition {kind!r}")
