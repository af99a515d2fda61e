"""3D LUTs (``.cube``) applied to I420 frames without an RGB round trip.

:func:`load_cube` parses a Resolve/Adobe ``.cube`` file into a float32 array indexed
``[r][g][b]`` over the domain [0, 1]. :class:`YuvLut` turns it into a LUT over limited-range
BT.709 *YUV* codes once (a 65³ grid at codes 0, 4, …, 256), so a frame is graded with two
bilinear ``cv2.remap`` lookups per plane plus a linear blend between two V slices, which is
exact trilinear interpolation on that grid:

* luma: output Y from (Y, U, V) with the chroma upsampled to full size;
* chroma: output U and V from (the 2×2 mean of Y, U, V) at chroma resolution.

Measured at 1920×1080 this is ~2.5× faster than PyAV's ``lut3d`` filter (which needs
swscale conversions to RGB and back) and has no range/matrix drift: an identity LUT
reproduces the frame exactly (YUV→RGB→YUV is affine, so trilinear interpolation of it is
exact). RGB values outside [0, 1] (out-of-gamut YUV) are clamped before the lookup and the
clamped-off part is added back afterwards, so the table stays continuous at the gamut edge.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.render.transitions import planes

__all__ = ["EffectError", "YuvLut", "load_cube", "sample_lut"]

GRID = 65  # YUV grid points per axis, at codes 0, 4, ..., 256
_STEP = 4
_MAX_SIZE = 256
# BT.709 limited range: Y 16..235, chroma 16..240 around 128.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


class EffectError(AladdinError):
    """An effect cannot be set up (e.g. a LUT file is missing or invalid); names the file."""

    kind = ErrorKind.INVALID_INPUT


# ---------------------------------------------------------------------------- .cube parsing

def _fail(path: str, reason: str) -> EffectError:
    return EffectError(f"Invalid LUT file '{path}': {reason}")


def _floats(path: str, lineno: int, parts: list[str], count: int) -> list[float]:
    if len(parts) != count:
        raise _fail(path, f"line {lineno}: expected {count} numbers, got {len(parts)}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise _fail(path, f"line {lineno}: not a number in {' '.join(parts)!r}") from None
    if not all(np.isfinite(values)):
        raise _fail(path, f"line {lineno}: non-finite value")
    return values


def load_cube(path: str | os.PathLike[str]) -> np.ndarray:
    """Parse a 3D ``.cube`` LUT into float32 ``(N, N, N, 3)`` indexed ``[r][g][b]``.

    Understands ``TITLE``, ``LUT_3D_SIZE``, ``DOMAIN_MIN``/``DOMAIN_MAX``,
    ``LUT_3D_INPUT_RANGE`` and ``#`` comments; other keywords are ignored. A domain other
    than [0, 1] is resampled (trilinearly) onto [0, 1], so the result always maps inputs in
    [0, 1]. Raises :class:`EffectError` naming the file when it is missing or malformed.
    """
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise EffectError(f"LUT file not found: '{name}'") from None
    except OSError as exc:
        raise EffectError(f"Cannot read LUT file '{name}': {exc.strerror or exc}") from None

    size = 0
    lo, hi = [0.0] * 3, [1.0] * 3
    rows: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        key = parts[0].upper()
        if key[0].isdigit() or key[0] in "+-.":
            rows.append(line)
        elif key == "LUT_3D_SIZE":
            size = int(_floats(name, lineno, parts[1:], 1)[0])
            if not 2 <= size <= _MAX_SIZE:
                raise _fail(name, f"LUT_3D_SIZE {size} is outside 2..{_MAX_SIZE}")
        elif key == "LUT_1D_SIZE":
            raise _fail(name, "1D LUTs are not supported (need LUT_3D_SIZE)")
        elif key == "DOMAIN_MIN":
            lo = _floats(name, lineno, parts[1:], 3)
        elif key == "DOMAIN_MAX":
            hi = _floats(name, lineno, parts[1:], 3)
        elif key == "LUT_3D_INPUT_RANGE":
            a, b = _floats(name, lineno, parts[1:], 2)
            lo, hi = [a] * 3, [b] * 3
    if not size:
        raise _fail(name, "no LUT_3D_SIZE line")
    if any(h <= low for low, h in zip(lo, hi, strict=True)):
        raise _fail(name, "DOMAIN_MAX must be greater than DOMAIN_MIN")
    if len(rows) != size ** 3:
        raise _fail(name, f"expected {size ** 3} rows of 3 numbers, found {len(rows)}")
    tokens = [row.split() for row in rows]
    if any(len(t) != 3 for t in tokens):
        raise _fail(name, "a data row does not have exactly 3 numbers")
    try:
        data = np.array(tokens, dtype=np.float64)
    except ValueError:
        raise _fail(name, "a data row is not numeric") from None
    if not np.isfinite(data).all():
        raise _fail(name, "non-finite value in the table")
    # File order: red changes fastest, then green, then blue -> reshape gives [b][g][r].
    lut = data.reshape(size, size, size, 3).transpose(2, 1, 0, 3)
    if lo != [0.0] * 3 or hi != [1.0] * 3:
        lut = _rebase(lut, np.array(lo), np.array(hi))
    return np.ascontiguousarray(lut, dtype=np.float32)


def _rebase(lut: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Resample a LUT defined over [lo, hi] onto a grid over [0, 1]."""
    n = lut.shape[0]
    axis = np.linspace(0.0, 1.0, n)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1)
    return sample_lut(lut, (grid - lo) / (hi - lo))


def sample_lut(lut: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Trilinear lookup of ``rgb`` (``(..., 3)``, domain [0, 1], clamped) in ``lut``."""
    n = lut.shape[0]
    pos = np.clip(rgb, 0.0, 1.0) * (n - 1)
    i0 = np.minimum(pos.astype(np.intp), n - 2)
    f = pos - i0
    out = np.zeros(rgb.shape, dtype=np.float64)
    for dr in (0, 1):
        wr = f[..., 0] if dr else 1.0 - f[..., 0]
        for dg in (0, 1):
            wg = wr * (f[..., 1] if dg else 1.0 - f[..., 1])
            for db in (0, 1):
                w = wg * (f[..., 2] if db else 1.0 - f[..., 2])
                corner = lut[i0[..., 0] + dr, i0[..., 1] + dg, i0[..., 2] + db]
                out += w[..., None] * corner
    return out


# ---------------------------------------------------------------------------- YUV <-> RGB

def yuv_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """Limited-range BT.709 codes ``(..., 3)`` to normalized RGB (not clamped)."""
    y = (yuv[..., 0] - 16.0) / 219.0
    u = (yuv[..., 1] - 128.0) / 224.0
    v = (yuv[..., 2] - 128.0) / 224.0
    r = y + 2.0 * (1.0 - _KR) * v
    b = y + 2.0 * (1.0 - _KB) * u
    g = (y - _KR * r - _KB * b) / _KG
    return np.stack([r, g, b], axis=-1)


def rgb_to_yuv(rgb: np.ndarray) -> np.ndarray:
    """Normalized RGB ``(..., 3)`` to limited-range BT.709 codes (float, not clipped)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = _KR * r + _KG * g + _KB * b
    u = (b - y) / (2.0 * (1.0 - _KB))
    v = (r - y) / (2.0 * (1.0 - _KR))
    return np.stack([16.0 + 219.0 * y, 128.0 + 224.0 * u, 128.0 + 224.0 * v], axis=-1)


# ---------------------------------------------------------------------------- YUV-domain LUT

_CODES = np.arange(256)
_POS = (_CODES / _STEP).astype(np.float32)  # grid position of a code along Y or U
_SLICE = ((_CODES // _STEP) * GRID).astype(np.float32)  # column offset of a V slice
_FRAC = ((_CODES % _STEP) / _STEP).astype(np.float32)  # blend towards the next V slice


def _layout(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[y][u][v]`` grid values as remap images (rows = U, columns = V slice·GRID + Y):
    the V slice itself and the next one (the last slice repeated)."""
    img = values.transpose(1, 2, 0).reshape(GRID, GRID * GRID).astype(np.float32)
    nxt = np.concatenate([img[:, GRID:], img[:, -GRID:]], axis=1)
    return np.ascontiguousarray(img), np.ascontiguousarray(nxt)


class YuvLut:
    """An RGB 3D LUT precomputed over I420 code values; :meth:`apply` grades a frame."""

    def __init__(self, lut: np.ndarray) -> None:
        codes = np.arange(GRID, dtype=np.float64) * _STEP
        grid = np.stack(np.meshgrid(codes, codes, codes, indexing="ij"), axis=-1)  # [y][u][v]
        rgb = yuv_to_rgb(grid)
        clamped = np.clip(rgb, 0.0, 1.0)
        # Clipped to codes so interpolated values never go negative (convertScaleAbs).
        out = np.clip(rgb_to_yuv(sample_lut(lut, clamped) + (rgb - clamped)), 0.0, 255.0)
        self._y = _layout(out[..., 0])
        u0, u1 = _layout(out[..., 1])
        v0, v1 = _layout(out[..., 2])
        self._uv = np.ascontiguousarray(np.dstack([u0, u1, v0, v1]))

    @staticmethod
    def _maps(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
        mx = cv2.add(cv2.LUT(y, _POS), cv2.LUT(v, _SLICE))
        return mx, cv2.LUT(u, _POS), cv2.LUT(v, _FRAC)

    @staticmethod
    def _blend(a: np.ndarray, b: np.ndarray, frac: np.ndarray) -> np.ndarray:
        return cv2.convertScaleAbs(cv2.add(a, cv2.multiply(cv2.subtract(b, a), frac)))

    def apply(self, frame: np.ndarray) -> np.ndarray:
        y, u, v = planes(frame)
        h, w = y.shape
        out = np.empty_like(frame)
        oy, ou, ov = planes(out)

        mx, my, frac = self._maps(y, cv2.resize(u, (w, h)), cv2.resize(v, (w, h)))
        a = cv2.remap(self._y[0], mx, my, cv2.INTER_LINEAR)
        b = cv2.remap(self._y[1], mx, my, cv2.INTER_LINEAR)
        oy[...] = self._blend(a, b, frac)

        y_small = cv2.resize(y, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        mx, my, frac = self._maps(y_small, u, v)
        u0, u1, v0, v1 = cv2.split(cv2.remap(self._uv, mx, my, cv2.INTER_LINEAR))
        ou[...] = self._blend(u0, u1, frac)
        ov[...] = self._blend(v0, v1, frac)
        return out


@lru_cache(maxsize=4)  # ~7 MB each
def _cached(path: str, _stamp: tuple[int, int]) -> YuvLut:
    return YuvLut(load_cube(path))


def yuv_lut(path: str | os.PathLike[str]) -> YuvLut:
    """:class:`YuvLut` for a ``.cube`` file, reused while the file is unchanged."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise EffectError(f"LUT file not found: '{name}'") from None
    except OSError as exc:
        raise EffectError(f"Cannot read LUT file '{name}': {exc.strerror or exc}") from None
    return _cached(name, (st.st_mtime_ns, st.st_size))
