"""A labelled set of clips for calibrating and testing the quality checks, made at test time.

Good clips come from the local animatic provider's renderer (image-to-video over a composed
picture of a character in a location, a first→last morph, a title card) and from FFmpeg's
own footage (``testsrc2``); degraded clips are those with one defect added (blur, a freeze,
flicker, jitter, another character, another palette, a cut, the wrong length, size or frame
rate, dropped frames, a start that is not the supplied image). Each clip carries the
parameters it is verified with and the checks that must fail (empty for a good clip).

``build_set(folder, seed)`` writes the pictures and clips; other seeds give other
characters, places, camera moves and defect positions (the hold-out set).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from aladdin_studio.generation.providers.animatic import render_animatic
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.quality.verify import VerifyParams

SIZE = (640, 360)
FPS = 24


@dataclass
class Sample:
    name: str
    path: Path
    params: VerifyParams
    defects: frozenset[str] = field(default_factory=frozenset)  # checks that must fail

    @property
    def good(self) -> bool:
        return not self.defects


# --------------------------------------------------------------------------- pictures


def _colour(rng: np.random.Generator, lo: int = 30, hi: int = 230) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi, 3))


def location_image(seed: int, size: tuple[int, int] = (960, 540)) -> np.ndarray:
    """A street of textured buildings under a sky (BGR)."""
    rng = np.random.default_rng(1000 + seed)
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    top, bottom = np.array(_colour(rng, 120, 255)), np.array(_colour(rng, 60, 200))
    ramp = np.linspace(0, 1, h)[:, None, None]
    img[:] = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
    horizon = int(h * rng.uniform(0.6, 0.75))
    img[horizon:] = _colour(rng, 40, 160)
    x = 0
    while x < w:
        bw = int(rng.integers(70, 170))
        bh = int(rng.integers(int(h * 0.25), int(h * 0.55)))
        base = _colour(rng, 40, 220)
        cv2.rectangle(img, (x, horizon - bh), (x + bw, horizon), base, -1)
        win = _colour(rng, 20, 255)
        for wy in range(horizon - bh + 10, horizon - 20, 26):
            for wx in range(x + 8, x + bw - 14, 22):
                if rng.random() < 0.8:
                    cv2.rectangle(img, (wx, wy), (wx + 12, wy + 16), win, -1)
        x += bw + int(rng.integers(0, 25))
    for _ in range(14):  # trees and signs
        cx, cy = int(rng.integers(0, w)), int(rng.integers(horizon - 30, h))
        cv2.circle(img, (cx, cy), int(rng.integers(10, 34)), _colour(rng), -1)
    for _ in range(10):
        px, py = int(rng.integers(0, w)), int(rng.integers(horizon, h))
        cv2.rectangle(img, (px, py), (px + int(rng.integers(20, 60)), py + 8), _colour(rng), -1)
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


BACKDROP = (236, 236, 236)


def character_image(seed: int, size: tuple[int, int] = (360, 540)) -> np.ndarray:
    """A figure with a patterned jacket, a face and a hat on a plain backdrop (BGR)."""
    rng = np.random.default_rng(2000 + seed)
    w, h = size
    img = np.full((h, w, 3), BACKDROP, np.uint8)
    cx = w // 2
    skin = _colour(rng, 90, 210)
    jacket, stripe = _colour(rng, 20, 200), _colour(rng, 20, 230)
    trousers, hat = _colour(rng, 20, 150), _colour(rng, 20, 200)
    cv2.rectangle(img, (cx - 60, int(h * 0.62)), (cx - 10, int(h * 0.95)), trousers, -1)
    cv2.rectangle(img, (cx + 10, int(h * 0.62)), (cx + 60, int(h * 0.95)), trousers, -1)
    body = (cx - 80, int(h * 0.3), cx + 80, int(h * 0.66))
    cv2.rectangle(img, body[:2], body[2:], jacket, -1)
    pattern = int(rng.integers(0, 3))
    for k, y in enumerate(range(body[1] + 8, body[3] - 6, 18)):
        if pattern == 0:
            cv2.line(img, (body[0], y), (body[2], y + 10), stripe, 5)
        elif pattern == 1:
            for x in range(body[0] + 8 + (k % 2) * 14, body[2] - 8, 28):
                cv2.rectangle(img, (x, y), (x + 12, y + 10), stripe, -1)
        else:
            for x in range(body[0] + 12, body[2] - 8, 26):
                cv2.circle(img, (x + (k % 2) * 9, y + 5), 6, stripe, -1)
    for s in (-1, 1):  # arms
        cv2.line(img, (cx + s * 80, int(h * 0.33)), (cx + s * 118, int(h * 0.6)), jacket, 26)
        cv2.circle(img, (cx + s * 120, int(h * 0.62)), 14, skin, -1)
    for y in range(body[1] + 30, body[3] - 10, 40):  # buttons
        cv2.circle(img, (cx, y), 6, _colour(rng), -1)
    head = (cx, int(h * 0.2))
    cv2.circle(img, head, 52, skin, -1)
    for s in (-1, 1):
        cv2.circle(img, (head[0] + s * 20, head[1] - 8), 9, (255, 255, 255), -1)
        cv2.circle(img, (head[0] + s * 20, head[1] - 6), 4, (30, 30, 30), -1)
    cv2.ellipse(img, (head[0], head[1] + 20), (18, 8), 0, 0, 180, (40, 40, 160), 4)
    cv2.rectangle(img, (cx - 62, head[1] - 70), (cx + 62, head[1] - 42), hat, -1)
    cv2.rectangle(img, (cx - 40, head[1] - 110), (cx + 40, head[1] - 60), hat, -1)
    return img


def composite(character: np.ndarray, location: np.ndarray, x_frac: float = 0.55,
              height_frac: float = 0.8) -> np.ndarray:
    """The character (backdrop keyed out) standing in the location."""
    out = location.copy()
    lh, lw = location.shape[:2]
    ch, cw = character.shape[:2]
    s = lh * height_frac / ch
    char = cv2.resize(character, (int(cw * s), int(ch * s)), interpolation=cv2.INTER_AREA)
    mask = np.abs(char.astype(np.int16) - np.array(BACKDROP)).sum(axis=2) > 30
    hh, ww = char.shape[:2]
    x0 = int(lw * x_frac - ww / 2)
    y0 = lh - hh - int(lh * 0.03)
    region = out[y0: y0 + hh, x0: x0 + ww]
    region[mask] = char[mask]
    return out


def save_png(img: np.ndarray, path: Path) -> Path:
    Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(path)
    return path


# --------------------------------------------------------------------------- clips


def read_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def write_frames(frames: list[np.ndarray], path: Path, fps: float = FPS, *,
                 pts: list[int] | None = None, crf: int = 20, bitrate: int | None = None) -> Path:
    """Encode BGR frames as H.264 (``pts`` in frame units for irregular timing)."""
    rate = Fraction(fps).limit_denominator(1001)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as out:
        options = {"preset": "superfast", "x264-params": "scenecut=0"}
        if bitrate is None:
            options["crf"] = str(crf)
        vs = out.add_stream("libx264", rate=rate, options=options)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if bitrate is not None:
            vs.bit_rate = bitrate
        vs.codec_context.thread_count = 2
        vs.time_base = 1 / rate
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = pts[i] if pts is not None else i
            frame.time_base = 1 / rate
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return path


def animatic(request: GenerationRequest, dest: Path, seed: int,
             size: tuple[int, int] = SIZE) -> Path:
    render_animatic(request, dest, seed=seed, size=size,
                    n_frames=int(round(request.duration * FPS)))
    return dest


def ffmpeg_footage(dest: Path, seconds: float, size: tuple[int, int] = SIZE) -> Path | None:
    """FFmpeg's own moving test footage (``testsrc2``); None without an ffmpeg binary."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        return None
    w, h = size
    subprocess.run([exe, "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={w}x{h}:rate={FPS}:duration={seconds}", "-c:v", "libx264",
                    "-preset", "superfast", "-crf", "20", "-pix_fmt", "yuv420p", str(dest)],
                   check=True, timeout=60)
    return dest


def build_set(folder: Path, seed: int,
              durations: tuple[float, ...] = (4.0, 5.0, 6.0)) -> list[Sample]:
    """Write one labelled set into ``folder``; other seeds make a different set."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    loc_a, loc_b = location_image(seed), location_image(seed + 50)
    char_a, char_b = character_image(seed), character_image(seed + 50)
    x = float(rng.uniform(0.4, 0.6))
    f = folder
    paths = {
        "char": save_png(char_a, f / "character.png"),
        "loc": save_png(loc_a, f / "location.png"),
        "shot": save_png(composite(char_a, loc_a, x), f / "shot.png"),
        "shot_end": save_png(composite(char_a, loc_a, x + 0.12 * (1 if x < 0.5 else -1)),
                             f / "shot_end.png"),
        "other_char": save_png(composite(char_b, loc_a, x), f / "other_character.png"),
        "other_loc": save_png(composite(char_a, loc_b, x), f / "other_location.png"),
    }
    motions = ["pan", "zoom", "dolly"]
    duration = float(rng.choice(list(durations)))
    motion = motions[seed % 3]
    base = VerifyParams(expected_duration=duration, aspect="16:9", min_short_side=SIZE[1],
                        character_refs=[paths["char"]], location_ref=paths["loc"],
                        first_frame=paths["shot"])
    i2v = GenerationRequest("image-to-video", "a traveller on a street", image=paths["shot"],
                            duration=duration, motion=motion)
    good = animatic(i2v, f / "good_i2v.mp4", seed)
    samples = [Sample("good image-to-video", good, base)]

    flf = GenerationRequest("first-last-frame", "the traveller walks", first_frame=paths["shot"],
                            last_frame=paths["shot_end"], duration=duration)
    samples.append(Sample("good first-last-frame", animatic(flf, f / "good_flf.mp4", seed),
                          replace(base, last_frame=paths["shot_end"])))
    t2v = GenerationRequest("text-to-video", f"Scene {seed}: the traveller arrives at dusk",
                            duration=duration)
    samples.append(Sample("good text-to-video", animatic(t2v, f / "good_t2v.mp4", seed),
                          VerifyParams(expected_duration=duration, aspect="16:9",
                                       min_short_side=SIZE[1])))
    footage = ffmpeg_footage(f / "good_ffmpeg.mp4", duration)
    if footage is not None:
        samples.append(Sample("good ffmpeg footage", footage,
                              VerifyParams(expected_duration=duration, aspect="16:9",
                                           min_short_side=SIZE[1])))

    frames = read_frames(good)
    n = len(frames)

    def degraded(name: str, images: list[np.ndarray], defects: set[str], *,
                 params: VerifyParams | None = None, **kw: object) -> None:
        path = write_frames(images, f / f"{name.replace(' ', '_')}.mp4", **kw)  # type: ignore[arg-type]
        samples.append(Sample(name, path, params or base, frozenset(defects)))

    sigma = float(rng.uniform(3.0, 4.5))
    degraded("blurred", [cv2.GaussianBlur(im, (0, 0), sigma) for im in frames],
             {"visual-clarity"})
    a = int(n * rng.uniform(0.25, 0.45))
    b = a + int(FPS * rng.uniform(1.0, 1.8))
    degraded("frozen", [frames[a] if a <= i <= b else frames[i] for i in range(n)],
             {"motion-quality"})
    gains = 1.0 + rng.choice([-1, 1], n) * rng.uniform(0.06, 0.12, n)
    degraded("flickering", [np.clip(im * g, 0, 255).astype(np.uint8)
                            for im, g in zip(frames, gains, strict=True)], {"motion-quality"})
    amp = SIZE[0] * float(rng.uniform(0.012, 0.02))
    jittered = []
    for im in frames:
        dx, dy = rng.uniform(-amp, amp, 2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        jittered.append(cv2.warpAffine(im, m, SIZE, borderMode=cv2.BORDER_REFLECT))
    degraded("jittered", jittered, {"motion-quality"})
    samples.append(Sample("wrong subject", animatic(replace(i2v, image=paths["other_char"]),
                                                    f / "wrong_subject.mp4", seed),
                          replace(base, first_frame=None),
                          frozenset({"character-consistency"})))
    shift = int(rng.integers(60, 120))
    hue = []
    for im in frames:
        hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift // 2) % 180
        hue.append(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR))
    degraded("wrong palette", hue, {"character-consistency", "location-consistency"},
             params=replace(base, first_frame=None))
    other = read_frames(animatic(replace(i2v, image=paths["other_loc"]), f / "other_loc.mp4",
                                 seed + 1))
    c = int(n * rng.uniform(0.4, 0.6))
    degraded("cut inside", frames[:c] + other[c:], {"motion-quality"},
             params=replace(base, location_ref=None))
    short = int(n * rng.uniform(0.45, 0.65))
    degraded("wrong length", frames[:short], {"duration"})
    pingpong = frames + frames[::-1]
    degraded("too long", [pingpong[i % len(pingpong)] for i in range(int(FPS * 8.2))],
             {"duration"},
             params=replace(base, expected_duration=None))
    small = (SIZE[0] // 2, SIZE[1] // 2)
    degraded("low resolution", [cv2.resize(im, small, interpolation=cv2.INTER_AREA)
                                for im in frames], {"resolution"})
    square = (SIZE[1], SIZE[1])
    degraded("wrong aspect", [cv2.resize(im, square, interpolation=cv2.INTER_AREA)
                              for im in frames], {"resolution"})
    degraded("wrong fps", frames[::2], {"fps"}, fps=FPS / 2)
    keep = [i for i in range(n) if not (i % 6 == 3 and n * 0.2 < i < n * 0.8)]
    degraded("dropped frames", [frames[i] for i in keep], {"fps"}, pts=keep)
    samples.append(Sample("first frame not the supplied image", animatic(
        replace(i2v, image=paths["other_loc"]), f / "wrong_start.mp4", seed),
        replace(base, character_refs=[], location_ref=None),
        frozenset({"start-end-frames"})))
    return samples
