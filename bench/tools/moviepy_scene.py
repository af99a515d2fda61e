"""The sample edit rendered with MoviePy 2.x; a helper run by ``bench/render_scene.py``.

Usage: ``python moviepy_scene.py SPEC.json`` with the JSON written by ``render_scene.py``
(clips and transitions in timeline frames, audio clips in samples, the output path and the
encoder settings). It runs under an interpreter that has MoviePy (``bench/.venv-moviepy``
by default) and imports nothing from Aladdin Studio.

How each part of the plan is expressed, and what is only an approximation:

* clips: ``VideoFileClip(...).subclipped(...)`` / ``ImageClip(duration=...)`` placed with
  ``with_start`` in one ``CompositeVideoClip`` (later clips on top);
* fade (through black): ``FadeOut`` on the outgoing clip up to the cut and ``FadeIn`` on the
  incoming one from the cut (linear, not eased);
* dissolve: ``CrossFadeIn`` on the incoming clip (linear, not eased);
* wipe: no wipe effect exists; the incoming clip gets a mask clip with a hard edge moving
  across (linear, not eased);
* slide: ``SlideIn`` on the incoming clip plus ``SlideOut`` on the outgoing one (a push;
  linear, not eased);
* warm grade: a per-frame RGB table (red up, blue down), roughly what the engine's YUV
  grade does;
* audio: one ``AudioFileClip`` per plan audio clip (a video clip's own sound included) with
  ``MultiplyVolume``, ``AudioFadeIn``/``AudioFadeOut`` (linear, not equal-power) and
  ``with_start``, mixed by ``CompositeAudioClip``. MoviePy has no ducking and no loudness
  normalisation, so neither is done.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from moviepy import (
    AudioFileClip,
    CompositeAudioClip,
    CompositeVideoClip,
    ImageClip,
    VideoClip,
    VideoFileClip,
    afx,
    vfx,
)

# Where a slide's incoming clip comes from: "slide right" pushes to the right, so the new
# clip enters from the left.
_ENTERS_FROM = {"left": "right", "right": "left", "up": "bottom", "down": "top"}
_LEAVES_TO = {"left": "left", "right": "right", "up": "top", "down": "bottom"}

_WARM_R = np.clip(np.arange(256) * 1.04 + 6.0, 0, 255).astype(np.uint8)
_WARM_B = np.clip(np.arange(256) * 0.94 - 2.0, 0, 255).astype(np.uint8)


def warm(frame: np.ndarray) -> np.ndarray:
    """The "warm" grade approximated in RGB: red up, blue down."""
    out = frame.copy()
    out[..., 0] = _WARM_R[frame[..., 0]]
    out[..., 2] = _WARM_B[frame[..., 2]]
    return out


def wipe_mask(direction: str, seconds: float, duration: float,
              size: tuple[int, int]) -> VideoClip:
    """Mask of an incoming clip: a hard edge crossing the frame in ``direction``."""
    w, h = size
    ones = np.ones((h, w), dtype=np.float64)

    def frame(t: float) -> np.ndarray:
        p = t / seconds
        if p >= 1.0:
            return ones
        m = np.zeros((h, w), dtype=np.float64)
        if direction == "left":  # the new clip grows from the right edge
            m[:, int(round((1.0 - p) * w)):] = 1.0
        elif direction == "right":
            m[:, :int(round(p * w))] = 1.0
        elif direction == "up":
            m[int(round((1.0 - p) * h)):, :] = 1.0
        else:
            m[:int(round(p * h)), :] = 1.0
        return m

    return VideoClip(frame_function=frame, is_mask=True, duration=duration)


def video_layers(spec: dict[str, Any]) -> list[Any]:
    fps = float(spec["fps"])
    size = (int(spec["size"][0]), int(spec["size"][1]))
    t_in = {tr["b"]: tr for tr in spec["transitions"]}
    t_out = {tr["a"]: tr for tr in spec["transitions"]}
    layers = []
    for i, c in enumerate(spec["clips"]):
        lo, hi = c["start"], c["end"]
        ti, to = t_in.get(i), t_out.get(i)
        if ti is not None:
            lo = ti["cut"] if ti["kind"] == "fade" else ti["start"]
        if to is not None:
            hi = to["cut"] if to["kind"] == "fade" else to["end"]
        duration = (hi - lo) / fps
        if c["still"]:
            clip = ImageClip(c["path"], duration=duration)
        else:
            source = VideoFileClip(c["path"], audio=False)
            t0 = c["source_start"] + (lo - c["start"]) / fps * c["speed"]
            t1 = min(t0 + duration * c["speed"], source.duration)
            clip = source.subclipped(t0, t1)
            if c["speed"] != 1.0:
                clip = clip.with_effects([vfx.MultiplySpeed(c["speed"])])
            if clip.duration < duration:
                clip = clip.with_duration(duration)  # the reader repeats the last frame
        if tuple(clip.size) != size:
            scale = min(size[0] / clip.size[0], size[1] / clip.size[1])
            clip = clip.resized(scale).with_position("center")
        if c["grade"] == "warm":
            clip = clip.image_transform(warm)
        elif c["grade"] not in (None, "none"):
            raise SystemExit(f"grade {c['grade']!r} is not mapped for MoviePy")
        effects: list[Any] = []
        if ti is not None:
            d = (ti["end"] - ti["start"]) / fps
            if ti["kind"] == "fade":
                effects.append(vfx.FadeIn((ti["end"] - ti["cut"]) / fps))
            elif ti["kind"] == "dissolve":
                effects.append(vfx.CrossFadeIn(d))
            elif ti["kind"] == "wipe":
                clip = clip.with_mask(wipe_mask(ti["direction"], d, duration, size))
            elif ti["kind"] == "slide":
                effects.append(vfx.SlideIn(d, _ENTERS_FROM[ti["direction"]]))
        if to is not None:
            d = (to["end"] - to["start"]) / fps
            if to["kind"] == "fade":
                effects.append(vfx.FadeOut((to["cut"] - to["start"]) / fps))
            elif to["kind"] == "slide":
                effects.append(vfx.SlideOut(d, _LEAVES_TO[to["direction"]]))
            # dissolve / wipe: the incoming clip on top covers this one.
        if effects:
            clip = clip.with_effects(effects)
        layers.append(clip.with_start(lo / fps))
    return layers


def audio_layers(spec: dict[str, Any]) -> list[Any]:
    rate = int(spec["sample_rate"])
    layers = []
    for a in spec["audio"]:
        clip = AudioFileClip(a["path"], fps=rate)
        t0 = a["source_start"]
        t1 = min(t0 + a["length"] / rate * a["speed"], clip.duration)
        clip = clip.subclipped(t0, t1)
        effects: list[Any] = []
        if a["volume"] != 1.0:
            effects.append(afx.MultiplyVolume(a["volume"]))
        if a["fade_in"] > 0:
            effects.append(afx.AudioFadeIn(a["fade_in"]))
        if a["fade_out"] > 0:
            effects.append(afx.AudioFadeOut(a["fade_out"]))
        if effects:
            clip = clip.with_effects(effects)
        layers.append(clip.with_start(a["start"] / rate))
    return layers


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    spec = json.loads(Path(argv[1]).read_text())
    fps = float(spec["fps"])
    duration = spec["frames"] / fps
    size = (int(spec["size"][0]), int(spec["size"][1]))
    video = CompositeVideoClip(video_layers(spec), size=size, bg_color=(0, 0, 0))
    audio = CompositeAudioClip(audio_layers(spec)).with_duration(duration)
    final = video.with_duration(duration).with_audio(audio)
    enc = spec["encode"]
    with tempfile.TemporaryDirectory(prefix="moviepy-") as tmp:
        final.write_videofile(
            spec["out"], fps=fps, codec="libx264", preset=enc["preset"],
            ffmpeg_params=["-crf", str(enc["crf"])], threads=enc["threads"],
            audio_codec="aac", audio_fps=int(spec["sample_rate"]),
            audio_bitrate=enc["audio_bitrate"], pixel_format="yuv420p",
            temp_audiofile_path=tmp, logger=None)
    final.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
