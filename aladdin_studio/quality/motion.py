"""Motion quality from the small grey copy of every frame: frozen stretches, flicker,
jitter (high-frequency global motion), sudden cuts/morph jumps inside the shot and warping
(spikes of optical-flow divergence)."""

from __future__ import annotations

import cv2
import numpy as np

from .decode import ClipFrames
from .result import Finding, QualityCheck, grade
from .technical import _runs, frame_differences

__all__ = ["check_motion", "motion_signals"]

FROZEN_DIFF = 0.04  # grey levels (median of 5 steps): the same picture, encoder noise aside
FROZEN_MIN_S = 0.4
FLICKER_LIMIT = 1.6  # grey levels of a frame's mean off its neighbours' median
JITTER_LIMIT = 0.004  # high-frequency camera shake, fraction of the picture width (RMS)
CUT_DIFF = 14.0  # grey levels between two frames of one shot (at 160 px)
CUT_RATIO = 4.0  # times the larger of the neighbouring differences
WARP_RATIO = 6.0  # divergence spike over the clip's median
WARP_MIN = 0.08


def _median_filter(x: np.ndarray, k: int = 5) -> np.ndarray:
    pad = k // 2
    padded = np.pad(x, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, k)
    return np.median(windows, axis=1)


def _moving_average(x: np.ndarray, k: int = 7) -> np.ndarray:
    pad = k // 2
    padded = np.pad(x, pad, mode="reflect") if len(x) > pad else np.pad(x, pad, mode="edge")
    return np.convolve(padded, np.ones(k) / k, mode="valid")


def _shifts(small: np.ndarray) -> np.ndarray:
    """Global translation (dx, dy) of each frame from the previous one (phase correlation,
    at half the small size: a quarter of the FFT work, still well under a pixel)."""
    n = len(small)
    out = np.zeros((n, 2))
    if n < 2:
        return out
    if small.shape[2] >= 128:
        half = np.stack([cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2),
                                    interpolation=cv2.INTER_AREA) for f in small])
        return _shifts(half) * 2.0
    h, w = small.shape[1:]
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)
    prev = small[0].astype(np.float32)
    for i in range(1, n):
        cur = small[i].astype(np.float32)
        (dx, dy), _ = cv2.phaseCorrelate(prev, cur, window)
        out[i] = (dx, dy)
        prev = cur
    return out


def _divergence(small: np.ndarray, step: int = 1) -> np.ndarray:
    """Per frame, the 99th percentile of |div(flow)| from ``step`` frames before (DIS
    flow), shared by the frames of that step."""
    n = len(small)
    out = np.zeros(n)
    if n < 2:
        return out
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    for i in range(step, n, step):
        flow = dis.calc(small[i - step], small[i], None)
        du = np.gradient(flow[..., 0], axis=1)
        dv = np.gradient(flow[..., 1], axis=0)
        out[i - step + 1: i + 1] = float(np.percentile(np.abs(du + dv), 99))
    return out


def motion_signals(clip: ClipFrames) -> dict[str, np.ndarray]:
    """The per-frame signals the motion checks read (also for the bench and tests)."""
    small = clip.small
    return {
        "diff": frame_differences(clip),
        "luma": small.reshape(len(small), -1).mean(axis=1),
        "shift": _shifts(small),
        "divergence": _divergence(small, 2),
    }


def _structural_diff(small: np.ndarray, i: int) -> float:
    """Mean absolute difference of frames ``i-1`` and ``i`` after removing each one's mean
    and contrast (a brightness or gain change scores ~0)."""
    a = small[i - 1].astype(np.float32)
    b = small[i].astype(np.float32)
    a = (a - a.mean()) / max(float(a.std()), 1.0)
    b = (b - b.mean()) / max(float(b.std()), 1.0)
    return float(np.abs(a - b).mean()) * 40.0  # in grey levels of a frame with σ = 40


def _span(clip: ClipFrames, a: int, b: int) -> tuple[float, float]:
    """Seconds of frames ``a..b-1``."""
    return clip.time_of(a), clip.time_of(b - 1) + clip.frame_duration


def check_motion(clip: ClipFrames, *, allow_cuts: bool = False,
                 signals: dict[str, np.ndarray] | None = None) -> QualityCheck:
    sig = signals or motion_signals(clip)
    n = clip.count
    fps = clip.fps or 24.0
    findings: list[Finding] = []
    scores: dict[str, float] = {}
    metrics: dict[str, object] = {}
    d = sig["diff"]

    # frozen: a run of (nearly) identical frames
    # the encoder refreshes a frozen picture now and then (steps of ~0.1 every few frames):
    # the median over 5 steps ignores those, while slow real motion stays above it
    still = _median_filter(d, 5) < FROZEN_DIFF if n >= 5 else d < FROZEN_DIFF
    still[0] = False
    runs = [(a - 1, b) for a, b in _runs(still)]  # include the frame the run repeats
    longest = max((b - a for a, b in runs), default=0) / fps
    metrics["frozen_longest_s"] = longest
    scores["frozen"] = grade(longest, FROZEN_MIN_S / 2, FROZEN_MIN_S, 2.0)
    for a, b in runs:
        if (b - a) / fps >= FROZEN_MIN_S:
            s, e = _span(clip, a, b)
            findings.append(Finding("picture frozen", "regenerate with more motion in the "
                                    "prompt", s, e, prompt_hint="continuous natural motion "
                                    "throughout the shot, nothing stops"))

    # flicker: frame luminance off its neighbours' median (fades and cuts leave none)
    luma = sig["luma"]
    resid = np.abs(luma - _median_filter(luma, 5)) if n >= 5 else np.zeros(n)
    flick = float(np.percentile(resid, 95)) if n else 0.0
    metrics["flicker_p95"] = flick
    scores["flicker"] = grade(flick, FLICKER_LIMIT / 2, FLICKER_LIMIT, 8.0)
    if scores["flicker"] < 0.7:
        bad = np.flatnonzero(resid > FLICKER_LIMIT)
        s, e = _span(clip, int(bad[0]), int(bad[-1]) + 1)
        findings.append(Finding("brightness flickers", "regenerate asking for steady, even "
                                "lighting (or apply Denoise in the Inspector)", s, e,
                                prompt_hint="steady, even lighting without flicker"))

    # cuts / morph jumps: one frame differing far more than its neighbours
    cuts: list[int] = []
    if n >= 4:
        neighbours = np.maximum(np.r_[0.0, d[:-1]], np.r_[d[1:], 0.0])
        jumps = (d > CUT_DIFF) & (d > CUT_RATIO * np.maximum(neighbours, 0.5))
        jumps[0] = False
        # not the end of a freeze (that is the freeze) nor a change of brightness alone
        # (flicker): the picture itself must change
        cuts = [int(i) for i in np.flatnonzero(jumps)
                if not still[i - 1] and _structural_diff(clip.small, i) > CUT_DIFF]
    metrics["cuts"] = len(cuts)
    strength = max((float(d[i]) / CUT_DIFF for i in cuts), default=0.0)
    if cuts and not allow_cuts:
        scores["cuts"] = grade(1.0 + strength, 0.5, 1.0, 4.0)
        for i in cuts:
            t = clip.time_of(i)
            findings.append(Finding("sudden cut inside the shot", f"regenerate, or split the "
                                    f"clip at {t:.1f} s and keep the better part", t,
                                    prompt_hint="one continuous shot without cuts"))
    else:
        scores["cuts"] = 1.0

    # jitter: the camera path minus its smooth trend
    shift = sig["shift"].copy()
    shift[cuts] = 0.0  # a cut is not a shake (and is reported as a cut)
    width = clip.small.shape[2]
    if n >= 8:
        path = np.cumsum(shift, axis=0)
        trend = np.stack([_moving_average(path[:, k], 7) for k in range(2)], axis=1)
        shake = np.linalg.norm(path - trend, axis=1) / width
        jitter = float(np.sqrt(np.mean(shake[3:-3] ** 2))) if n > 8 else 0.0
    else:
        shake = np.zeros(n)
        jitter = 0.0
    metrics["jitter_rms"] = jitter
    scores["jitter"] = grade(jitter, JITTER_LIMIT / 2, JITTER_LIMIT, 0.03)
    if scores["jitter"] < 0.7:
        bad = np.flatnonzero(shake > JITTER_LIMIT)
        s, e = _span(clip, int(bad[0]), int(bad[-1]) + 1) if len(bad) else (None, None)
        findings.append(Finding("the camera shakes (jitter)", "apply Stabilize in the "
                                "Inspector, or regenerate asking for a steady camera", s, e,
                                prompt_hint="steady, smooth camera movement"))

    # warping: flow divergence spiking above the clip's own level
    div = sig["divergence"]
    base = float(np.median(div[1:])) if n > 1 else 0.0
    peak_rel = div / max(base, 0.02)
    spikes = np.flatnonzero((peak_rel > WARP_RATIO) & (div > WARP_MIN))
    near_cut = {j for c in cuts for j in range(c - 2, c + 3)}  # flow pairs span 2 frames
    # nor where a freeze ends (the jump back to the moving picture is the freeze's)
    spikes = np.array([i for i in spikes if i not in near_cut
                       and not still[max(0, i - 2): i + 1].any()], dtype=int)
    worst = float(peak_rel[spikes].max()) if len(spikes) else 0.0
    metrics["warp_peak_ratio"] = float(peak_rel[1:].max()) if n > 1 else 0.0
    scores["warping"] = grade(worst, 0.0, WARP_RATIO, 3 * WARP_RATIO) if len(spikes) else 1.0
    if len(spikes):
        s, e = _span(clip, int(spikes[0]), int(spikes[-1]) + 1)
        findings.append(Finding("the picture warps unnaturally", "regenerate with another "
                                "seed, or trim the warped frames", s, e,
                                prompt_hint="stable shapes and realistic physics"))

    metrics["scores"] = scores
    score = min(scores.values())
    worst_name = min(scores, key=scores.get)
    details = "smooth, natural motion" if score >= 0.7 else \
        f"{worst_name}: " + "; ".join(f.issue + f.when() for f in findings[:3])
    return QualityCheck("motion-quality", score, details, findings=findings, metrics=metrics)
