"""How much of a reference picture a frame shows: local features (ORB) verified by a RANSAC
homography, structural similarity on the matched region, and colour distributions in Lab on
that region (or, without a match, how much of the reference's palette the frame contains).

Everything here works on BGR ``uint8`` arrays; no file access.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["Reference", "Similarity", "compare", "face_regions", "load_reference", "ssim"]

REF_SIDE = 320  # the reference is scaled to this long side
AB_BINS = 16
L_BINS = 8
MIN_INLIERS = 8
FULL_INLIERS = 40
STRUCTURE_FLOOR = 0.8  # share of the score that colour alone can earn


@dataclass
class Reference:
    """A reference picture ready for comparisons (features computed once)."""

    name: str
    bgr: np.ndarray
    gray: np.ndarray
    mask: np.ndarray | None  # the subject (character on a plain backdrop), or None: all
    keypoints: tuple
    descriptors: np.ndarray | None
    hist: np.ndarray  # Lab histogram of the masked picture
    coverage: float  # fraction of the picture the mask covers
    flat_hist: np.ndarray | None = None  # subject: quantized Lab histogram (see _quantize)
    box: tuple[int, int] = (0, 0)  # subject: (height, width) of the mask's bounding box
    box_cover: float = 1.0  # subject: share of its bounding box the mask fills


@dataclass
class Similarity:
    score: float  # 0..1
    inliers: int
    structure: float
    colour: float
    ssim: float | None


_LOCAL = threading.local()  # one detector per thread (verifications run concurrently)


def _orb() -> cv2.ORB:
    orb = getattr(_LOCAL, "orb", None)
    if orb is None:
        orb = _LOCAL.orb = cv2.ORB_create(nfeatures=600, scaleFactor=1.2, nlevels=8,
                                          fastThreshold=12)
    return orb


def _lab_hist(bgr: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    h = cv2.calcHist([lab], [0, 1, 2], mask, [L_BINS, AB_BINS, AB_BINS],
                     [0, 256, 0, 256, 0, 256])
    h = cv2.GaussianBlur(h.reshape(L_BINS, -1), (3, 3), 0).reshape(h.shape)  # soft bins
    total = float(h.sum())
    return h / total if total > 0 else h


def _subject_mask(bgr: np.ndarray) -> np.ndarray | None:
    """The subject of a reference shot on a plain backdrop: pixels far (in Lab) from the
    border's median colour. ``None`` when the picture has no plain backdrop."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    border = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3),
                             lab[:, :4].reshape(-1, 3), lab[:, -4:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    spread = float(np.median(np.linalg.norm(border - bg, axis=1)))
    if spread > 12:  # the border is not one colour: a scene, not a subject on a backdrop
        return None
    dist = np.linalg.norm(lab - bg, axis=2)
    mask = (dist > 25).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    cover = float((mask > 0).mean())
    if cover < 0.03 or cover > 0.9:
        return None
    return mask


def load_reference(path: str | Path, *, subject: bool) -> Reference:
    """Read a reference image; with ``subject`` a plain backdrop is masked out."""
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    return reference_from(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), Path(path).name,
                          subject=subject)


def reference_from(bgr: np.ndarray, name: str, *, subject: bool,
                   side: int = REF_SIDE) -> Reference:
    h, w = bgr.shape[:2]
    s = side / max(h, w)
    if s < 1:
        bgr = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    mask = _subject_mask(bgr) if subject else None
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    kp, desc = _orb().detectAndCompute(gray, mask)
    cover = float((mask > 0).mean()) if mask is not None else 1.0
    ref = Reference(name, bgr, gray, mask, tuple(kp), desc, _lab_hist(bgr, mask), cover)
    if mask is not None:
        ys, xs = np.nonzero(mask)
        ref.box = (int(np.ptp(ys)) + 1, int(np.ptp(xs)) + 1)
        ref.box_cover = float((mask > 0).sum()) / (ref.box[0] * ref.box[1])
        ref.flat_hist = _flat_hist(_quantize(bgr), mask)
    return ref


def _quantize(bgr: np.ndarray) -> np.ndarray:
    """Each pixel's Lab histogram bin (L_BINS x AB_BINS x AB_BINS), as one index."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    return ((lab[..., 0] // (256 // L_BINS)).astype(np.int32) * AB_BINS * AB_BINS
            + (lab[..., 1] // (256 // AB_BINS)).astype(np.int32) * AB_BINS
            + lab[..., 2] // (256 // AB_BINS))


def _flat_hist(index: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    values = index[mask > 0] if mask is not None else index.ravel()
    h = np.bincount(values, minlength=L_BINS * AB_BINS * AB_BINS).astype(np.float32)
    h = cv2.GaussianBlur(h.reshape(L_BINS, -1), (3, 3), 0).ravel()  # soft bins
    total = float(h.sum())
    return h / total if total > 0 else h


def _small(frame: np.ndarray, cache: dict | None, width: int = 320) -> np.ndarray:
    """``frame`` at ``width`` (colours need no detail), computed once per frame."""
    if cache is not None and "small" in cache:
        return cache["small"]
    small = frame
    if frame.shape[1] > width:
        small = cv2.resize(frame, (width, round(frame.shape[0] * width / frame.shape[1])),
                           interpolation=cv2.INTER_AREA)
    if cache is not None:
        cache["small"] = small
    return small


def _cached(cache: dict | None, key: str, make) -> np.ndarray:  # noqa: ANN001
    if cache is None:
        return make()
    if key not in cache:
        cache[key] = make()
    return cache[key]


def subject_colour(ref: Reference, frame: np.ndarray, share: float = 0.3,
                   cache: dict | None = None) -> float:
    """How much of the subject's palette the frame's most subject-like window holds: every
    pixel is scored by how common its colour is in the subject, windows of the subject's
    shape at three sizes are slid over that map, and the best one's palette is compared
    with the subject's (each colour needs ``share`` of its expected amount)."""
    assert ref.flat_hist is not None
    index = _cached(cache, "index", lambda: _quantize(_small(frame, cache)))
    likeness = (ref.flat_hist / max(float(ref.flat_hist.max()), 1e-9)).astype(np.float32)
    prob = likeness[index]
    h, w = index.shape
    bh, bw = ref.box
    best = 0.0
    for frac in (0.45, 0.65, 0.9):
        wh = int(h * frac)
        ww = int(wh * bw / bh)
        if ww >= w or ww < 8:
            continue
        means = cv2.boxFilter(prob, -1, (ww, wh), normalize=True)
        y, x = np.unravel_index(int(np.argmax(means)), means.shape)
        y0 = min(max(0, y - wh // 2), h - wh)
        x0 = min(max(0, x - ww // 2), w - ww)
        window = _flat_hist(index[y0: y0 + wh, x0: x0 + ww])
        need = np.maximum(ref.flat_hist * ref.box_cover * share, 1e-9)
        best = max(best, float((ref.flat_hist * np.minimum(1.0, window / need)).sum()))
    return best


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean structural similarity of two grey pictures (Gaussian window, σ = 1.5)."""
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: cv2.GaussianBlur(x, (7, 7), 1.5)  # noqa: E731
    ma, mb = blur(a), blur(b)
    va = blur(a * a) - ma * ma
    vb = blur(b * b) - mb * mb
    cov = blur(a * b) - ma * mb
    m = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    if mask is not None:
        sel = mask > 0
        return float(m[sel].mean()) if sel.any() else 0.0
    return float(m.mean())


def _intersection(h1: np.ndarray, h2: np.ndarray) -> float:
    return float(np.minimum(h1, h2).sum())


def _containment(ref: Reference, frame_hist: np.ndarray) -> float:
    """How much of the reference's palette appears in the frame, allowing the subject to
    fill only part of it (each colour needs ≥ 1/3 of its expected share)."""
    share = max(ref.coverage * 0.3, 0.02)
    ratio = np.minimum(1.0, frame_hist / np.maximum(ref.hist * share, 1e-9))
    return float((ref.hist * ratio).sum())


def compare(ref: Reference, frame: np.ndarray, frame_gray: np.ndarray | None = None,
            frame_features: tuple | None = None, cache: dict | None = None) -> Similarity:
    """How well ``frame`` (BGR) shows ``ref``. ``cache`` (one dict per frame) keeps what
    several references share: the small copy, its histogram and colour bins."""
    gray = frame_gray if frame_gray is not None else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    kp, desc = frame_features if frame_features is not None else \
        _orb().detectAndCompute(gray, None)
    inliers = 0
    homography = None
    if ref.descriptors is not None and desc is not None and len(kp) >= MIN_INLIERS \
            and len(ref.keypoints) >= MIN_INLIERS:
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        pairs = matcher.knnMatch(ref.descriptors, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
        if len(good) >= MIN_INLIERS:
            src = np.float32([ref.keypoints[m.queryIdx].pt for m in good]).reshape(-1, 1, 2)
            dst = np.float32([kp[m.trainIdx].pt for m in good]).reshape(-1, 1, 2)
            h, inl = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
            if h is not None and inl is not None and _plausible(h, ref.gray.shape):
                inliers = int(inl.sum())
                homography = h
    feat = min(1.0, max(0.0, (inliers - MIN_INLIERS / 2) / (FULL_INLIERS - MIN_INLIERS / 2)))
    ssim_value = None
    if homography is not None and inliers >= MIN_INLIERS:
        rh, rw = ref.gray.shape
        inv = np.linalg.inv(homography)
        warped = cv2.warpPerspective(frame, inv, (rw, rh), flags=cv2.INTER_LINEAR)
        valid = cv2.warpPerspective(np.full(gray.shape, 255, np.uint8), inv, (rw, rh),
                                    flags=cv2.INTER_NEAREST)
        region = valid if ref.mask is None else cv2.bitwise_and(valid, ref.mask)
        if (region > 0).mean() > 0.05:
            ssim_value = max(0.0, ssim(ref.gray, cv2.cvtColor(warped, cv2.COLOR_BGR2GRAY),
                                       region))
            ref_hist = _lab_hist(ref.bgr, region)
            colour = _intersection(ref_hist, _lab_hist(warped, region))
            structure = 0.6 * feat + 0.4 * min(1.0, ssim_value / 0.6)
        else:
            colour = 0.0
            structure = feat
    else:
        colour = 0.0
        structure = feat
    # the palette must be there (matched region, or anywhere in the frame: generators
    # rarely keep a pose rigid enough for a homography); matched structure adds to it
    if ref.flat_hist is not None:
        colour = max(colour, subject_colour(ref, frame, cache=cache))
    else:
        hist = _cached(cache, "hist", lambda: _lab_hist(_small(frame, cache), None))
        colour = max(colour, _containment(ref, hist))
    score = float(colour * (STRUCTURE_FLOOR + (1 - STRUCTURE_FLOOR) * structure))
    return Similarity(score, inliers, structure, colour, ssim_value)


def _plausible(h: np.ndarray, shape: tuple[int, int]) -> bool:
    """Reject degenerate homographies (mirrored, collapsed or wildly stretched)."""
    rh, rw = shape
    corners = np.float32([[0, 0], [rw, 0], [rw, rh], [0, rh]]).reshape(-1, 1, 2)
    try:
        out = cv2.perspectiveTransform(corners, h).reshape(-1, 2)
    except cv2.error:
        return False
    area = cv2.contourArea(out.astype(np.float32))
    if not cv2.isContourConvex(out.astype(np.float32)) or area <= 0:
        return False
    scale = np.sqrt(area / float(rw * rh))
    return 0.1 < scale < 10.0


def face_regions(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Frontal faces found by OpenCV's bundled Haar cascade, when the wheel ships it
    (opencv-python-headless 4.12 does not: then nothing is found and faces are skipped)."""
    cascade = _cascade()
    if cascade is None:
        return []
    found = cascade.detectMultiScale(gray, scaleFactor=1.15, minNeighbors=5,
                                     minSize=(24, 24))
    return [tuple(int(v) for v in f) for f in found]


_CASCADE: list[cv2.CascadeClassifier | None] = []


def _cascade() -> cv2.CascadeClassifier | None:
    if not _CASCADE:
        folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".")
        path = folder / "haarcascade_frontalface_default.xml"
        classifier = cv2.CascadeClassifier(str(path)) if path.is_file() else None
        _CASCADE.append(classifier if classifier is not None and not classifier.empty()
                        else None)
    return _CASCADE[0]
