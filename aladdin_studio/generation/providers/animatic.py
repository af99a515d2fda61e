"""Offline animatics for the local provider: real, editable placeholder clips made in-process.

* text-to-video with references: a storyboard animatic -- the location reference as the
  background plate under a slow virtual camera, the character reference composited on it (cut
  out with a soft matte when it stands on a plain backdrop, else a soft-edged card) into one
  panel, the prompt as a lower-third caption.
* text-to-video without references: a title card -- a drifting gradient with soft glows, the
  prompt fading and sliding in, the style underneath.
* image-to-video / composite-to-video: a virtual camera over the still (Ken Burns): pan, zoom,
  tilt, and a dolly whose centre is magnified more than the edges (a centre-weighted depth
  proxy), which reads as parallax.
* first-last-frame: an optical-flow morph (smooth), the same with the change packed into the
  middle (dynamic), or hold-then-cut (cut), under a slow camera drift that never stops
  (:func:`_drift`). The first and last frames are the inputs exactly.

Stills are converted to I420 once with OpenCV (BT.601 limited range, the matrix FFmpeg's
swscale uses by default, so this repo's decoders get the same RGB back) and moved plane by
plane; the title card is drawn in RGB and converted per frame. libx264, 24 fps, yuv420p.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from ...files import atomic_path
from ...sample_media import _ENCODER_THREADS
from ..errors import GenerationCancelled, InvalidInputError
from ..request import GenerationRequest

__all__ = ["FPS", "Move", "output_size", "plan_move", "render_animatic"]

FPS = 24
_RATE = Fraction(FPS)
FrameFn = Callable[[int], np.ndarray]  # frame index -> RGB (h, w, 3) or I420 (h * 3 / 2, w)


def output_size(aspect: str, short_side: int = 720) -> tuple[int, int]:
    """(width, height): 1280x720 for 16:9, 720x1280 for 9:16, 720x720 for 1:1 at 720."""
    s = short_side - short_side % 2
    long = int(round(s * 16 / 9)) & ~1
    sizes = {"16:9": (long, s), "9:16": (s, long), "1:1": (s, s)}
    try:
        return sizes[aspect]
    except KeyError:
        raise InvalidInputError(f"Aspect ratio '{aspect}' is not supported.") from None


def render_animatic(request: GenerationRequest, dest: Path, *, seed: int,
                    size: tuple[int, int], n_frames: int,
                    cancelled: Callable[[], bool] = lambda: False,
                    progress: Callable[[float], None] = lambda p: None) -> dict[str, Any]:
    """Render ``request`` as an H.264 MP4 of exactly ``n_frames`` at ``size`` into ``dest``
    (written atomically). Returns what was done, for provenance."""
    if n_frames < 2:
        raise InvalidInputError("An animatic needs at least 2 frames.")
    req = request.sanitized()
    builders = {
        "text-to-video": _storyboard if req.character_ref or req.location_ref
        else _title_card,
        "image-to-video": _image_move,
        "composite-to-video": _image_move,
        "first-last-frame": _morph,
    }
    frame_at, info = builders[req.method](req, size, n_frames, seed)
    _encode(frame_at, n_frames, dest, size, cancelled, progress)
    return info


# --------------------------------------------------------------------------- encoding


def _encode(frame_at: FrameFn, n: int, dest: Path, size: tuple[int, int],
            cancelled: Callable[[], bool], progress: Callable[[float], None]) -> None:
    w, h = size

    def make(i: int) -> np.ndarray:
        frame = frame_at(i)  # RGB (h, w, 3) or already I420 (h * 3 / 2, w)
        return _to_i420(frame) if frame.ndim == 3 else frame

    with atomic_path(dest) as tmp, ThreadPoolExecutor(1, "animatic-frames") as pool:
        # Frames are drawn one step ahead on a worker thread (OpenCV and numpy release the
        # GIL) while x264 encodes the previous ones: wall time ~ max(draw, encode).
        ahead: deque[Future[np.ndarray]] = deque(pool.submit(make, i) for i in range(min(2, n)))
        try:
            with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                vs = _video_stream(out, w, h)
                for i in range(n):
                    if cancelled():
                        raise GenerationCancelled("The local render was cancelled.")
                    yuv = ahead.popleft().result()
                    if i + 2 < n:
                        ahead.append(pool.submit(make, i + 2))
                    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                    frame.pts = i
                    frame.time_base = 1 / _RATE
                    frame.color_range = 1
                    out.mux(vs.encode(frame))
                    progress((i + 1) / n)
                out.mux(vs.encode(None))
        finally:
            for f in ahead:
                f.cancel()


def _video_stream(out: Any, w: int, h: int) -> Any:
    # Same x264 setup as sample_media: a fixed thread count and no mbtree keep the output
    # byte-identical across runs and machines; scenecut=0 fixes the keyframes. superfast
    # encodes ~40% faster than veryfast here for ~1.5x the bytes (1.6 MB per 5 s at 720p).
    vs = out.add_stream(
        "libx264", rate=_RATE,
        options={"preset": "superfast", "crf": "20", "x264-params": "scenecut=0:no-mbtree=1"},
    )  # fmt: skip
    vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
    vs.codec_context.gop_size = 2 * FPS
    vs.codec_context.thread_type = "FRAME"
    vs.codec_context.thread_count = _ENCODER_THREADS
    vs.color_range = 1
    vs.time_base = 1 / _RATE
    return vs


# --------------------------------------------------------------------------- helpers


def _ease(t: float) -> float:
    """A soft ease-in-out that never stops: 3/10 cosine, 7/10 linear. The ends keep 70 % of
    the average speed (a real camera is already moving when a shot starts and still moving
    when it ends); a stronger ease leaves the first and last second nearly still."""
    t = min(max(t, 0.0), 1.0)
    return 0.7 * t + 0.3 * (0.5 - 0.5 * math.cos(math.pi * t))


DRIFT_RADIUS = 0.03  # of the frame width, over 7 s: the morph's camera drift (see _drift)


def _drift(t: float, w: int, h: int, seconds: float) -> tuple[float, float, float]:
    """A handheld-like camera drift that is exactly at rest at ``t`` = 0 and 1 but moving at
    every moment in between and at the ends, at the same speed whatever the clip's length
    (its size shrinks with shorter ``seconds``): the view centre runs once round a circle
    ((dx, dy) in pixels, vertically no more than the height allows) while the zoom swells by
    ``5 r`` and back, always enough to keep the frame edges inside the picture."""
    r = DRIFT_RADIUS * min(1.0, seconds / 7.0)
    a = 2 * math.pi * t
    z = 1.0 + 5 * r * math.sin(math.pi * t)
    return z, r * w * (math.cos(a) - 1.0), r * min(w, h) * math.sin(a)


def _t(i: int, n: int) -> float:
    return i / (n - 1)


def _load_rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as img:
            return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except OSError as exc:
        raise InvalidInputError(f"Cannot read the image {path.name}: {exc}") from exc


def _cover(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale ``img`` to cover ``size`` (w, h) and crop the centre; untouched if it fits."""
    w, h = size
    ih, iw = img.shape[:2]
    if (iw, ih) == (w, h):
        return np.ascontiguousarray(img)
    s = max(w / iw, h / ih)
    sw, sh = max(w, math.ceil(iw * s)), max(h, math.ceil(ih * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(img, (sw, sh), interpolation=interp)
    x0, y0 = (sw - w) // 2, (sh - h) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + h, x0 : x0 + w])


# --------------------------------------------------------------------------- camera moves


@dataclass(frozen=True)
class Move:
    """A camera move over a still, start -> end values, eased.

    ``z``: zoom (1 = the whole frame-filling image); ``cx``/``cy``: the view centre as a
    fraction of the image; ``p``: extra zoom of the centre (dolly parallax); ``sx``: extra
    sideways shift of the centre (orbit parallax), as a fraction of the image width.
    """

    z: tuple[float, float] = (1.0, 1.0)
    cx: tuple[float, float] = (0.5, 0.5)
    cy: tuple[float, float] = (0.5, 0.5)
    p: tuple[float, float] = (0.0, 0.0)
    sx: tuple[float, float] = (0.0, 0.0)
    label: str = ""

    def at(self, e: float) -> tuple[float, float, float, float, float]:
        lerp = lambda ab: ab[0] + (ab[1] - ab[0]) * e  # noqa: E731
        return lerp(self.z), lerp(self.cx), lerp(self.cy), lerp(self.p), lerp(self.sx)

    @property
    def max_zoom(self) -> float:
        return max(self.z) * (1.0 + max(self.p))


_SPEED = [(re.compile(r"\b(slow|slowly|gentle|gently|subtle|subtly)\b"), 0.6),
          (re.compile(r"\b(fast|quick|quickly|rapid|whip)\b"), 1.6)]
_DIR = r"(?:s|es|ing)?\s+"
_CAMERA_RULES: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(rf"\bpan{_DIR}left\b"), "pan", -1),
    (re.compile(rf"\bpan{_DIR}right\b"), "pan", 1),
    (re.compile(rf"\b(?:tilt|crane|boom|pedestal){_DIR}up\b"), "tilt", -1),
    (re.compile(rf"\b(?:tilt|crane|boom|pedestal){_DIR}down\b"), "tilt", 1),
    (re.compile(rf"\bzoom{_DIR}out\b|\bpull{_DIR}(?:out|back)\b"), "zoom", -1),
    (re.compile(rf"\bdolly{_DIR}(?:out|back)\b"), "dolly", -1),
    (re.compile(r"\bzoom|\bpush(?:es|ing)?[\s-]+in\b"), "zoom", 1),
    (re.compile(r"\bdolly|\btrack(?:s|ing)?\s+in\b"), "dolly", 1),
    (re.compile(rf"\b(?:orbit|arc|truck){_DIR}left\b"), "orbit", -1),
    (re.compile(rf"\b(?:orbit|arc|truck){_DIR}right\b"), "orbit", 1),
    (re.compile(r"\borbit|\barc\b|\btruck"), "orbit", 0),
    (re.compile(r"\bpan"), "pan", 0),
    (re.compile(r"\btilt"), "tilt", 0),
    (re.compile(r"\bstatic\b|\blocked[\s-]off\b|\bstill\b"), "static", 0),
]


def parse_camera(text: str) -> tuple[dict[str, int], float]:
    """Camera words in ``text`` -> ({kind: direction}, speed). Direction 0 = unspecified."""
    s = text.lower()
    found: dict[str, int] = {}
    for pattern, kind, direction in _CAMERA_RULES:
        if kind not in found and pattern.search(s):
            found[kind] = direction
    speed = next((f for pattern, f in _SPEED if pattern.search(s)), 1.0)
    return found, speed


def plan_move(motion: str, camera: str, seed: int, *, default: str = "gentle") -> Move:
    """The move for an image clip: ``motion`` (pan/zoom/dolly) wins, then camera words, then
    ``default`` ("gentle" slow push-in, or "dolly")."""
    rng = np.random.default_rng([seed, 0x6A1])
    side = 1 if rng.random() < 0.5 else -1
    if motion:
        kinds, speed = {motion: 1 if motion != "pan" else 0}, 1.0
    else:
        kinds, speed = parse_camera(camera)
    if not kinds:
        kinds = {default: 1}
    z0 = z1 = 1.0
    cx, cy, p, sx = (0.5, 0.5), (0.5, 0.5), (0.0, 0.0), (0.0, 0.0)
    if "zoom" in kinds:
        amount = 0.3 * speed
        z0, z1 = (1.0, 1.0 + amount) if kinds["zoom"] >= 0 else (1.0 + amount, 1.0)
        j = rng.uniform(-0.03, 0.03, size=2)
        cx, cy = (0.5 + j[0],) * 2, (0.5 + j[1],) * 2
    if "dolly" in kinds:
        dz, dp = 0.1 * speed, 0.15 * speed
        if kinds["dolly"] >= 0:
            z0, z1, p = min(z0, 1.0), max(z1, 1.0 + dz), (0.0, dp)
        else:
            z0, z1, p = max(z0, 1.0 + dz), min(z1, 1.0), (dp, 0.0)
    if "gentle" in kinds:
        z1 = 1.12
        d = rng.uniform(-0.02, 0.02, size=2)
        cx, cy = (0.5 - d[0], 0.5 + d[0]), (0.5 - d[1], 0.5 + d[1])
    if "static" in kinds:
        z1 = max(z1, 1.02)
    room = {"pan", "tilt", "orbit"} & kinds.keys()
    if room:  # travel needs a zoomed-in window
        base = 1.2 if "orbit" not in kinds else 1.25
        z0, z1 = max(z0, base), max(z1, base) + (z1 - z0 if z1 > z0 else 0.0)
        travel = min(0.5 - 0.5 / min(z0, z1), 0.09 * speed)
        if "pan" in kinds or "orbit" in kinds:
            d = kinds.get("pan") or kinds.get("orbit") or side
            cx = (0.5 - d * travel, 0.5 + d * travel)
        if "tilt" in kinds:
            d = kinds["tilt"] or side
            cy = (0.5 - d * travel, 0.5 + d * travel)
        if "orbit" in kinds:  # the subject stays put while the background slides
            sx = (-0.8 * (cx[0] - 0.5), -0.8 * (cx[1] - 0.5))
            p = (max(p[0], 0.05), max(p[1], 0.05))
    label = "+".join(sorted(kinds)) + ("" if speed == 1.0 else f"@{speed:g}x")
    return Move((z0, z1), cx, cy, p, sx, label)


def _to_i420(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)


def _planes(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V views of an I420 buffer of shape (h * 3 / 2, w)."""
    h, w = buf.shape[0] * 2 // 3, buf.shape[1]
    flat = buf.reshape(-1)
    q = (w // 2) * (h // 2)
    return (buf[:h], flat[w * h : w * h + q].reshape(h // 2, w // 2),
            flat[w * h + q :].reshape(h // 2, w // 2))  # fmt: skip


class _Stage:
    """A still seen through a virtual camera (see :class:`Move`).

    Works on I420 planes: luma at full size, chroma at quarter size, about half the work of
    warping RGB and no per-frame colour conversion.
    """

    def __init__(self, img: np.ndarray, size: tuple[int, int], max_zoom: float) -> None:
        self.size = size
        w, h = size
        self.Z = max(1.0, max_zoom)
        sw, sh = int(round(w * self.Z)) & ~1, int(round(h * self.Z)) & ~1
        self.src = _to_i420(_cover(img, (max(w, sw), max(h, sh))))
        self.src_planes = _planes(self.src)
        self.sh, self.sw = self.src_planes[0].shape
        self._grids: dict[str, np.ndarray] | None = None

    def _parallax_grids(self) -> dict[str, np.ndarray]:
        if self._grids is None:
            w, h = self.size
            du = (np.arange(w, dtype=np.float32) + 0.5 - w / 2)[None, :]
            dv = (np.arange(h, dtype=np.float32) + 0.5 - h / 2)[:, None]
            # Centre-weighted depth proxy: the middle of the frame is "near".
            weight = np.exp(-((du / h) ** 2 + (dv / h) ** 2) / (2 * 0.28**2)).astype(np.float32)
            full = lambda a: np.ascontiguousarray(np.broadcast_to(a, (h, w)))  # noqa: E731
            half = lambda a: np.ascontiguousarray(a[::2, ::2])  # noqa: E731
            g = {"du": full(du), "dv": full(dv), "w": weight}
            # Chroma sample (j, i) sits at luma (2j, 2i): same maps, halved.
            g |= {"du_c": half(g["du"]) * 0.5, "dv_c": half(g["dv"]) * 0.5, "w_c": half(weight)}
            self._grids = g
        return self._grids

    def view(self, z: float, cx: float, cy: float, p: float = 0.0, sx: float = 0.0) -> np.ndarray:
        """The I420 frame for zoom ``z`` centred on (``cx``, ``cy``) of the image."""
        w, h = self.size
        z = max(z, 1.0)
        cx = min(max(cx, 0.5 / z), 1 - 0.5 / z)
        cy = min(max(cy, 0.5 / z), 1 - 0.5 / z)
        s = self.Z / z  # source pixels per output pixel
        ox, oy = cx * self.sw - 0.5, cy * self.sh - 0.5
        out = np.empty((h * 3 // 2, w), np.uint8)
        dst = _planes(out)
        if p == 0.0 and sx == 0.0:
            if s == 1.0 and ox == (w - 1) / 2 and oy == (h - 1) / 2:
                out[...] = self.src
                return out
            tx, ty = ox - (w / 2 - 0.5) * s, oy - (h / 2 - 0.5) * s
            m = np.array([[s, 0, tx], [0, s, ty]])
            # Chroma sample u_c sits at luma 2*u_c + 0.5 on both sides of the mapping.
            mc = np.array([[s, 0, (tx + 0.5 * s - 0.5) / 2], [0, s, (ty + 0.5 * s - 0.5) / 2]])
            for k, (src, d) in enumerate(zip(self.src_planes, dst, strict=True)):
                cv2.warpAffine(src, m if k == 0 else mc, (d.shape[1], d.shape[0]), dst=d,
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)  # fmt: skip
            return out
        g = self._parallax_grids()
        for k, (src, d) in enumerate(zip(self.src_planes, dst, strict=True)):
            c = "" if k == 0 else "_c"
            scale = 1.0 if k == 0 else 0.5
            local = g["w" + c] * np.float32(p)
            local += 1.0
            np.divide(np.float32(s), local, out=local)
            map_x = g["du" + c] * local
            map_x += np.float32(ox * scale)
            if sx:
                map_x += g["w" + c] * np.float32(sx * self.sw * scale)
            map_y = g["dv" + c] * local
            map_y += np.float32(oy * scale)
            cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, dst=d, borderMode=cv2.BORDER_REFLECT)
        return out


def _image_move(req: GenerationRequest, size: tuple[int, int], n: int,
                seed: int) -> tuple[FrameFn, dict[str, Any]]:
    assert req.image is not None
    if req.method == "composite-to-video":
        move = plan_move("", req.camera, seed, default="dolly")
        if not parse_camera(req.camera)[0] and req.motion:
            move = plan_move(req.motion, "", seed)
    else:
        move = plan_move(req.motion, req.camera, seed)
    stage = _Stage(_load_rgb(req.image), size, move.max_zoom)

    def frame_at(i: int) -> np.ndarray:
        return stage.view(*move.at(_ease(_t(i, n))))

    return frame_at, {"move": move.label, "zoom": list(move.z), "parallax": list(move.p)}


# --------------------------------------------------------------------------- first/last


def _flow_fields(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Dense flow a->b and b->a at the frame size, damped where it is unreliable
    (forward-backward disagreement, poor photometric match), so unrelated frames fall back to
    a plain crossfade instead of tearing. Returns both flows and the mean confidence.

    DIS (medium preset) at 320 px beat Farneback at 320 and 480 px on synthetic pairs (moving
    flat objects: 22.6 vs 19.6 dB at the midpoint; a camera move: 20.3 vs 18.2 dB; a plain
    crossfade scores 19.8 / 18.0) and costs ~10 ms per direction.
    """
    h, w = a.shape[:2]
    scale = min(1.0, 320 / max(w, h))
    sw, sh = max(16, round(w * scale)), max(16, round(h * scale))
    ga = cv2.cvtColor(cv2.resize(a, (sw, sh), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(cv2.resize(b, (sw, sh), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    f_ab = dis.calc(ga, gb, None)
    f_ba = dis.calc(gb, ga, None)
    gx, gy = np.meshgrid(np.arange(sw, dtype=np.float32), np.arange(sh, dtype=np.float32))
    tol = 0.02 * math.hypot(sw, sh)

    def confidence(f: np.ndarray, g: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        mx, my = gx + f[..., 0], gy + f[..., 1]
        back = cv2.remap(g, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        fb_err = np.hypot(*(f + back).transpose(2, 0, 1))
        warped = cv2.remap(dst, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        photo = np.abs(src.astype(np.float32) - warped.astype(np.float32)) / 255.0
        c = np.exp(-((fb_err / tol) ** 2)) * np.exp(-((photo / 0.3) ** 2))
        return cv2.GaussianBlur(c.astype(np.float32), (0, 0), 3)

    c_ab = confidence(f_ab, f_ba, ga, gb)
    c_ba = confidence(f_ba, f_ab, gb, ga)
    out = []
    for f, c in ((f_ab, c_ab), (f_ba, c_ba)):
        f = cv2.GaussianBlur(f * c[..., None], (0, 0), 2)
        f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(w / sw)
        out.append(f)
    return out[0], out[1], float((c_ab.mean() + c_ba.mean()) / 2)


def _steep(t: float, k: float = 12.0) -> float:
    """Logistic 0->1 with most of the change in the middle (normalised to hit 0 and 1)."""
    lo, hi = 1 / (1 + math.exp(k / 2)), 1 / (1 + math.exp(-k / 2))
    return (1 / (1 + math.exp(-k * (t - 0.5))) - lo) / (hi - lo)


def _morph(req: GenerationRequest, size: tuple[int, int], n: int,
           seed: int) -> tuple[FrameFn, dict[str, Any]]:
    assert req.first_frame is not None and req.last_frame is not None
    a_rgb = _cover(_load_rgb(req.first_frame), size)
    b_rgb = _cover(_load_rgb(req.last_frame), size)
    mode = req.interpolation
    if mode == "cut":
        frame_at = _hold_and_cut(a_rgb, b_rgb, size, n)
        return frame_at, {"interpolation": "cut", "cut_frame": n // 2}
    w, h = size
    f_ab, f_ba, conf = _flow_fields(a_rgb, b_rgb)
    a, b = _to_i420(a_rgb), _to_i420(b_rgb)
    # Per image and plane: flow x, flow y, centred grid x, grid y, centre. Chroma sample
    # (j, i) sits at luma (2j, 2i), so its maps are the luma maps subsampled and halved.
    ctr_x, ctr_y = (w - 1) / 2, (h - 1) / 2
    gx = np.arange(w, dtype=np.float32) - ctr_x
    gy = (np.arange(h, dtype=np.float32) - ctr_y)[:, None]
    full = lambda v: np.ascontiguousarray(np.broadcast_to(v, (h, w)))  # noqa: E731
    half = lambda v: np.ascontiguousarray(v[::2, ::2]) * np.float32(0.5)  # noqa: E731
    grids = [(full(gx), full(gy), ctr_x, ctr_y), (half(full(gx)), half(full(gy)),
                                                   ctr_x / 2, ctr_y / 2)]  # fmt: skip
    fields_ = {}
    for img, f in ((a, f_ab), (b, f_ba)):
        fx, fy = np.ascontiguousarray(f[..., 0]), np.ascontiguousarray(f[..., 1])
        fields_[id(img)] = [(fx, fy), (half(fx), half(fy))]
    def warp(img: np.ndarray, k: float, z: float, dx: float, dy: float) -> np.ndarray:
        """``img`` moved ``k`` of the way along its flow, zoomed ``z`` about the centre
        shifted by (``dx``, ``dy``) pixels."""
        if k == 0.0 and z == 1.0 and dx == 0.0 and dy == 0.0:
            return img
        out = np.empty_like(img)
        for plane, src, dst in zip(range(3), _planes(img), _planes(out), strict=True):
            fx, fy = fields_[id(img)][min(plane, 1)]
            gxc, gyc, cx, cy = grids[min(plane, 1)]
            c = 1.0 if plane == 0 else 0.5
            map_x = cv2.addWeighted(fx, -k, gxc, 1 / z, cx + dx * c)
            map_y = cv2.addWeighted(fy, -k, gyc, 1 / z, cy + dy * c)
            cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, dst=dst,
                      borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        return out

    def frame_at(i: int) -> np.ndarray:
        if i == 0:
            return a
        if i == n - 1:
            return b
        t = _t(i, n)
        # The change itself may hold at the ends (dynamic) or ease (smooth); the camera
        # drift keeps the picture moving throughout and is at rest exactly on the inputs.
        m = _ease(t) if mode == "smooth" else _steep(t)
        z, dx, dy = _drift(t, w, h, n / FPS)
        if m < 0.004:
            return warp(a, m, z, dx, dy)
        if m > 0.996:
            return warp(b, 1 - m, z, dx, dy)
        return cv2.addWeighted(warp(a, m, z, dx, dy), 1 - m, warp(b, 1 - m, z, dx, dy), m, 0)

    return frame_at, {"interpolation": mode, "flow_confidence": round(conf, 3)}


def _hold_and_cut(a: np.ndarray, b: np.ndarray, size: tuple[int, int], n: int) -> FrameFn:
    """First half: the camera drifting over the first frame; then a hard cut to the last
    frame, drifting again to rest on it exactly."""
    # max_zoom 1: the stages hold the frames as they are, so zoom 1 returns them exactly.
    first, last = _Stage(a, size, 1.0), _Stage(b, size, 1.0)
    cut = n // 2
    w, h = size

    def frame_at(i: int) -> np.ndarray:
        # a camera drift (see _drift) over each half: it starts at rest on the first frame,
        # is back at rest for the cut, which lands on the last frame exactly, and ends there
        if i < cut:
            z, dx, dy = _drift(i / cut, w, h, cut / FPS)
        else:
            z, dx, dy = _drift((i - cut) / max(1, n - 1 - cut), w, h, (n - cut) / FPS)
        stage = first if i < cut else last
        return stage.view(z, 0.5 + dx / w, 0.5 + dy / h)

    return frame_at


# --------------------------------------------------------------------------- title card

_PALETTES = [  # (dark, mid, glow)
    ((14, 18, 48), (70, 40, 130), (250, 140, 90)),
    ((8, 32, 40), (20, 110, 120), (240, 210, 120)),
    ((30, 10, 30), (140, 40, 80), (255, 170, 120)),
    ((10, 20, 30), (40, 80, 140), (150, 220, 255)),
    ((24, 24, 20), (110, 90, 50), (255, 220, 150)),
    ((10, 28, 18), (40, 110, 70), (200, 250, 170)),
]


@dataclass
class _Layer:
    """A pre-rendered RGBA patch: premultiplied RGB and alpha (float32), at (x, y)."""

    prem: np.ndarray
    alpha: np.ndarray
    x: int
    y: int

    def draw(self, frame: np.ndarray, amount: float, dy: int = 0) -> None:
        if amount <= 0.0:
            return
        h, w = self.alpha.shape
        fh, fw = frame.shape[:2]
        y0, x0 = self.y + dy, self.x
        ys, xs = max(0, -y0), max(0, -x0)
        ye, xe = min(h, fh - y0), min(w, fw - x0)
        if ys >= ye or xs >= xe:
            return
        region = frame[y0 + ys : y0 + ye, x0 + xs : x0 + xe]
        a = self.alpha[ys:ye, xs:xe, None] * np.float32(amount)
        out = region * (1.0 - a) + self.prem[ys:ye, xs:xe] * np.float32(amount)
        np.clip(out, 0, 255, out=out)
        region[...] = out.astype(np.uint8)


def _font(px: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(8, px))
    except (OSError, ImportError, TypeError):  # Pillow without FreeType
        return ImageFont.load_default()


def _wrap(text: str, font: Any, max_w: float) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            while font.getlength(word) > max_w and len(word) > 1:  # split giant words
                cut = max(1, int(len(word) * max_w / font.getlength(word)) - 1)
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:cut])
                word = word[cut:]
            trial = f"{line} {word}".strip()
            if line and font.getlength(trial) > max_w:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines or [""]


def _text_layer(lines: list[str], font: Any, size: tuple[int, int], top: int,
                color: tuple[int, int, int], line_h: int, spacing: int = 0,
                shadow: float = 0.6) -> _Layer:
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    block_h = line_h * len(lines) + line_h // 2
    canvas = Image.new("L", (w, block_h), 0)
    draw = ImageDraw.Draw(canvas)
    for k, line in enumerate(lines):
        if spacing:
            x = (w - sum(font.getlength(c) + spacing for c in line) + spacing) / 2
            for c in line:
                draw.text((x, k * line_h), c, fill=255, font=font)
                x += font.getlength(c) + spacing
        else:
            draw.text((w / 2, k * line_h), line, fill=255, font=font, anchor="ma")
    text_a = np.asarray(canvas, dtype=np.float32) / 255.0
    off = max(1, h // 240)
    blurred = canvas.filter(ImageFilter.GaussianBlur(max(1.0, h / 200)))
    shadow_a = np.roll(np.asarray(blurred, dtype=np.float32) / 255.0, (off, off), (0, 1))
    shadow_a *= shadow
    alpha = text_a + shadow_a * (1.0 - text_a)
    prem = text_a[..., None] * np.asarray(color, dtype=np.float32)  # shadow is black
    ys, xs = np.nonzero(alpha > 1 / 255)
    if ys.size == 0:
        return _Layer(np.zeros((1, 1, 3), np.float32), np.zeros((1, 1), np.float32), 0, top)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return _Layer(np.ascontiguousarray(prem[y0:y1, x0:x1]),
                  np.ascontiguousarray(alpha[y0:y1, x0:x1]), int(x0), int(top + y0))


def _fit_title(text: str, size: tuple[int, int]) -> tuple[list[str], Any, int]:
    """Largest font (down to a floor) that fits ``text`` in at most 5 lines (8 on portrait
    frames); longer text is cut with an ellipsis."""
    w, h = size
    max_w = w * 0.8
    max_lines = 5 if w >= h else 8
    px = int(h * 0.085 if w >= h else w * 0.085)
    floor = max(10, int(min(w, h) * 0.045))
    while True:
        font = _font(px)
        lines = _wrap(text, font, max_w)
        if len(lines) <= max_lines or px <= floor:
            break
        px = max(floor, int(px * 0.9))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + " …") > max_w:
            last = last[: last.rfind(" ")] if " " in last else last[:-1]
        lines[-1] = (last + " …").strip()
    return lines, font, px


def _title_card(req: GenerationRequest, size: tuple[int, int], n: int,
                seed: int) -> tuple[FrameFn, dict[str, Any]]:
    w, h = size
    rng = np.random.default_rng([seed, 0x717])
    palette = int(rng.integers(len(_PALETTES)))
    dark, mid, glow = (np.asarray(c, np.float32) for c in _PALETTES[palette])
    # Background at 1/8 resolution; it is smooth, so upscaling is free of artefacts.
    lw, lh = max(16, w // 8), max(16, h // 8)
    u = (np.arange(lw, dtype=np.float32) + 0.5) / lw - 0.5
    v = (np.arange(lh, dtype=np.float32) + 0.5) / lh - 0.5
    xx, yy = np.meshgrid(u * (w / max(w, h)), v * (h / max(w, h)))
    vignette = (1.0 - 0.55 * (xx**2 + yy**2) / 0.25).clip(0.35, 1.0)[..., None]
    angle0 = rng.uniform(0, 2 * math.pi)
    blobs = [(rng.uniform(-0.35, 0.35, 2), rng.uniform(0.1, 0.25, 2), rng.uniform(0, 6.3, 2),
              rng.uniform(0.12, 0.25), rng.uniform(0.25, 0.45)) for _ in range(3)]

    lines, font, px = _fit_title(req.prompt, size)
    line_h = int(px * 1.25)
    block_h = line_h * len(lines)
    style = req.style.upper()
    style_px = max(8, int(min(w, h) * 0.032))
    top = int(h * 0.46 - block_h / 2 - (style_px if style else 0))
    title = _text_layer(lines, font, size, top, (255, 255, 255), line_h)
    rule_y = top + block_h + int(px * 0.45)
    style_layer = None
    if style:
        sfont = _font(style_px)
        slines = _wrap(style, sfont, w * 0.8)[:2]
        style_layer = _text_layer(slines, sfont, size, rule_y + int(style_px * 0.9),
                                  (235, 228, 215), int(style_px * 1.4),
                                  spacing=max(1, style_px // 6), shadow=0.45)  # fmt: skip
    rule_half = int(min(w, h) * 0.08)
    rule_t = max(2, h // 360)
    slide = int(h * 0.02)

    def background(ts: float) -> np.ndarray:
        ang = angle0 + 0.22 * ts
        g = 0.5 + 1.1 * (xx * math.cos(ang) + yy * math.sin(ang))
        g += 0.06 * np.sin(3.0 * xx + 0.7 * ts)
        col = dark + (mid - dark) * np.clip(g, 0, 1)[..., None]
        for centre, amp, phase, radius, strength in blobs:
            bx = centre[0] + amp[0] * math.sin(0.35 * ts + phase[0])
            by = centre[1] + amp[1] * math.sin(0.27 * ts + phase[1])
            d2 = (xx - bx) ** 2 + (yy - by) ** 2
            col += (glow - col) * (strength * np.exp(-d2 / (2 * radius**2)))[..., None]
        col *= vignette
        small = np.clip(col, 0, 255).astype(np.uint8)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)

    # the text is in within ~1.5 s, or in the first half of a shorter clip
    pace = min(1.0, n / FPS / 3.0)

    def frame_at(i: int) -> np.ndarray:
        ts = i / FPS
        frame = background(ts)
        a = _fade_in((ts - 0.1 * pace) / (1.4 * pace))
        title.draw(frame, a, int(round((1 - a) * slide)))
        r = _fade_in((ts - 0.4 * pace) / (1.2 * pace))
        half = int(rule_half * r)
        if half > 0:
            band = frame[rule_y : rule_y + rule_t, w // 2 - half : w // 2 + half]
            band[...] = (band * (1 - 0.8 * r) + 255 * 0.8 * r).astype(np.uint8)
        if style_layer is not None:
            s = _fade_in((ts - 0.6 * pace) / (1.4 * pace))
            style_layer.draw(frame, s, int(round((1 - s) * slide * 0.6)))
        return frame

    return frame_at, {"lines": len(lines), "font_px": px, "palette": palette}


def _fade_in(t: float) -> float:
    """Smoothstep: text appears slowly at first (a sudden fade-in over a still background
    reads as the picture swelling, i.e. warping, to motion analysis)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


# --------------------------------------------------------------------------- storyboard


def _soft_matte(rgb: np.ndarray) -> np.ndarray | None:
    """Alpha (float32 0-1) of the subject of a picture shot on a plain backdrop: pixels far
    (in Lab) from the border's median colour, feathered. ``None`` when the border is not one
    colour (a scene, not a subject on a backdrop) or the subject is tiny or everything."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3),
                             lab[:, :4].reshape(-1, 3), lab[:, -4:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    if float(np.median(np.linalg.norm(border - bg, axis=1))) > 12:
        return None
    dist = np.linalg.norm(lab - bg, axis=2)
    alpha = np.clip((dist - 15.0) / 20.0, 0.0, 1.0).astype(np.float32)
    hard = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_OPEN,
                            np.ones((5, 5), np.uint8))
    cover = float(hard.mean())
    if cover < 0.03 or cover > 0.9:
        return None
    alpha *= cv2.dilate(hard, np.ones((9, 9), np.uint8)).astype(np.float32)  # specks out
    feather = max(1.0, min(rgb.shape[:2]) / 200)
    return cv2.GaussianBlur(alpha, (0, 0), feather)


def _card_matte(h: int, w: int) -> np.ndarray:
    """A rounded, soft-edged card the size of the picture."""
    r = max(2, int(min(h, w) * 0.06))
    feather = max(1.0, min(h, w) / 150)
    inset = int(math.ceil(feather * 2))
    mask = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = inset, inset, w - 1 - inset, h - 1 - inset
    cv2.rectangle(mask, (x0 + r, y0), (x1 - r, y1), 255, -1)
    cv2.rectangle(mask, (x0, y0 + r), (x1, y1 - r), 255, -1)
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), feather)


def _caption_layer(text: str, size: tuple[int, int]) -> _Layer:
    """The prompt as a lower third: up to two lines of white text on a dark translucent band
    (static for the whole clip: a storyboard caption, not an animated title)."""
    w, h = size
    px = max(9, int(min(w, h) * 0.05))
    font = _font(px)
    lines = _wrap(text, font, w * 0.86)
    if len(lines) > 2:
        lines = lines[:2]
        last = lines[-1]
        while last and font.getlength(last + " …") > w * 0.86:
            last = last[: last.rfind(" ")] if " " in last else last[:-1]
        lines[-1] = (last + " …").strip()
    line_h = int(px * 1.25)
    band_h = line_h * len(lines) + int(px * 0.9)
    top = h - band_h - int(h * 0.04)
    text = _text_layer(lines, font, size, top + int(px * 0.45), (255, 255, 255), line_h)
    band_h = max(band_h, text.y + text.alpha.shape[0] - top)  # the text's shadow included
    alpha = np.zeros((band_h, w), np.float32)
    ramp = np.minimum(1.0, np.minimum(np.arange(band_h), np.arange(band_h)[::-1]) /
                      max(1.0, band_h * 0.25))
    alpha[:] = (0.5 * ramp)[:, None]
    prem = np.zeros((band_h, w, 3), np.float32)
    ty0 = text.y - top
    th, tw = text.alpha.shape
    ta = text.alpha
    region = alpha[ty0: ty0 + th, text.x: text.x + tw]
    alpha[ty0: ty0 + th, text.x: text.x + tw] = ta + region * (1.0 - ta)
    prem[ty0: ty0 + th, text.x: text.x + tw] = text.prem
    return _Layer(prem, alpha, 0, top)


def _storyboard(req: GenerationRequest, size: tuple[int, int], n: int,
                seed: int) -> tuple[FrameFn, dict[str, Any]]:
    """text-to-video with references (see the module doc). The character is composited
    onto the plate once, making one storyboard panel the camera then moves over: a
    character sliding over the plate on its own would occlude and reveal the place frame
    by frame, which reads as the picture tearing at animatic sizes."""
    w, h = size
    rng = np.random.default_rng([seed, 0x5B0])
    close = re.search(r"\b(close[\s-]?up|closeup|portrait|face)\b", req.prompt.lower())
    move = plan_move("", req.camera, seed)
    char_rgb = _load_rgb(req.character_ref) if req.character_ref else None
    matte = _soft_matte(char_rgb) if char_rgb is not None else None
    if req.location_ref:
        plate = _load_rgb(req.location_ref)
    elif matte is not None:  # no place, a character on a plain backdrop: that picture
        assert char_rgb is not None
        plate, char_rgb = char_rgb, None
    else:  # no place, a character in a scene: that scene, blurred and dimmed, as a backdrop
        assert char_rgb is not None
        plate = _cover(char_rgb, (max(16, w // 4), max(16, h // 4)))
        plate = (cv2.GaussianBlur(plate, (0, 0), max(w, h) / 160) * 0.55).astype(np.uint8)
    zoom = max(1.0, move.max_zoom)
    pw, ph = max(w, int(round(w * zoom)) & ~1), max(h, int(round(h * zoom)) & ~1)
    panel = _cover(plate, (pw, ph)).copy()
    info: dict[str, Any] = {"move": move.label, "storyboard": True}
    if char_rgb is None and req.character_ref:
        info["character"] = "backdrop"
    if char_rgb is not None:
        cut_out = matte is not None
        if matte is None:
            matte = _card_matte(*char_rgb.shape[:2])
        ys, xs = np.nonzero(matte > 0.02)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        ch, cw = y1 - y0, x1 - x0
        # on screen (halfway through the move): its height and where its centre sits
        height = (0.86 if close else 0.62) * h
        scale = min(height / ch, (0.8 if close else 0.55) * w / cw)
        side = 0.0 if close else (-1.0 if rng.random() < 0.5 else 1.0)
        home_x = w * (0.5 + 0.18 * side)
        home_y = h * (0.47 if close or not cut_out else 0.92 - 0.5 * ch * scale / h)
        # ... mapped into the panel through the view at mid-move (see _Stage.view)
        z, cx, cy, _, _ = move.at(0.5)
        s = zoom / max(z, 1.0)
        k = scale * s
        sw, sh = max(2, round(cw * k)), max(2, round(ch * k))
        rgba = np.dstack([char_rgb[y0:y1, x0:x1], (matte[y0:y1, x0:x1] * 255).astype(np.uint8)])
        sprite = cv2.resize(rgba, (sw, sh),
                            interpolation=cv2.INTER_AREA if sw < cw else cv2.INTER_CUBIC)
        px = cx * pw - 0.5 + (home_x - w / 2 + 0.5) * s
        py = cy * ph - 0.5 + (home_y - h / 2 + 0.5) * s
        _paste(panel, sprite, 1.0, px, py)
        info |= {"character": "cut-out" if cut_out else "card",
                 "character_height": round(ch * scale / h, 3)}
    stage = _Stage(panel, size, zoom)
    caption = _caption_layer(req.prompt if not req.style else f"{req.prompt} — {req.style}",
                             size)

    def frame_at(i: int) -> np.ndarray:
        frame = cv2.cvtColor(stage.view(*move.at(_ease(_t(i, n)))), cv2.COLOR_YUV2RGB_I420)
        caption.draw(frame, 1.0)
        return frame

    return frame_at, info


def _paste(frame: np.ndarray, sprite: np.ndarray, k: float, cx: float, cy: float) -> None:
    """Composite the RGBA ``sprite`` scaled by ``k`` with its centre at (``cx``, ``cy``)."""
    fh, fw = frame.shape[:2]
    sh, sw = sprite.shape[:2]
    half_w, half_h = sw * k / 2, sh * k / 2
    bx0, by0 = max(0, int(math.floor(cx - half_w))), max(0, int(math.floor(cy - half_h)))
    bx1, by1 = min(fw, int(math.ceil(cx + half_w))), min(fh, int(math.ceil(cy + half_h)))
    if bx0 >= bx1 or by0 >= by1:
        return
    # output pixel (u, v) of the box shows sprite pixel ((u + bx0 - cx) / k + sw / 2, ...)
    m = np.array([[k, 0.0, cx - k * sw / 2 - bx0], [0.0, k, cy - k * sh / 2 - by0]])
    patch = cv2.warpAffine(sprite, m, (bx1 - bx0, by1 - by0), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    a = patch[..., 3].astype(np.float32) * np.float32(1 / 255)
    region = frame[by0:by1, bx0:bx1]
    region[...] = cv2.blendLinear(patch[..., :3], region, a, 1.0 - a)
