"""Title text rasterised with Pillow and blended over the picture in I420.

PyAV's FFmpeg build has no drawtext filter and ``render/`` never uses Qt, so a title is
drawn once per (settings, output size) into an RGBA image with Pillow, converted to I420
planes plus an alpha mask for its bounding box, and cached. Every frame then costs one
alpha blend of that box (times the fade factor), the same code for preview and export.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import transitions as T

__all__ = ["TitleLayer", "blend", "fade_factor", "font_path", "over_black", "params",
           "title_layer"]

#: Title font names (``timeline.titles.FONTS``) → files of fonts-dejavu-core.
FONT_FILES = {"DejaVu Sans": "DejaVuSans.ttf", "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
              "DejaVu Serif": "DejaVuSerif.ttf", "DejaVu Sans Mono": "DejaVuSansMono.ttf"}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF", "/usr/local/share/fonts", "/Library/Fonts",
             "C:/Windows/Fonts")
REFERENCE_HEIGHT = 1080  # title sizes are pixels of a 1080-line frame
SHADOW_ALPHA = 150


def font_path(name: str) -> str | None:
    """The file of a title font, or None (then Pillow's built-in font is used)."""
    file = FONT_FILES.get(name)
    if file is None:
        return None
    for folder in FONT_DIRS:
        path = Path(folder) / file
        if path.is_file():
            return str(path)
    return None


def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    path = font_path(name)
    if path is not None:
        return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)  # scalable since Pillow 10.1


@dataclass(frozen=True)
class TitleLayer:
    """A title's pixels inside ``rect`` (x, y, w, h; even): planes and alpha in 0…1."""

    rect: tuple[int, int, int, int]
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    alpha_y: np.ndarray  # float32 (h, w)
    alpha_c: np.ndarray  # float32 (h/2, w/2)


def _hex(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def rasterise(params: dict[str, Any], size: tuple[int, int]) -> tuple[Image.Image,
                                                                     tuple[int, int]]:
    """The title as an RGBA image of its bounding box in a frame of ``size``, and the box's
    top-left corner in the frame. Only the box is drawn (a full-frame canvas cost 3× more);
    the shadow is the text's own alpha, offset and darkened, so the text is drawn once."""
    w, h = size
    scale = h / REFERENCE_HEIGHT
    font = _font(str(params["font"]), max(1, round(float(params["size"]) * scale)))
    stroke = round(float(params["outline"]) * scale)
    at = (float(params["x"]) * w, float(params["y"]) * h)
    text = str(params["text"])
    kwargs = {"font": font, "anchor": "mm", "align": "center", "stroke_width": stroke}
    offset = max(1, round(4 * scale)) if params.get("shadow") else 0
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGBA", (1, 1))).multiline_textbbox(
        at, text, **kwargs)
    x0, y0 = max(0, math.floor(left) - 2), max(0, math.floor(top) - 2)
    x1, y1 = min(w, math.ceil(right) + 2 + offset), min(h, math.ceil(bottom) + 2 + offset)
    if x1 <= x0 or y1 <= y0:
        return Image.new("RGBA", (0, 0)), (0, 0)
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    ImageDraw.Draw(layer).multiline_text((at[0] - x0, at[1] - y0), text,
                                         fill=_hex(params["color"]),
                                         stroke_fill=_hex(params["outline_color"]), **kwargs)
    if not offset:
        return layer, (x0, y0)
    alpha = layer.getchannel("A").point(lambda a: a * SHADOW_ALPHA // 255)
    shadow = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    shadow.paste((0, 0, 0, 255), (offset, offset, layer.width, layer.height),
                 alpha.crop((0, 0, layer.width - offset, layer.height - offset)))
    return Image.alpha_composite(shadow, layer), (x0, y0)


@lru_cache(maxsize=16)  # a 1080p two-line title is ~4 MB of float planes
def _layer(key: str, size: tuple[int, int]) -> TitleLayer | None:
    image, (left, top) = rasterise(json.loads(key), size)
    box = image.getbbox()
    if box is None:
        return None
    box = (box[0] + left, box[1] + top, box[2] + left, box[3] + top)  # in the frame
    x0, y0 = box[0] // 2 * 2, box[1] // 2 * 2
    x1, y1 = min(size[0], (box[2] + 1) // 2 * 2), min(size[1], (box[3] + 1) // 2 * 2)
    src = np.asarray(image)
    rgba = np.zeros((y1 - y0, x1 - x0, 4), dtype=np.uint8)  # the box, even-aligned
    sy, sx = box[1] - top, box[0] - left
    bh, bw = min(box[3], y1) - box[1], min(box[2], x1) - box[0]
    rgba[box[1] - y0:box[1] - y0 + bh, box[0] - x0:box[0] - x0 + bw] = \
        src[sy:sy + bh, sx:sx + bw]
    rgb = np.ascontiguousarray(rgba[:, :, :3])
    alpha = rgba[:, :, 3].astype(np.float32) / 255.0
    h, w = alpha.shape
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)[:h]
    # Per-pixel chroma (the same BT.601 matrix): convert a 2× nearest upscale, whose
    # chroma planes have the crop's own resolution; then average 2×2 weighted by alpha
    # (area resizes of U·a and a), so transparent pixels never tint the letters' edges.
    big = cv2.resize(rgb, (w * 2, h * 2), interpolation=cv2.INTER_NEAREST)
    full = cv2.cvtColor(big, cv2.COLOR_RGB2YUV_I420)
    half = (w // 2, h // 2)
    weight = cv2.resize(alpha, half, interpolation=cv2.INTER_AREA)  # mean alpha per 2×2
    safe = np.maximum(weight, 1e-6)

    def pooled(plane: np.ndarray) -> np.ndarray:
        s = cv2.resize(plane.reshape(h, w).astype(np.float32) * alpha, half,
                       interpolation=cv2.INTER_AREA) / safe
        return np.where(weight > 0, s, float(T.BLACK_C)).astype(np.float32)

    u = pooled(full[2 * h:2 * h + h // 2])
    v = pooled(full[2 * h + h // 2:])
    layer = TitleLayer((x0, y0, x1 - x0, y1 - y0), y.astype(np.float32), u, v, alpha,
                       weight.astype(np.float32))
    for arr in (layer.y, layer.u, layer.v, layer.alpha_y, layer.alpha_c):
        arr.flags.writeable = False
    return layer


@lru_cache(maxsize=256)
def params(key: str) -> dict[str, Any]:
    """A title's settings from its canonical JSON (cached; do not modify)."""
    return json.loads(key)


def title_layer(params_key: str, size: tuple[int, int]) -> TitleLayer | None:
    """The cached layer of a title (``params_key``: its canonical JSON); None if empty."""
    return _layer(params_key, (int(size[0]), int(size[1])))


def fade_factor(params: dict[str, Any], start: int, end: int, n: float, fps: float) -> float:
    """Opacity of the title at timeline frame ``n`` from its fade in/out (0…1)."""
    f = 1.0
    fade_in, fade_out = float(params.get("fade_in", 0.0)), float(params.get("fade_out", 0.0))
    if fade_in > 0:
        f = min(f, (n - start + 1) / (fade_in * fps))
    if fade_out > 0:
        f = min(f, (end - n) / (fade_out * fps))
    return min(1.0, max(0.0, f))


def blend(base: np.ndarray, layer: TitleLayer | None, opacity: float) -> np.ndarray:
    """``layer`` over the I420 frame ``base`` at ``opacity`` (a new frame)."""
    if layer is None or opacity <= 0.0:
        return base
    out = base.copy()
    x, y, w, h = layer.rect
    py, pu, pv = T.planes(out)
    for plane, src, alpha, div in ((py, layer.y, layer.alpha_y, 1), (pu, layer.u,
                                   layer.alpha_c, 2), (pv, layer.v, layer.alpha_c, 2)):
        region = plane[y // div:(y + h) // div, x // div:(x + w) // div]
        a = alpha if opacity >= 1.0 else alpha * np.float32(opacity)
        mixed = region + (src - region) * a
        region[:] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    return out


def over_black(layer: TitleLayer | None, size: tuple[int, int], opacity: float) -> np.ndarray:
    """The title on black: what a transition to or from a title shows."""
    black = np.empty((size[1] * 3 // 2, size[0]), dtype=np.uint8)
    black[:size[1]] = T.BLACK_Y
    black[size[1]:] = T.BLACK_C
    return blend(black, layer, opacity)
