"""Technical checks: duration, resolution, frame rate and bitrate."""

from __future__ import annotations

import numpy as np

from .decode import ClipFrames
from .result import Finding, QualityCheck, grade, grade_up

__all__ = ["check_bitrate", "check_duration", "check_fps", "check_resolution",
           "short_side_of"]

MAX_SECONDS = 7.0  # the design's maximum clip length
ASPECT_TOLERANCE = 0.03  # relative
MIN_FPS = 20.0
MAX_FPS = 61.0
STARVED_BPP = 0.004  # bits per pixel per frame below which H.264 cannot hold a picture


def check_duration(clip: ClipFrames, expected: float | None,
                   max_seconds: float = MAX_SECONDS) -> QualityCheck:
    """≤ ``max_seconds``, and within max(0.3 s, 8 %) of ``expected``."""
    d = clip.duration
    half = 0.5 * clip.frame_duration
    findings: list[Finding] = []
    over = max(0.0, d - max_seconds - half)
    score = grade(over, 0.0, 0.0, 1.0)
    if over > 0:
        findings.append(Finding(f"clip is {d:.1f} s, over the {max_seconds:g} s limit",
                                f"trim it to {max_seconds:g} s or regenerate at "
                                f"{max_seconds:g} s or less"))
    metrics = {"seconds": d, "max_seconds": max_seconds}
    details = f"{d:.2f} s"
    if expected:
        tol = max(0.3, 0.08 * expected)
        err = abs(d - expected)
        metrics.update(expected=expected, error=err, tolerance=tol)
        s = grade(max(0.0, err - half), tol / 3, tol, 3 * tol)
        score = min(score, s)
        details += f" (asked for {expected:.2f} s)"
        if s < 0.7:
            word = "short" if d < expected else "long"
            findings.append(Finding(
                f"clip is {d:.1f} s but {expected:.1f} s was asked for (too {word})",
                "regenerate with a model that makes clips of that length, or "
                + ("extend it with another clip" if d < expected else "trim it on the timeline"),
                prompt_hint=""))
    return QualityCheck("duration", score, details, findings=findings, metrics=metrics)


def short_side_of(resolution: str) -> int | None:
    """``"720p"`` / ``"1080p"`` / ``"1280x720"`` → the short side in pixels."""
    text = str(resolution).lower().strip()
    if text.endswith("p") and text[:-1].isdigit():
        return int(text[:-1])
    if "x" in text:
        a, _, b = text.partition("x")
        if a.isdigit() and b.isdigit():
            return min(int(a), int(b))
    if text == "4k":
        return 2160
    return None


def _aspect_value(aspect: str) -> float | None:
    a, _, b = str(aspect).partition(":")
    try:
        return float(a) / float(b)
    except (ValueError, ZeroDivisionError):
        return None


def check_resolution(clip: ClipFrames, aspect: str | None,
                     min_short_side: int | None, tier: str = "") -> QualityCheck:
    """The aspect within 3 % of the requested one, and the short side at least the tier's
    (5 % slack: 1080 vs 1072 encoders)."""
    w, h = clip.width, clip.height
    findings: list[Finding] = []
    score = 1.0
    metrics: dict[str, object] = {"width": w, "height": h}
    want = _aspect_value(aspect) if aspect else None
    if want:
        err = abs((w / h) / want - 1.0)
        metrics.update(aspect=aspect, aspect_error=err)
        s = grade(err, ASPECT_TOLERANCE / 2, ASPECT_TOLERANCE, 0.3)
        score = min(score, s)
        if s < 0.7:
            findings.append(Finding(f"picture is {w}×{h}, not {aspect}",
                                    f"regenerate at {aspect} (or set the clip to Fill in "
                                    "the Inspector to crop it)"))
    if min_short_side:
        short = min(w, h)
        ratio = short / min_short_side
        metrics.update(min_short_side=min_short_side, short_side_ratio=ratio)
        s = grade_up(ratio, 1.0, 0.95, 0.5)
        score = min(score, s)
        if s < 0.7:
            what = f"the {tier} tier" if tier else "the request"
            findings.append(Finding(
                f"picture is {w}×{h}, below the {min_short_side}p of {what}",
                "regenerate at the requested quality tier (or a model that renders "
                f"{min_short_side}p)"))
    details = f"{w}×{h}" + (f", asked {aspect}" if aspect else "") + \
        (f" ≥ {min_short_side}p" if min_short_side else "")
    return QualityCheck("resolution", score, details, findings=findings, metrics=metrics)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs (end exclusive) of the True runs of ``mask``."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def frame_differences(clip: ClipFrames) -> np.ndarray:
    """Mean absolute difference of each frame to the previous one (grey levels; [0] = 0)."""
    small = clip.small.astype(np.int16)
    d = np.zeros(clip.count)
    if clip.count > 1:
        d[1:] = np.abs(np.diff(small, axis=0)).mean(axis=(1, 2))
    return d


def check_fps(clip: ClipFrames, expected_fps: float | None = None,
              diffs: np.ndarray | None = None) -> QualityCheck:
    """A usual rate, constant spacing of the timestamps (no dropped frames), no isolated
    repeated frames among moving ones (duplicates), and the expected rate when one is given."""
    fps = clip.fps
    findings: list[Finding] = []
    metrics: dict[str, object] = {"fps": fps}
    score = grade_up(fps, MIN_FPS + 3, MIN_FPS, 8.0) if fps < MAX_FPS else grade(fps, 60, 61, 120)
    if score < 0.7:
        findings.append(Finding(f"the clip runs at {fps:.1f} fps",
                                "regenerate with a model that renders 24–30 fps",
                                prompt_hint="smooth motion"))
    if expected_fps:
        err = abs(fps - expected_fps) / expected_fps
        metrics["expected_fps"] = expected_fps
        s = grade(err, 0.005, 0.01, 0.5)
        if s < 0.7:
            findings.append(Finding(f"the clip runs at {fps:.2f} fps, not {expected_fps:g}",
                                    "conform it in the Inspector (speed) or regenerate"))
        score = min(score, s)
    if clip.count > 2 and fps > 0:
        dt = np.diff(clip.times)
        nominal = 1.0 / fps
        irregular = np.abs(dt - nominal) > 0.25 * nominal
        frac = float(irregular.mean())
        metrics["irregular_intervals"] = frac
        s = grade(frac, 0.0, 0.02, 0.2)
        score = min(score, s)
        if s < 0.7:
            gaps = np.flatnonzero(dt > 1.5 * nominal)
            dropped = int(np.round(dt[gaps] / nominal - 1).sum()) if len(gaps) else 0
            where = clip.time_of(int(gaps[0]) + 1) if len(gaps) else None
            issue = (f"{dropped} frames dropped" if dropped else
                     "the frame timing is uneven (variable frame rate)")
            findings.append(Finding(issue, "regenerate, or re-encode at a constant frame rate",
                                    start=where))
        d = diffs if diffs is not None else frame_differences(clip)
        moving = np.median(d[1:])
        metrics["median_motion"] = float(moving)
        if moving > 0.4:  # duplicates only mean something among moving frames
            dup = d[1:] < min(0.08 * moving, 0.15)
            dup_frac = float(dup.mean())
            runs = [r for r in _runs(dup) if r[1] - r[0] <= 2]
            isolated = sum(b - a for a, b in runs) / max(1, len(dup))
            metrics["duplicate_frames"] = isolated
            s = grade(isolated, 0.01, 0.04, 0.3)
            score = min(score, s)
            if s < 0.7:
                first = clip.time_of(int(runs[0][0]) + 1) if runs else None
                findings.append(Finding(
                    f"{isolated * 100:.0f}% of the frames repeat the one before "
                    f"(duplicated frames, {dup_frac * 100:.0f}% still)",
                    "regenerate; if it came from a slower frame rate, conform it",
                    start=first))
    details = f"{fps:.2f} fps" + ("" if not findings else "; " + findings[0].issue)
    return QualityCheck("fps", score, details, findings=findings, metrics=metrics)


def check_bitrate(clip: ClipFrames, blockiness: float | None = None) -> QualityCheck:
    """Bits per pixel per frame; a starved stream fails only when its picture also shows
    compression blocks (static pictures legitimately need few bits)."""
    px = max(1, clip.width * clip.height) * max(clip.fps, 1.0)
    bpp = clip.bitrate / px
    metrics = {"kbps": clip.bitrate / 1000, "bits_per_pixel": bpp}
    starved = bpp < STARVED_BPP
    blocky = blockiness is not None and blockiness > 1.25
    score = grade_up(bpp, 2 * STARVED_BPP, STARVED_BPP, STARVED_BPP / 4) if blocky else \
        (0.85 if starved else 1.0)
    findings = []
    if score < 0.7:
        findings.append(Finding(f"the video is starved of bits ({clip.bitrate / 1000:.0f} kbit/s "
                                f"for {clip.width}×{clip.height})",
                                "regenerate at a higher quality tier, or download the "
                                "provider's original file"))
    details = f"{clip.bitrate / 1000:.0f} kbit/s, {bpp:.4f} bits/pixel"
    return QualityCheck("bitrate", score, details, findings=findings, metrics=metrics)
