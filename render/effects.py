"""A clip's effects (``metadata["aladdin"]["effects"]``) applied to I420 frames.

:class:`EffectChain` is built once per clip and effect settings: everything that does not
depend on the pixels (grade tables, the LUT resampled over YUV codes, filter parameters) is
computed in ``__init__``, so :meth:`EffectChain.apply` costs a few table lookups and
OpenCV filters per frame. Order: stabilize → denoise → grade → LUT → sharpen.

Frames are I420 arrays shaped ``(h * 3 // 2, w)`` (see :mod:`render.transitions`), possibly
read-only. ``apply`` returns a new array, or the input object itself when nothing changed
it (an inactive chain, or stabilize without a source to analyse).

``python -m aladdin_studio.render.effects`` prints per-frame costs at 1920×1080.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from aladdin_studio.render.grade import PRESETS, Grade, custom_grade, preset_grade
from aladdin_studio.render.lut import EffectError, YuvLut, load_cube, yuv_lut
from aladdin_studio.render.stabilize import Source, Stabilizer
from aladdin_studio.render.transitions import planes

__all__ = ["LUT_DIR", "EffectChain", "EffectError", "builtin_luts", "default_resolve_lut",
           "denoise", "load_cube", "sharpen"]

#: Bundled LUTs, found by name (``"teal-orange"`` or ``"teal-orange.cube"``).
LUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "luts"

# Denoise: bilateral filter on luma (edges far above SIGMA_COLOR survive), light chroma blur.
DENOISE_DIAMETER = 7
DENOISE_SIGMA_COLOR = 28.0
DENOISE_SIGMA_SPACE = 3.0
# Sharpen: Y + SHARPEN_GAIN·amount·(Y − blur(Y, SHARPEN_SIGMA)).
SHARPEN_SIGMA = 1.0
SHARPEN_GAIN = 1.5


def builtin_luts() -> list[str]:
    """Names of the bundled ``.cube`` files (without extension), sorted."""
    return sorted(p.stem for p in LUT_DIR.glob("*.cube"))


def default_resolve_lut(name: str) -> Path | None:
    """An existing absolute path as is; otherwise ``name`` (or ``name.cube``) in
    :data:`LUT_DIR`; ``None`` when there is no such file."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path if path.is_file() else None
    for candidate in (LUT_DIR / name, LUT_DIR / f"{name}.cube"):
        if candidate.is_file():
            return candidate
    return None


def denoise(frame: np.ndarray) -> np.ndarray:
    """Edge-preserving bilateral filter on luma, a 3×3 Gaussian on chroma."""
    out = np.empty_like(frame)
    y, u, v = planes(frame)
    oy, ou, ov = planes(out)
    oy[...] = cv2.bilateralFilter(y, DENOISE_DIAMETER, DENOISE_SIGMA_COLOR, DENOISE_SIGMA_SPACE)
    ou[...] = cv2.GaussianBlur(u, (3, 3), 0)
    ov[...] = cv2.GaussianBlur(v, (3, 3), 0)
    return out


def sharpen(frame: np.ndarray, amount: float) -> np.ndarray:
    """Unsharp mask on luma; ``amount`` in [0, 1] (0 returns ``frame`` itself)."""
    amount = min(1.0, max(0.0, float(amount)))
    if amount == 0.0:
        return frame
    gain = SHARPEN_GAIN * amount
    out = frame.copy()
    y = planes(out)[0]
    blurred = cv2.GaussianBlur(y, (0, 0), SHARPEN_SIGMA)
    y[...] = cv2.addWeighted(y, 1.0 + gain, blurred, -gain, 0.0)
    return out


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        return default
    return float(value)


class EffectChain:
    """The effects of one clip, ready to apply to its frames.

    ``effects`` is the clip's effect dict (missing keys take the schema defaults). ``size``
    is the frame size ``(w, h)`` the chain will see, ``fps`` the frame rate of
    ``source_time`` steps (stabilization analyses the span at this rate). ``resolve_lut``
    maps the ``lut`` value to a file (default: :func:`default_resolve_lut`). ``cache_dir``
    and ``clip_key`` together enable the on-disk stabilization cache.

    Raises :class:`EffectError` for an unknown grade preset or a missing/invalid LUT file.
    """

    def __init__(self, effects: Mapping[str, Any], *, size: tuple[int, int], fps: float,
                 resolve_lut: Callable[[str], Path | None] = default_resolve_lut,
                 cache_dir: Path | None = None, clip_key: str = "") -> None:
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.grade = _build_grade(effects.get("grade"), effects.get("grade_params"))
        self.lut = _build_lut(effects.get("lut"), resolve_lut)
        self.stabilizer = (
            Stabilizer(self.fps, cache_dir=cache_dir, clip_key=clip_key)
            if effects.get("stabilize") else None
        )
        self.denoise = bool(effects.get("denoise"))
        self.sharpen = min(1.0, max(0.0, _number(effects.get("sharpen"))))
        self.active: bool = bool(
            self.grade or self.lut or self.stabilizer or self.denoise or self.sharpen
        )

    def apply(self, frame: np.ndarray, *, source_time: float,
              source: Source | None = None,
              span: tuple[float, float] | None = None) -> np.ndarray:
        """The frame with every effect applied.

        ``source_time`` is the frame's media time; ``source(t)`` reads any frame of the clip
        and ``span`` is the ``(start, end)`` media span shown, both needed only for
        stabilization (which analyses the whole span on the first call). Without them a
        stabilized chain leaves the frame unstabilized.
        """
        out = frame
        if self.stabilizer is not None:
            out = self.stabilizer.apply(out, source_time, source, span)
        if self.denoise:
            out = denoise(out)
        if self.grade is not None:
            out = self.grade.apply(out)
        if self.lut is not None:
            out = self.lut.apply(out)
        if self.sharpen:
            out = sharpen(out, self.sharpen)
        return out


def _build_grade(name: Any, params: Any) -> Grade | None:
    name = name or "none"
    if name == "none":
        return None
    if name == "custom":
        grade = custom_grade(params if isinstance(params, Mapping) else {})
    elif name in PRESETS:
        grade = preset_grade(name)
    else:
        raise EffectError(f"Unknown grade preset {name!r}")
    return None if grade.is_identity else grade


def _build_lut(value: Any, resolve: Callable[[str], Path | None]) -> YuvLut | None:
    if not value:
        return None
    if not isinstance(value, str):
        raise EffectError(f"LUT must be a file name or path, got {value!r}")
    path = resolve(value)
    if path is None:
        raise EffectError(f"LUT file not found: '{value}'")
    return yuv_lut(path)
