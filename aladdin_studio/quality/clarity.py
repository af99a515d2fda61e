"""Visual clarity of the sampled frames: sharpness (a no-reference blur measure, plus the
variance of the Laplacian relative to the reference picture when there is one), exposure
(clipped highlights, crushed shadows) and compression blocks / banding."""

from __future__ import annotations

import cv2
import numpy as np

from .decode import ClipFrames
from .result import Finding, QualityCheck, grade, grade_up

__all__ = ["blockiness", "blur_index", "check_clarity", "laplacian_variance"]

BLUR_LIMIT = 0.5  # re-blur index (0 sharp .. 1 flat) above which the picture is soft
SHARPNESS_RATIO_LIMIT = 0.2  # Laplacian variance vs the reference's, same scale
CLIPPED_LIMIT = 0.25  # fraction of the picture at the white point
CRUSHED_LIMIT = 0.45  # fraction at the black point
BLOCK_LIMIT = 1.35  # edge energy on the 8-pixel grid vs off it
BANDING_LIMIT = 0.8


def blur_index(gray: np.ndarray) -> float:
    """Crété-Roffet re-blur measure: how little the picture's variation drops when it is
    blurred again (0: sharp, 1: already smooth). Mostly independent of content."""
    f = gray.astype(np.float32)
    out = 0.0
    for axis, kernel in ((0, (9, 1)), (1, (1, 9))):  # blur along the difference axis
        b = cv2.blur(f, kernel)
        df = np.abs(np.diff(f, axis=1 - axis))
        db = np.abs(np.diff(b, axis=1 - axis))
        sf = float(df.sum())
        if sf <= 1e-6:
            return 1.0
        v = float(np.maximum(0, df - db).sum())
        out = max(out, (sf - v) / sf)
    return out


def laplacian_variance(gray: np.ndarray) -> float:
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def blockiness(luma: np.ndarray) -> float:
    """Mean horizontal+vertical step across 8-pixel block edges over the mean step
    elsewhere (1: no grid; H.264 starved of bits shows 1.5 and more)."""
    y = luma.astype(np.float32)
    ratios = []
    for axis in (1, 0):
        d = np.abs(np.diff(y, axis=axis))
        d = d if axis == 1 else d.T
        cols = d.shape[1]
        idx = np.arange(cols)
        on = d[:, (idx % 8) == 7].mean()
        off = d[:, (idx % 8) != 7].mean()
        ratios.append(float(on / max(off, 1e-3)))
    return float(np.mean(ratios))


def banding(gray: np.ndarray) -> float:
    """Share of smooth areas (gentle gradients) that step in visible flat bands: false
    contours where the level jumps by ≥ 3 between long flat runs."""
    g = cv2.GaussianBlur(gray, (3, 3), 0).astype(np.int16)
    d = np.abs(np.diff(g, axis=1))
    smooth = cv2.blur((d <= 3).astype(np.float32), (15, 1)) > 0.97
    steps = (d >= 3) & cv2.dilate(smooth.astype(np.uint8), np.ones((1, 15), np.uint8)).astype(bool)
    area = smooth.sum()
    if area < 0.05 * smooth.size:
        return 0.0
    return float(steps.sum() / max(1.0, area / 15))


def check_clarity(clip: ClipFrames, reference: np.ndarray | None = None) -> QualityCheck:
    grays = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in clip.samples]
    findings: list[Finding] = []
    scores: dict[str, float] = {}
    blur = float(np.median([blur_index(g) for g in grays]))
    lap = float(np.median([laplacian_variance(g) for g in grays]))
    metrics: dict[str, object] = {"blur_index": blur, "laplacian_variance": lap}
    scores["sharpness"] = grade(blur, BLUR_LIMIT - 0.08, BLUR_LIMIT, 0.8)
    if reference is not None:
        h, w = grays[0].shape
        ref = cv2.resize(reference, (w, h), interpolation=cv2.INTER_AREA)
        ref_lap = laplacian_variance(cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY))
        ratio = lap / max(ref_lap, 1e-3)
        metrics.update(reference_laplacian=ref_lap, sharpness_ratio=ratio)
        scores["sharpness"] = min(scores["sharpness"],
                                  grade_up(ratio, 2 * SHARPNESS_RATIO_LIMIT,
                                           SHARPNESS_RATIO_LIMIT, 0.02))
    if scores["sharpness"] < 0.7:
        findings.append(Finding("the picture is soft (out of focus)",
                                "regenerate at a higher quality tier and add 'sharp focus, "
                                "fine detail' to the prompt (or apply Sharpen in the "
                                "Inspector)", prompt_hint="sharp focus, fine detail"))
    luma = np.stack(grays)
    clipped = float((luma >= 250).mean())
    crushed = float((luma <= 4).mean())
    metrics.update(clipped=clipped, crushed=crushed)
    scores["exposure"] = min(grade(clipped, CLIPPED_LIMIT / 2, CLIPPED_LIMIT, 0.8),
                             grade(crushed, CRUSHED_LIMIT / 2, CRUSHED_LIMIT, 0.95))
    if scores["exposure"] < 0.7:
        what = (f"{clipped * 100:.0f}% of the picture is blown-out white" if clipped > crushed
                else f"{crushed * 100:.0f}% of the picture is crushed to black")
        findings.append(Finding(what, "regenerate asking for balanced exposure and softer "
                                "lighting (or lower the exposure in the Inspector's grade)",
                                prompt_hint="balanced exposure, soft natural light"))
    # block edges count only in a stream short of bits: sharp synthetic content often has
    # edges on the 8-pixel grid by design
    bpp = clip.bitrate / max(1.0, clip.width * clip.height * max(clip.fps, 1.0))
    block = float(np.median([blockiness(y) for y in clip.native_luma])) if bpp < 0.02 else 1.0
    band = float(np.median([banding(g) for g in grays]))
    metrics.update(blockiness=block, banding=band, bits_per_pixel=bpp)
    scores["compression"] = min(grade(block, 1.15, BLOCK_LIMIT, 2.5),
                                grade(band, BANDING_LIMIT / 2, BANDING_LIMIT, 2.0))
    if scores["compression"] < 0.7:
        what = "compression blocks are visible" if block > BLOCK_LIMIT else \
            "smooth areas show banding"
        findings.append(Finding(what, "regenerate at a higher quality tier, or use the "
                                "provider's original file"))
    metrics["scores"] = scores
    score = min(scores.values())
    details = f"blur index {blur:.2f}, {clipped * 100:.0f}% clipped, blockiness {block:.2f}"
    return QualityCheck("visual-clarity", score, details, findings=findings, metrics=metrics)
