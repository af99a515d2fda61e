"""Character and location consistency against reference pictures, over frames sampled
across the clip, and whether the clip starts (and ends) on the frames it was given.

An optional embedding scorer (a model file the user configured; never downloaded) can add
a learned similarity: see :class:`EmbeddingScorer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..errors import AladdinError, ErrorKind
from .decode import ClipFrames
from .result import Finding, QualityCheck, grade_up
from .similarity import (
    Reference,
    Similarity,
    _intersection,
    _lab_hist,
    _orb,
    compare,
    face_regions,
    reference_from,
    ssim,
)

__all__ = ["DnnEmbeddingScorer", "EmbeddingScorer", "ReferenceError", "check_consistency",
           "check_start_end", "load_image"]

# Per-frame similarity (see similarity.compare): "ok", the pass mark, and "clearly wrong".
CONSISTENCY_LIMITS = {"character-consistency": (0.65, 0.54, 0.3),
                      "location-consistency": (0.75, 0.6, 0.3)}
START_END_LIMITS = (0.6, 0.4, 0.1)
EMBEDDING_WEIGHT = 0.5


class ReferenceError(AladdinError):
    """A reference image is missing or unreadable."""

    kind = ErrorKind.INVALID_INPUT
    retryable = False


class EmbeddingScorer(Protocol):
    """A learned similarity (0–1) between a reference and each frame (BGR arrays)."""

    def similarity(self, reference: np.ndarray, frames: Sequence[np.ndarray]) -> list[float]:
        ...


class DnnEmbeddingScorer:
    """An image-embedding network read by OpenCV's DNN module (ONNX, Caffe, TF…) from a
    file the user configured (setting ``quality_embedding_model``); cosine similarity of
    the pooled outputs, mapped to 0–1. Nothing is ever downloaded."""

    def __init__(self, model_path: str | Path, size: int = 224) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise ReferenceError(f"The embedding model {path} does not exist.")
        try:
            self.net = cv2.dnn.readNet(str(path))
        except cv2.error as exc:
            raise ReferenceError(f"OpenCV cannot read the embedding model {path.name}: "
                                 f"{str(exc).splitlines()[-1]}") from exc
        self.size = size

    def _embed(self, bgr: np.ndarray) -> np.ndarray:
        blob = cv2.dnn.blobFromImage(bgr, 1 / 255.0, (self.size, self.size),
                                     (0.485 * 255, 0.456 * 255, 0.406 * 255), swapRB=True)
        self.net.setInput(blob)
        out = np.asarray(self.net.forward(), dtype=np.float64).reshape(-1)
        norm = np.linalg.norm(out)
        return out / norm if norm > 0 else out

    def similarity(self, reference: np.ndarray, frames: Sequence[np.ndarray]) -> list[float]:
        ref = self._embed(reference)
        return [float((1 + np.dot(ref, self._embed(f))) / 2) for f in frames]


def load_image(path: str | Path, label: str) -> np.ndarray:
    """A reference image as BGR, or :class:`ReferenceError` naming ``label``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise ReferenceError(f"The {label} {p} does not exist.")
    try:
        with Image.open(p) as img:
            rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise ReferenceError(f"The {label} {p.name} is not a readable image.") from exc
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


@dataclass
class _FrameFeatures:
    gray: list[np.ndarray]
    features: list[tuple]
    caches: list[dict]


def frame_features(clip: ClipFrames) -> _FrameFeatures:
    """ORB features of the sampled frames, computed once for every reference."""
    grays = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in clip.samples]
    return _FrameFeatures(grays, [_orb().detectAndCompute(g, None) for g in grays],
                          [{} for _ in grays])


def _face_colour(ref: Reference, frame: np.ndarray, gray: np.ndarray) -> float | None:
    """Colour agreement of the largest face in the reference and in the frame (when the
    Haar cascade is available and finds one in both)."""
    ref_faces = face_regions(ref.gray)
    faces = face_regions(gray)
    if not ref_faces or not faces:
        return None
    def crop(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        return img[y: y + h, x: x + w]

    rf = crop(ref.bgr, max(ref_faces, key=lambda b: b[2] * b[3]))
    ff = crop(frame, max(faces, key=lambda b: b[2] * b[3]))
    return _intersection(_lab_hist(rf, None), _lab_hist(ff, None))


def check_consistency(kind: str, clip: ClipFrames, references: Sequence[tuple[str, np.ndarray]],
                      features: _FrameFeatures | None = None,
                      embedder: EmbeddingScorer | None = None) -> QualityCheck:
    """``kind`` is "character-consistency" (references are subjects, a plain backdrop is
    masked out) or "location-consistency". With several references each frame takes the
    best one. The score is the mean of the worst third of the sampled frames."""
    subject = kind == "character-consistency"
    refs = [reference_from(img, name, subject=subject) for name, img in references]
    feats = features or frame_features(clip)
    per_frame: list[float] = []
    parts: list[Similarity] = []
    faces_used = 0
    for frame, gray, ft, cache in zip(clip.samples, feats.gray, feats.features, feats.caches,
                                      strict=True):
        best: Similarity | None = None
        for ref in refs:
            sim = compare(ref, frame, gray, ft, cache)
            if subject:
                face = _face_colour(ref, frame, gray)
                if face is not None:
                    faces_used += 1
                    sim.colour = 0.7 * sim.colour + 0.3 * face
                    sim.score = float(np.sqrt(max(sim.structure, 0) * max(sim.colour, 0)))
            if best is None or sim.score > best.score:
                best = sim
        assert best is not None
        parts.append(best)
        per_frame.append(best.score)
    learned = None
    if embedder is not None and refs:
        learned = embedder.similarity(refs[0].bgr, clip.samples)
        per_frame = [(1 - EMBEDDING_WEIGHT) * p + EMBEDDING_WEIGHT * e
                     for p, e in zip(per_frame, learned, strict=True)]
    ok, limit, worst = CONSISTENCY_LIMITS[kind]
    arr = np.asarray(per_frame)
    k = max(1, len(arr) // 3)
    raw = float(np.sort(arr)[:k].mean())
    score = grade_up(raw, ok, limit, worst)
    times = clip.sample_times
    what = "character" if subject else "location"
    names = ", ".join(r.name for r in refs)
    findings: list[Finding] = []
    if score < 0.7:
        bad = [i for i, p in enumerate(per_frame) if p < limit]
        colour = float(np.mean([parts[i].colour for i in bad])) if bad else 1.0
        structure = float(np.mean([parts[i].structure for i in bad])) if bad else 1.0
        start = times[bad[0]] if bad else None
        if bad and bad[0] > 0:
            aspect = "colours" if colour < structure else "appearance"
            issue = f"the {what}'s {aspect} drift from the reference after {start:.1f} s"
        elif colour < 0.5 <= structure:
            issue = f"the {what}'s colours (palette) differ from the reference"
        else:
            issue = (f"the {what} does not match the reference" if subject else
                     "the place does not match the location reference")
        suggestion = (f"add the {what} reference to the request or use composite-to-video "
                      "from a picture that shows it" if subject else
                      "add the location reference to the request or start from an image "
                      "of the place (image-to-video)")
        hint = (f"the {what} looks exactly like the reference image, same colours and "
                "clothing, throughout" if subject else
                "the same place as the location reference, same colours and lighting")
        findings.append(Finding(issue, suggestion, start if bad and bad[0] > 0 else None,
                                prompt_hint=hint))
    details = f"{what} similarity {raw:.2f} (worst third of {len(arr)} frames)"
    metrics = {"similarity": raw, "per_frame": per_frame, "times": times,
               "inliers": [p.inliers for p in parts], "colour": [p.colour for p in parts],
               "structure": [p.structure for p in parts], "references": names,
               "faces_compared": faces_used}
    if learned is not None:
        metrics["embedding"] = learned
    return QualityCheck(kind, score, details, findings=findings, metrics=metrics)


def frame_match(image: np.ndarray, frame: np.ndarray) -> float:
    """Structural similarity of a supplied picture and a frame: directly (the picture
    scaled to cover the frame) or after aligning them by features (a generator may start
    slightly zoomed or panned), whichever is higher."""
    h, w = frame.shape[:2]
    ih, iw = image.shape[:2]
    s = max(w / iw, h / ih)
    scaled = cv2.resize(image, (max(w, round(iw * s)), max(h, round(ih * s))),
                        interpolation=cv2.INTER_AREA)
    y0, x0 = (scaled.shape[0] - h) // 2, (scaled.shape[1] - w) // 2
    covered = scaled[y0: y0 + h, x0: x0 + w]
    small = (320, max(2, round(320 * h / w)))
    a = cv2.cvtColor(cv2.resize(covered, small, interpolation=cv2.INTER_AREA),
                     cv2.COLOR_BGR2GRAY)
    b = cv2.cvtColor(cv2.resize(frame, small, interpolation=cv2.INTER_AREA),
                     cv2.COLOR_BGR2GRAY)
    direct = ssim(a, b)
    aligned = compare(reference_from(covered, "frame", subject=False, side=min(w, 480)),
                      frame).ssim
    colour = _intersection(_lab_hist(covered, None), _lab_hist(frame, None))
    return float(max(direct, aligned or 0.0) * colour)


def check_start_end(clip: ClipFrames, first: np.ndarray | None,
                    last: np.ndarray | None) -> QualityCheck:
    """The first sampled frame shows ``first`` and the last shows ``last`` (a supplied
    image or first/last frame), allowing the slight camera move a generator starts with."""
    findings: list[Finding] = []
    scores: list[float] = []
    metrics: dict[str, object] = {}
    for label, image, index, t in (("first", first, 0, 0.0),
                                   ("last", last, -1, clip.duration)):
        if image is None:
            continue
        value = frame_match(image, clip.samples[index])
        ok, limit, worst = START_END_LIMITS
        s = grade_up(value, ok, limit, worst)
        metrics[f"{label}_similarity"] = value
        scores.append(s)
        if s < 0.7:
            word = "start" if label == "first" else "end"
            findings.append(Finding(
                f"the clip does not {word} on the supplied {label} frame",
                f"regenerate with {'image-to-video' if label == 'first' else 'first-last-frame'}"
                f" from that image, or trim to where it matches", t,
                prompt_hint=f"the shot {word}s exactly on the supplied image"))
    score = min(scores) if scores else 1.0
    details = ", ".join(f"{k.split('_')[0]} frame similarity {v:.2f}"
                        for k, v in metrics.items() if k.endswith("similarity"))
    return QualityCheck("start-end-frames", score, details or "no frames supplied",
                        findings=findings, metrics=metrics)
