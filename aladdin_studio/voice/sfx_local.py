"""The offline sound-effect set: a few procedural sounds (whoosh, impact, riser, room tone,
wind, rain, beep, footsteps), picked from the prompt's words. Deterministic for a prompt and
seed."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["KINDS", "pick_kind", "render"]

KINDS: dict[str, tuple[str, ...]] = {
    "whoosh": ("whoosh", "swoosh", "swish", "swipe", "fly", "pass", "swing", "wind-by"),
    "impact": ("impact", "hit", "punch", "slam", "door", "crash", "thud", "bang", "knock",
               "explosion", "boom"),
    "riser": ("riser", "rise", "rising", "build", "tension", "sweep", "swell"),
    "wind": ("wind", "storm", "gust", "breeze"),
    "rain": ("rain", "drizzle", "shower", "downpour"),
    "beep": ("beep", "alarm", "ping", "notification", "chime", "bell"),
    "footsteps": ("footstep", "footsteps", "steps", "walking", "walk", "running"),
    "room tone": ("room", "tone", "ambience", "ambient", "hum", "silence", "background"),
}


def pick_kind(prompt: str) -> str:
    """The first kind whose keywords the prompt names (default: room tone)."""
    words = set(prompt.lower().replace(",", " ").replace(".", " ").split())
    for kind, keys in KINDS.items():
        if any(k in words or any(w.startswith(k) for w in words) for k in keys):
            return kind
    return "room tone"


def _rng(prompt: str, seed: int | None) -> np.random.Generator:
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Box moving average, the same values as ``np.convolve(x, box, "same")`` but O(n) via a
    running sum (a wide window made "room tone" take ~20 s for 3 s of sound)."""
    width = max(1, int(width))
    n = len(x)
    padded = np.concatenate([np.zeros(width, np.float64), x.astype(np.float64),
                             np.zeros(width - 1, np.float64)])
    sums = np.cumsum(padded)
    full = (sums[width:] - sums[:-width]) / width  # full convolution, length n + width - 1
    if n >= width:
        start = (width - 1) // 2
        out = full[start:start + n]
    else:  # "same" centres on the longer input and returns max(n, width) samples
        start = (n - 1) // 2
        out = full[start:start + width]
    return out.astype(np.float32)


def render(kind: str, duration: float, rate: int, *, prompt: str = "", seed: int | None = None,
           loop: bool = False) -> np.ndarray:
    """Mono float32 samples of one ``kind`` lasting ``duration`` s (fades out to silence
    unless ``loop``, whose ends meet)."""
    n = max(1, int(round(duration * rate)))
    t = np.arange(n, dtype=np.float32) / rate
    rng = _rng(prompt or kind, seed)
    white = rng.standard_normal(n).astype(np.float32)
    x = np.linspace(0.0, 1.0, n, dtype=np.float32)
    if kind == "whoosh":
        env = np.sin(np.pi * x) ** 2
        out = (_smooth(white, 6) * 0.6 + _smooth(white, 40) * 1.2) * env
    elif kind == "impact":
        env = np.exp(-t * 9.0)
        thump = np.sin(2 * np.pi * (55 + 40 * np.exp(-t * 20)) * t) * np.exp(-t * 6.0)
        out = 0.9 * thump + 0.4 * _smooth(white, 3) * env
    elif kind == "riser":
        f = 200 + 1400 * x ** 2
        phase = 2 * np.pi * np.cumsum(f) / rate
        out = (0.35 * np.sin(phase) + 0.25 * _smooth(white, 4)) * x ** 1.5
    elif kind == "wind":
        gust = _smooth(rng.standard_normal(n).astype(np.float32), rate // 3)
        gust = 0.5 + 0.5 * gust / (np.abs(gust).max() + 1e-6)
        out = _smooth(white, 30) * 2.0 * gust
    elif kind == "rain":
        drops = (rng.random(n) > 0.9985).astype(np.float32) * rng.random(n).astype(np.float32)
        out = 0.25 * _smooth(white, 2) + 0.8 * _smooth(drops, 12) * 12
    elif kind == "beep":
        gate = ((t % 0.5) < 0.18).astype(np.float32)
        out = 0.4 * np.sin(2 * np.pi * 880 * t) * gate
    elif kind == "footsteps":
        step = (t % 0.55)
        out = np.sin(2 * np.pi * 90 * t) * np.exp(-step * 30) * 0.7 + \
            _smooth(white, 5) * np.exp(-step * 40) * 0.3
    else:  # room tone
        brown = np.cumsum(white) / np.sqrt(n)
        brown -= _smooth(brown, rate // 4)
        out = 0.08 * brown + 0.01 * np.sin(2 * np.pi * 60 * t)
    out = out.astype(np.float32)
    peak = float(np.abs(out).max()) or 1.0
    out *= 0.7 / peak
    fade = min(n // 4, int(0.02 * rate)) if loop else min(n // 2, int(0.08 * rate))
    if fade > 0:
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out
