"""What the user asked for: one generation request, validated before any money is spent.

Also the shared vocabulary (methods, quality tiers, aspects, the 7 s clip cap) that the
model registry and the providers check against.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..timeline.probe import MediaProbeError, content_fingerprint, probe
from .errors import InvalidInputError
from .sanitize import check_blocked_terms, sanitize_prompt

if TYPE_CHECKING:
    from .registry import Registry

__all__ = [
    "ASPECTS",
    "FILE_FIELDS",
    "IMAGE_FORMATS",
    "INTERPOLATIONS",
    "MAX_CLIP_SECONDS",
    "METHODS",
    "MOTIONS",
    "REQUEST_FIELDS",
    "TIERS",
    "GenerationRequest",
]

METHODS = ("text-to-video", "image-to-video", "first-last-frame", "composite-to-video")
TIERS = ("draft", "standard", "high")
ASPECTS = ("16:9", "9:16", "1:1")
MOTIONS = ("", "pan", "zoom", "dolly")
INTERPOLATIONS = ("smooth", "dynamic", "cut")
# Design doc: "Maximum clip length: 7 seconds per generation".
MAX_CLIP_SECONDS = 7.0
MIN_CLIP_SECONDS = 1.0
# Characters, after clean-up. Longer texts are refused, never cut behind the user's back
# (a cut prompt is still charged for).
TEXT_LIMITS = {"prompt": 2000, "negative prompt": 2000, "style": 200, "camera movement": 200}
_UNCUT = 10**9

FILE_FIELDS = ("image", "first_frame", "last_frame", "video", "character_ref", "location_ref")
REQUEST_FIELDS = (
    "prompt", "negative_prompt", "style", "aspect", "duration", "motion", "camera",
    "interpolation", "seed", *FILE_FIELDS,
)  # fmt: skip

# Which file inputs each method needs, and which it may take besides the references.
_REQUIRED_FILES = {
    "text-to-video": (),
    "image-to-video": ("image",),
    "first-last-frame": ("first_frame", "last_frame"),
    "composite-to-video": ("image",),
}
_OPTIONAL_FILES = {"composite-to-video": ("video",)}
_REFERENCE_FILES = ("character_ref", "location_ref")
# Parameters that change the result of each method (the rest are ignored, so they stay out
# of the cache key).
_PARAMS = {
    "text-to-video": ("style", "camera"),
    "image-to-video": ("style", "camera", "motion"),
    "first-last-frame": ("style", "camera", "interpolation"),
    "composite-to-video": ("style", "camera", "motion"),
}

_LABELS = {
    "image": "an image",
    "first_frame": "a first frame",
    "last_frame": "a last frame",
    "video": "a source video",
    "character_ref": "a character reference",
    "location_ref": "a location reference",
}

# Image inputs. Kling documents JPG/PNG, at least 300 px a side, 10 MB and an aspect ratio
# between 1:2.5 and 2.5:1; WebP is accepted by FAL's upload and by the local animatics.
IMAGE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MIN_IMAGE_SIDE = 300
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_RATIO = 2.5
# Source videos (composite-to-video's Luma Ray 2 Modify fallback): design doc
# maxVideoSizeMB = 50; Luma documents source clips of up to 10 s.
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_SOURCE_VIDEO_SECONDS = 10.0

_MOTION_TEXT = {
    "pan": "slow horizontal camera pan",
    "zoom": "slow push-in zoom",
    "dolly": "dolly forward with gentle parallax",
}
_INTERPOLATION_TEXT = {
    "smooth": "smooth, continuous transition from the first frame to the last",
    "dynamic": "fast, energetic transition in the middle of the clip",
    "cut": "hold on the first shot, then a hard cut to the last",
}


@dataclass
class GenerationRequest:
    """One clip to generate. Paths may be given as ``str``; they are stored as ``Path``."""

    method: str
    prompt: str
    negative_prompt: str = ""
    style: str = ""
    aspect: str = "16:9"
    duration: float = 5.0
    image: Path | None = None
    first_frame: Path | None = None
    last_frame: Path | None = None
    video: Path | None = None
    motion: str = ""  # "pan" | "zoom" | "dolly" | ""
    camera: str = ""  # free text, e.g. "slow pan left", "dolly in"
    interpolation: str = "smooth"  # "smooth" | "dynamic" | "cut"
    quality: str = "standard"  # "draft" | "standard" | "high"
    model: str | None = None  # registry id; None = the tier's primary model
    seed: int | None = None
    character_ref: Path | None = None
    location_ref: Path | None = None

    def __post_init__(self) -> None:
        for name in FILE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str | os.PathLike) and not isinstance(value, Path):
                setattr(self, name, Path(value))
        if isinstance(self.duration, int) and not isinstance(self.duration, bool):
            self.duration = float(self.duration)

    # ------------------------------------------------------------------ validation

    def validate(self, registry: Registry | None = None) -> None:
        """Raise :class:`InvalidInputError` with a user-facing message for the first problem.

        With a ``registry``, an explicit ``model`` must exist and do this request's method.
        """
        if self.method not in METHODS:
            raise InvalidInputError(
                f"Unknown generation method '{self.method}'. Choose one of: {', '.join(METHODS)}."
            )
        prompt = sanitize_prompt(self.prompt, max_length=_UNCUT)
        self._check_lengths(prompt)
        self._check_duration()
        if self.aspect not in ASPECTS:
            raise InvalidInputError(
                f"Aspect ratio '{self.aspect}' is not supported. Use 16:9, 9:16 or 1:1."
            )
        if self.quality not in TIERS:
            raise InvalidInputError(
                f"Quality '{self.quality}' is not a tier. Use draft, standard or high."
            )
        if self.motion not in MOTIONS:
            raise InvalidInputError(
                f"Motion '{self.motion}' is not supported. Use pan, zoom, dolly or none."
            )
        if self.interpolation not in INTERPOLATIONS:
            raise InvalidInputError(
                f"Interpolation '{self.interpolation}' is not supported. "
                "Use smooth, dynamic or cut."
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
            or not 0 <= self.seed < 2**32
        ):
            raise InvalidInputError(
                f"Seed must be a whole number from 0 to 2^32-1, got {self.seed!r}."
            )
        for name, text in (("prompt", prompt), ("style", self.style), ("motion", self.motion),
                           ("camera movement", self.camera)):
            check_blocked_terms(text, field=name)
        self._check_files()
        if registry is not None and self.model is not None:
            entry = registry.get(self.model)
            if entry.method != self.method:
                raise InvalidInputError(
                    f"Model '{entry.id}' does {entry.method}, not {self.method}."
                )
        if registry is not None:
            self._check_model_prompt_limit(registry)

    def _check_lengths(self, prompt: str) -> None:
        texts = {"prompt": prompt, "negative prompt": self.negative_prompt,
                 "style": self.style, "camera movement": self.camera}
        for field, text in texts.items():
            if field != "prompt":
                text = _clean_optional(text, _UNCUT)
            limit = TEXT_LIMITS[field]
            if len(text) > limit:
                raise InvalidInputError(
                    f"The {field} is {len(text):,} characters; the limit is {limit:,}. "
                    f"Shorten it by {len(text) - limit:,} (nothing was sent or charged).")

    def _check_model_prompt_limit(self, registry: Registry) -> None:
        """The prompt a hosted model receives must fit every model that may run the job
        (the chosen one and its fallbacks): the user's text, and with style, motion or
        camera hints the composed prompt too (only a final full stop may be dropped)."""
        try:
            chain = registry.chain(self.method, self.quality, model=self.model)
        except Exception:  # an unknown model or tier is reported elsewhere
            return
        if not chain:
            return
        tightest = min(chain, key=lambda e: e.prompt_max_length)
        limit = tightest.prompt_max_length
        prompt = sanitize_prompt(self.prompt, max_length=_UNCUT)
        what = "prompt"
        if len(prompt) <= limit and (self.style.strip() or self.motion or self.camera.strip()):
            prompt = sanitize_prompt(self.composed_prompt(), max_length=_UNCUT)
            what = "prompt with its style, motion and camera hints"
        if len(prompt) > limit:
            raise InvalidInputError(
                f"The {what} is {len(prompt):,} characters; model '{tightest.id}' takes at "
                f"most {limit:,}. Shorten it by {len(prompt) - limit:,} (nothing was sent or "
                "charged).")

    def _check_duration(self) -> None:
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, int | float) or not math.isfinite(d):
            raise InvalidInputError(f"Duration must be a number of seconds, got {d!r}.")
        if d > MAX_CLIP_SECONDS:
            raise InvalidInputError(
                f"Clips are limited to {MAX_CLIP_SECONDS:g} s each (the design's maximum clip "
                f"length); {d:g} s was asked for. Generate several clips and join them on "
                "the timeline."
            )
        if d < MIN_CLIP_SECONDS:
            raise InvalidInputError(
                f"Clips must be at least {MIN_CLIP_SECONDS:g} s long; {d:g} s was asked for."
            )

    def _check_files(self) -> None:
        required = _REQUIRED_FILES[self.method]
        allowed = (*required, *_OPTIONAL_FILES.get(self.method, ()), *_REFERENCE_FILES)
        for name in required:
            if getattr(self, name) is None:
                hint = (" (compose it from the character and location references first)"
                        if self.method == "composite-to-video" else "")
                raise InvalidInputError(f"{self.method} needs {_LABELS[name]}{hint}.")
        for name in FILE_FIELDS:
            path = getattr(self, name)
            if path is None:
                continue
            if name not in allowed:
                raise InvalidInputError(
                    f"{self.method} does not use {_LABELS[name]}; remove it or pick another "
                    "method."
                )
            if name == "video":
                _check_video(path)
            else:
                _check_image(path, _LABELS[name])

    # ------------------------------------------------------------------ derived values

    def sanitized(self) -> GenerationRequest:
        """A copy whose prompt, negative prompt, style and camera text are sanitized."""
        return replace(
            self,
            prompt=sanitize_prompt(self.prompt),
            negative_prompt=_clean_optional(self.negative_prompt, 2000),
            style=_clean_optional(self.style, 200),
            camera=_clean_optional(self.camera, 200),
        )

    def composed_prompt(self) -> str:
        """The prompt a hosted model sees: the user's text plus style, motion, camera and
        transition hints (hosted endpoints take all of that through one prompt field)."""
        req = self.sanitized()
        parts = [req.prompt if req.prompt[-1] in ".!?…" else req.prompt + "."]
        params = _PARAMS.get(self.method, ())
        if "motion" in params and req.motion in _MOTION_TEXT:
            parts.append(f"Camera: {_MOTION_TEXT[req.motion]}.")
        if req.camera:
            parts.append(f"Camera: {req.camera.rstrip('.')}.")
        if "interpolation" in params:
            parts.append(f"Transition: {_INTERPOLATION_TEXT[req.interpolation]}.")
        if req.style:
            parts.append(f"Style: {req.style.rstrip('.')}.")
        return " ".join(parts)

    def file_inputs(self) -> dict[str, Path]:
        """The file inputs that are set, by field name (what a provider must upload)."""
        return {name: getattr(self, name) for name in FILE_FIELDS if getattr(self, name)}

    def cache_key(self, model_id: str) -> str:
        """sha256 over everything that determines the output of ``model_id``: the method,
        the sanitized texts, the method's parameters, the seed and the *content* of the input
        files (``content_fingerprint``), never their paths."""
        req = self.sanitized()
        try:
            files = {name: content_fingerprint(p) for name, p in req.file_inputs().items()}
        except OSError as exc:
            raise InvalidInputError(f"Cannot read {exc.filename}: {exc.strerror}") from exc
        payload: dict[str, Any] = {
            "v": 1,
            "method": req.method,
            "model": model_id,
            "prompt": req.prompt,
            "negative_prompt": req.negative_prompt,
            "aspect": req.aspect,
            "duration": round(float(req.duration), 3),
            "seed": req.seed,
            "files": files,
        }
        for name in _PARAMS.get(req.method, ()):
            payload[name] = getattr(req, name)
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (paths as strings) for the job queue."""
        data: dict[str, Any] = {"v": 1}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = str(value) if isinstance(value, Path) else value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationRequest:
        """Inverse of :meth:`to_dict`. Unknown keys are ignored (newer versions may add some);
        ``method`` and ``prompt`` are required."""
        if not isinstance(data, dict):
            raise InvalidInputError("A generation request must be a JSON object.")
        missing = [k for k in ("method", "prompt") if k not in data]
        if missing:
            raise InvalidInputError(f"The generation request lacks {', '.join(missing)}.")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for name in FILE_FIELDS:
            value = kwargs.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"'{name}' must be a file path, got {value!r}.")
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise InvalidInputError(f"Malformed generation request: {exc}") from exc


def _clean_optional(text: str, max_length: int) -> str:
    if not text or not text.strip():
        return ""
    try:
        return sanitize_prompt(text, max_length=max_length)
    except InvalidInputError:  # only invisible characters
        return ""


def _check_readable(path: Path, label: str) -> int:
    if not path.exists():
        raise InvalidInputError(f"The file for {label} does not exist: {path}")
    if not path.is_file():
        raise InvalidInputError(f"The path for {label} is not a file: {path}")
    if not os.access(path, os.R_OK):
        raise InvalidInputError(f"The file for {label} cannot be read (permissions): {path}")
    return path.stat().st_size


def _check_image(path: Path, label: str) -> None:
    from PIL import Image, UnidentifiedImageError

    size = _check_readable(path, label)
    try:
        with Image.open(path) as img:
            fmt = img.format
            w, h = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInputError(f"{path.name} is not a readable image ({exc}).") from exc
    if fmt not in IMAGE_FORMATS:
        raise InvalidInputError(
            f"{path.name} is {fmt or 'an unknown format'}; use JPEG, PNG or WebP for {label}."
        )
    if size > MAX_IMAGE_BYTES:
        raise InvalidInputError(
            f"{path.name} is {size / 2**20:.1f} MB; images may be at most "
            f"{MAX_IMAGE_BYTES // 2**20} MB (save it as JPEG)."
        )
    if min(w, h) < MIN_IMAGE_SIDE:
        raise InvalidInputError(
            f"{path.name} is {w}x{h} px; each side must be at least {MIN_IMAGE_SIDE} px."
        )
    if max(w, h) > MAX_IMAGE_SIDE:
        raise InvalidInputError(
            f"{path.name} is {w}x{h} px; each side must be at most {MAX_IMAGE_SIDE} px."
        )
    if max(w, h) / min(w, h) > MAX_IMAGE_RATIO:
        raise InvalidInputError(
            f"{path.name} is {w}x{h} px; its aspect ratio must be between 1:2.5 and 2.5:1."
        )


def _check_video(path: Path) -> None:
    label = _LABELS["video"]
    size = _check_readable(path, label)
    if size > MAX_VIDEO_BYTES:
        raise InvalidInputError(
            f"{path.name} is {size / 2**20:.0f} MB; source videos may be at most "
            f"{MAX_VIDEO_BYTES // 2**20} MB."
        )
    try:
        info = probe(path)
    except MediaProbeError as exc:
        raise InvalidInputError(f"{path.name} is not a readable video ({exc.reason}).") from exc
    if not info.has_video or info.is_still:
        raise InvalidInputError(f"{path.name} has no moving picture; {label} must be a video.")
    if info.duration is not None and info.duration > MAX_SOURCE_VIDEO_SECONDS + 0.05:
        raise InvalidInputError(
            f"{path.name} is {info.duration:.1f} s long; source videos may be at most "
            f"{MAX_SOURCE_VIDEO_SECONDS:g} s."
        )
