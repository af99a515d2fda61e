"""Colour grades on I420 frames as per-code tables, with no RGB round trip.

A grade is a tone curve on luma (a 256-entry table) plus, for each chroma plane, a gain
and an offset that may depend on the pixel's luma: ``c' = 128 + gain(Y)·(c − 128) +
offset(Y)`` where ``Y`` is the (input) luma averaged over the 2×2 block the chroma sample
covers. Luma-independent chroma becomes a 256-entry table; luma-dependent chroma a 256×256
table indexed by (Y, c). Warmth is "less blue-difference, more red-difference" (U down,
V up), which raises R/B in any YUV matrix; tint + is magenta (U and V up).

Luma-dependent colour offsets fade out towards black so blacks stay neutral.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from aladdin_studio.render.transitions import planes

__all__ = ["PRESETS", "Grade", "custom_grade", "preset_grade"]

_X = (np.arange(256) - 16.0) / 219.0  # normalized luma of each code (0 = black, 1 = white)
_C = np.arange(256) - 128.0  # chroma code around the neutral point

Curve = Callable[[np.ndarray], np.ndarray]

#: Custom parameters: (min, max, neutral).
CUSTOM_RANGES = {
    "brightness": (-1.0, 1.0, 0.0),
    "contrast": (0.0, 2.0, 1.0),
    "saturation": (0.0, 2.0, 1.0),
    "temperature": (-1.0, 1.0, 0.0),
    "tint": (-1.0, 1.0, 0.0),
    "gamma": (0.2, 5.0, 1.0),
}
_TEMPERATURE = 20.0  # chroma codes at temperature ±1 (full weight)
_TINT = 14.0


@dataclass(frozen=True)
class Grade:
    """Tables for one grade; ``None`` leaves that plane unchanged."""

    y: np.ndarray | None  # uint8 (256,)
    u: np.ndarray | None  # uint8 (256,) or (65536,) indexed luma * 256 + u
    v: np.ndarray | None

    @property
    def is_identity(self) -> bool:
        return self.y is None and self.u is None and self.v is None

    def apply(self, frame: np.ndarray) -> np.ndarray:
        y, u, v = planes(frame)
        out = np.empty_like(frame)
        oy, ou, ov = planes(out)
        oy[...] = y if self.y is None else cv2.LUT(y, self.y)
        index = None
        for src, dst, table in ((u, ou, self.u), (v, ov, self.v)):
            if table is None:
                dst[...] = src
            elif table.size == 256:
                dst[...] = cv2.LUT(src, table)
            else:
                if index is None:
                    h, w = src.shape
                    luma = cv2.resize(y, (w, h), interpolation=cv2.INTER_AREA)
                    index = luma.astype(np.uint16) << 8
                np.take(table, index | src, out=dst, mode="clip")
        return out


# ---------------------------------------------------------------------------- building

def _to_codes(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.rint(values), lo, hi).astype(np.uint8)


def _luma_table(curve: Curve | None) -> np.ndarray | None:
    if curve is None:
        return None
    return _to_codes(16.0 + 219.0 * curve(_X), 0, 255)


def _chroma_table(gain: np.ndarray | float, offset: np.ndarray | float) -> np.ndarray | None:
    """Table for ``128 + gain·(c − 128) + offset``; gain/offset per luma code or scalar."""
    gain, offset = np.asarray(gain, float), np.asarray(offset, float)
    if gain.ndim == 0 and offset.ndim == 0:
        if gain == 1.0 and offset == 0.0:
            return None
        return _to_codes(128.0 + gain * _C + offset, 16, 240)
    gain = np.broadcast_to(gain, (256,))[:, None]
    offset = np.broadcast_to(offset, (256,))[:, None]
    return _to_codes(128.0 + gain * _C[None, :] + offset, 16, 240).reshape(-1)


def _grade(curve: Curve | None, gain: np.ndarray | float = 1.0,
           off_u: np.ndarray | float = 0.0, off_v: np.ndarray | float = 0.0) -> Grade:
    return Grade(_luma_table(curve), _chroma_table(gain, off_u), _chroma_table(gain, off_v))


# ---------------------------------------------------------------------------- curves

def s_curve(x: np.ndarray, k: float) -> np.ndarray:
    """Contrast S-curve fixing black and white: slope ``1 + k`` at mid-grey, ``1 − k`` at
    the ends (monotone for ``k < 1``). Codes outside the legal range pass through."""
    xc = np.clip(x, 0.0, 1.0)
    return np.where((x >= 0) & (x <= 1), xc - k * np.sin(2 * np.pi * xc) / (2 * np.pi), x)


def shoulder(x: np.ndarray, knee: float = 0.7, strength: float = 0.6) -> np.ndarray:
    """Soft highlight roll-off above ``knee`` (slope 1 at the knee, white ends below 1)."""
    t = np.clip((x - knee) / (1.0 - knee), 0.0, None)
    rolled = knee + (1.0 - knee) * (1.0 - np.exp(-strength * t)) / strength
    return np.where(x > knee, rolled, x)


def _fade_from_black(x: np.ndarray, full: float = 0.2) -> np.ndarray:
    return np.clip(x / full, 0.0, 1.0)


def _natural() -> Grade:
    return _grade(lambda x: s_curve(x, 0.12), gain=1.08)


def _cinematic() -> Grade:
    """Teal-orange: lifted blacks, soft highlights, cool shadows, warm highlights."""
    x = np.clip(_X, 0.0, 1.0)
    shadows, highlights = (1.0 - x) ** 2, x ** 2
    return _grade(
        lambda x: 0.06 + 0.92 * shoulder(s_curve(x, 0.1)),
        gain=0.85 - 0.08 * highlights,
        off_u=5.0 * shadows - 6.0 * highlights,
        off_v=-4.0 * shadows + 6.0 * highlights,
    )


def _warmth(amount: float) -> tuple[np.ndarray, np.ndarray]:
    """(U, V) offsets per luma code for a temperature shift of ``amount`` chroma codes."""
    w = _fade_from_black(_X) * amount
    return -w, w


def _warm() -> Grade:
    off_u, off_v = _warmth(8.0)
    return _grade(None, 1.02, off_u, off_v)


def _cool() -> Grade:
    off_u, off_v = _warmth(-8.0)
    return _grade(None, 1.0, off_u, off_v)


def _high_contrast() -> Grade:
    return _grade(lambda x: s_curve(x, 0.45), gain=1.12)


PRESETS: dict[str, Callable[[], Grade]] = {
    "natural": _natural,
    "cinematic": _cinematic,
    "warm": _warm,
    "cool": _cool,
    "high-contrast": _high_contrast,
}


def preset_grade(name: str) -> Grade:
    """Tables for a named preset (one of :data:`PRESETS`); ``KeyError`` if unknown."""
    return PRESETS[name]()


def _param(params: Mapping[str, Any], key: str) -> float:
    lo, hi, neutral = CUSTOM_RANGES[key]
    value = params.get(key, neutral)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        return neutral
    return float(min(hi, max(lo, value)))


def custom_grade(params: Mapping[str, Any]) -> Grade:
    """Tables for ``grade_params`` (unknown keys and non-numbers ignored, values clamped).

    Luma: ``x' = ((x − ½)·contrast + ½ + brightness/2) ^ (1/gamma)`` on normalized luma
    (so gamma > 1 brightens the mid-tones). Chroma: gain ``saturation``; temperature
    moves U/V by up to ±20 codes (+ = warmer), tint by ±14 (+ = magenta, − = green).
    """
    p = {key: _param(params, key) for key in CUSTOM_RANGES}
    curve: Curve | None = None
    if (p["brightness"], p["contrast"], p["gamma"]) != (0.0, 1.0, 1.0):
        def curve(x: np.ndarray) -> np.ndarray:
            x = (x - 0.5) * p["contrast"] + 0.5 + 0.5 * p["brightness"]
            return x if p["gamma"] == 1.0 else np.clip(x, 0.0, 1.0) ** (1.0 / p["gamma"])
    off_u: np.ndarray | float = 0.0
    off_v: np.ndarray | float = 0.0
    if p["temperature"] or p["tint"]:
        warm_u, warm_v = _warmth(_TEMPERATURE * p["temperature"])
        tint = _fade_from_black(_X) * _TINT * p["tint"]
        off_u, off_v = warm_u + tint, warm_v + tint
    return _grade(curve, p["saturation"], off_u, off_v)
