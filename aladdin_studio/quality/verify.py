"""Verify one video: decode it once, run the checks that apply, weigh them.

``verify_video(path, VerifyParams(...))`` is the design doc's ``verifyVideoQuality``;
:func:`params_for_request` derives the parameters from a generation request (expected
duration and size from the model that made it, references, supplied frames).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AladdinError, ErrorKind
from .clarity import check_clarity
from .consistency import (
    DnnEmbeddingScorer,
    EmbeddingScorer,
    ReferenceError,
    check_consistency,
    check_start_end,
    frame_features,
    load_image,
)
from .decode import decode_clip
from .motion import check_motion, motion_signals
from .result import CHECK_TYPES, THRESHOLD, QualityCheck, VideoQualityResult
from .technical import (
    MAX_SECONDS,
    check_bitrate,
    check_duration,
    check_fps,
    check_resolution,
    short_side_of,
)

if TYPE_CHECKING:
    from ..generation.registry import ModelEntry
    from ..generation.request import GenerationRequest

__all__ = ["DEFAULT_WEIGHTS", "ReferenceError", "VerifyParams", "apply_settings",
           "params_for_request", "parse_weights", "verify_video"]

DEFAULT_WEIGHTS: dict[str, float] = {
    "duration": 1.0, "resolution": 1.0, "fps": 0.5, "bitrate": 0.5,
    "character-consistency": 2.0, "location-consistency": 1.5, "start-end-frames": 1.5,
    "motion-quality": 2.0, "visual-clarity": 1.5,
}  # fmt: skip

Progress = Callable[[float, str], None]


@dataclass
class VerifyParams:
    """What the clip should be. Checks without their inputs are skipped (no reference: no
    consistency check; no supplied frame: no start/end check)."""

    expected_duration: float | None = None
    max_duration: float = MAX_SECONDS
    aspect: str | None = None
    min_short_side: int | None = None
    tier: str = ""
    expected_fps: float | None = None
    character_refs: list[Path] = field(default_factory=list)
    location_ref: Path | None = None
    first_frame: Path | None = None
    last_frame: Path | None = None
    allow_cuts: bool = False
    check_types: Sequence[str] | None = None  # None: every check that applies
    weights: Mapping[str, float] | None = None
    threshold: float = THRESHOLD
    embedding_model: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value is None or value == [] or key == "weights":
                continue
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, list):
                value = [str(v) for v in value]
            out[key] = value
        return out


def parse_weights(text: str) -> dict[str, float]:
    """``"motion-quality=3, duration=1"`` → weights over the defaults (ValueError if bad)."""
    weights = dict(DEFAULT_WEIGHTS)
    for part in str(text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in CHECK_TYPES:
            raise ValueError(f"unknown quality check {name!r} (known: {', '.join(CHECK_TYPES)})")
        weight = float(value)
        if not np.isfinite(weight) or weight < 0:
            raise ValueError(f"the weight of {name} must be a number ≥ 0")
        weights[name] = weight
    return weights


def verify_video(path: str | Path, params: VerifyParams | None = None, *,
                 progress: Progress | None = None,
                 embedder: EmbeddingScorer | None = None) -> VideoQualityResult:
    """Score ``path`` against ``params``. Raises UnreadableClipError / ReferenceError."""
    params = params or VerifyParams()
    report = progress or (lambda f, m: None)
    wanted = set(params.check_types or CHECK_TYPES)
    start = time.perf_counter()
    # read the references first: a missing one is the user's to fix before any work
    characters = [(Path(p).name, load_image(p, "character reference"))
                  for p in params.character_refs] if "character-consistency" in wanted else []
    location = ([(Path(params.location_ref).name,
                  load_image(params.location_ref, "location reference"))]
                if params.location_ref and "location-consistency" in wanted else [])
    first = load_image(params.first_frame, "first frame") if params.first_frame else None
    last = load_image(params.last_frame, "last frame") if params.last_frame else None
    if embedder is None and params.embedding_model:
        embedder = DnnEmbeddingScorer(params.embedding_model)
    report(0.05, "Decoding")
    clip = decode_clip(path)
    timings = {"decode_s": clip.decode_s}

    def timed(into: list[QualityCheck], times: dict[str, float], name: str,
              fn: Callable[[], QualityCheck]) -> QualityCheck:
        t = time.perf_counter()
        check = fn()
        into.append(check)
        times[f"{name}_s"] = time.perf_counter() - t
        return check

    def sampled() -> tuple[list[QualityCheck], QualityCheck | None, dict[str, float]]:
        """The checks of the sampled colour frames (consistency, start/end, clarity): run
        beside the per-frame motion analysis (OpenCV releases the GIL: two cores work)."""
        out: list[QualityCheck] = []
        times: dict[str, float] = {}
        t = time.perf_counter()
        feats = frame_features(clip) if (characters or location) else None
        times["features_s"] = time.perf_counter() - t
        if characters:
            timed(out, times, "character", lambda: check_consistency(
                "character-consistency", clip, characters, feats, embedder))
        if location:
            timed(out, times, "location", lambda: check_consistency(
                "location-consistency", clip, location, feats, embedder))
        if "start-end-frames" in wanted and (first is not None or last is not None):
            timed(out, times, "start_end", lambda: check_start_end(clip, first, last))
        clarity = None
        if wanted & {"visual-clarity", "bitrate"}:
            clarity = timed([], times, "clarity", lambda: check_clarity(clip, first))
        return out, clarity, times

    report(0.4, "Checking consistency, motion and clarity")
    technical: list[QualityCheck] = []
    with ThreadPoolExecutor(1, "verify-samples") as pool:
        pending = pool.submit(sampled)
        t = time.perf_counter()
        signals = motion_signals(clip) if wanted & {"motion-quality", "fps"} else None
        timings["signals_s"] = time.perf_counter() - t
        if "duration" in wanted:
            technical.append(check_duration(clip, params.expected_duration,
                                            params.max_duration))
        if "resolution" in wanted:
            technical.append(check_resolution(clip, params.aspect, params.min_short_side,
                                              params.tier))
        if "fps" in wanted:
            technical.append(check_fps(clip, params.expected_fps,
                                       signals["diff"] if signals else None))
        motion = check_motion(clip, allow_cuts=params.allow_cuts, signals=signals) \
            if "motion-quality" in wanted else None
        report(0.75, "Checking consistency and clarity")
        consistency, clarity, sample_times = pending.result()
    timings.update(sample_times)
    checks = [*technical, *consistency, *([motion] if motion else [])]
    if clarity is not None and "visual-clarity" in wanted:
        checks.append(clarity)
    if "bitrate" in wanted:
        block = clarity.metrics.get("blockiness") if clarity else None
        checks.append(check_bitrate(clip, block))
    weights = params.weights or DEFAULT_WEIGHTS
    total = sum(weights.get(c.type, 1.0) for c in checks)
    overall = (sum(weights.get(c.type, 1.0) * c.score for c in checks) / total
               if total > 0 else 0.0)
    timings["total_s"] = time.perf_counter() - start
    report(1.0, "Verified")
    return VideoQualityResult(float(overall), checks, params.threshold, timings,
                              video=str(path))


def params_for_request(request: GenerationRequest, model: ModelEntry | None = None, *,
                       short_side: int | None = None,
                       settings: Any = None) -> VerifyParams:
    """What a generation of ``request`` by ``model`` should look like: the length the model
    makes for the requested duration, the requested aspect, the model's resolution (or the
    local provider's ``short_side``), the request's references and supplied frames."""
    expected = float(request.duration)
    tier = request.quality
    min_side = short_side
    if model is not None:
        expected = model.clamp_duration(expected)
        tier = model.tier
        sides = [s for s in (short_side_of(r) for r in model.resolutions) if s]
        if sides and min_side is None:
            min_side = min(sides)
    first = last = None
    if request.method == "image-to-video":
        first = request.image
    elif request.method == "first-last-frame":
        first, last = request.first_frame, request.last_frame
    params = VerifyParams(
        expected_duration=expected, aspect=request.aspect, min_short_side=min_side, tier=tier,
        character_refs=[request.character_ref] if request.character_ref else [],
        location_ref=request.location_ref, first_frame=first, last_frame=last,
        allow_cuts=request.method == "first-last-frame" and request.interpolation == "cut")
    apply_settings(params, settings)
    return params


class QualitySettingError(AladdinError):
    """A quality setting (weights) cannot be used."""

    kind = ErrorKind.INVALID_INPUT
    retryable = False


def apply_settings(params: VerifyParams, settings: Any) -> VerifyParams:
    """Weights, threshold and the embedding model from ``settings`` (a config.Settings)."""
    if settings is None:
        return params
    text = getattr(settings, "quality_weights", "") or ""
    try:
        params.weights = parse_weights(text)
    except ValueError as exc:
        raise QualitySettingError(f"Setting quality_weights ({text!r}): {exc}.") from None
    params.threshold = float(getattr(settings, "quality_threshold", THRESHOLD) or THRESHOLD)
    model = getattr(settings, "quality_embedding_model", "") or ""
    params.embedding_model = Path(model) if model else None
    return params

