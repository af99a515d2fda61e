"""The data-driven model registry (``models.json``): which model serves which method and
quality tier, how a request maps onto its endpoint's parameters, what it costs, and what to
fall back to when it fails.

Per (method, tier) the *primary* model is the first FAL entry listed with that tier, hosted or
not; :meth:`Registry.chain` then skips entries that are not hosted (Runway Gen-3) and ends
with the method's local animatic entry when the local provider is allowed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aladdin_studio.errors import AladdinError, ErrorKind

from .errors import InvalidInputError
from .request import (
    ASPECTS,
    FILE_FIELDS,
    MAX_CLIP_SECONDS,
    METHODS,
    REQUEST_FIELDS,
    TIERS,
    GenerationRequest,
)
from .sanitize import sanitize_prompt

__all__ = [
    "DEFAULT_PATH",
    "ModelEntry",
    "Registry",
    "RegistryError",
    "load_registry",
    "registry_from_data",
]

DEFAULT_PATH = Path(__file__).with_name("models.json")
PROVIDERS = ("fal", "local")
DURATION_FORMATS = ("string", "number")
_METHOD_FILES = {
    "text-to-video": (),
    "image-to-video": ("image",),
    "first-last-frame": ("first_frame", "last_frame"),
    "composite-to-video": ("image",),
}


class RegistryError(AladdinError):
    """``models.json`` is malformed; the message names the file and the model."""

    kind = ErrorKind.CORRUPT


@dataclass(frozen=True)
class ModelEntry:
    id: str
    method: str
    tier: str
    provider: str  # "fal" | "local"
    endpoint: str | None  # FAL app id, "local/<method>", or None when not hosted
    hosted: bool
    inputs: Mapping[str, str]  # request field -> endpoint parameter
    constants: Mapping[str, Any]
    duration_format: str  # "string" | "number"
    durations: tuple[str | float, ...] = ()  # allowed values, as the endpoint spells them ...
    duration_range: tuple[float, float, float] | None = None  # ... or (min, max, step)
    max_duration: float = MAX_CLIP_SECONDS
    aspects: tuple[str, ...] = ASPECTS
    resolutions: tuple[str, ...] = ()
    price_per_second: float = 0.0
    fallbacks: tuple[str, ...] = ()
    notes: str = ""
    required: tuple[str, ...] = ("prompt",)  # request fields the endpoint cannot do without
    value_maps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    prompt_max_length: int = 2000

    # ------------------------------------------------------------------ durations and cost

    def clamp_duration(self, seconds: float) -> float:
        """The clip length this model will actually produce for ``seconds``: the nearest
        allowed value (ties go to the shorter one), or the range clamped and snapped."""
        if self.duration_range is not None:
            lo, hi, step = self.duration_range
            hi = min(hi, self.max_duration)
            d = min(max(float(seconds), lo), hi)
            d = lo + round((d - lo) / step) * step
            return round(min(max(d, lo), hi), 6)
        values = [float(v) for v in self.durations]
        return min(values, key=lambda v: (abs(v - seconds), v))

    def format_duration(self, seconds: float) -> str | int | float:
        """``seconds`` clamped to this model and written the way its endpoint wants it."""
        d = self.clamp_duration(seconds)
        for v in self.durations:
            if float(v) == d:
                return v
        whole = float(d).is_integer()
        if self.duration_format == "string":
            return str(int(d)) if whole else f"{d:g}"
        return int(d) if whole else d

    def estimate_cost(self, duration: float) -> float:
        """USD for one clip of ``duration`` seconds (after clamping to what the model does)."""
        return round(self.price_per_second * self.clamp_duration(duration), 4)

    # ------------------------------------------------------------------ requests

    def unsupported_reason(self, request: GenerationRequest) -> str | None:
        """Why this model cannot take ``request`` (missing input, aspect), or ``None``."""
        if request.method != self.method:
            return f"{self.id} does {self.method}, not {request.method}"
        for name in self.required:
            if name in FILE_FIELDS and getattr(request, name) is None:
                return f"{self.id} needs the {name.replace('_', ' ')} input"
        if self.aspects and request.aspect not in self.aspects:
            return f"{self.id} cannot make {request.aspect} clips"
        return None

    def supports(self, request: GenerationRequest) -> bool:
        return self.unsupported_reason(request) is None

    def build_arguments(self, request: GenerationRequest, uploaded: dict[str, str]) -> dict:
        """The endpoint's input dict for ``request``.

        ``uploaded`` maps file fields ("image", "first_frame", ...) to the URLs the provider
        uploaded them to. The prompt is the composed, sanitized prompt; empty optional values
        (no negative prompt, no seed) are left out so the endpoint's defaults apply.
        """
        if request.method != self.method:
            raise InvalidInputError(f"Model '{self.id}' does {self.method}, not {request.method}.")
        args: dict[str, Any] = dict(self.constants)
        for name, param in self.inputs.items():
            value = self._value(name, request, uploaded)
            if value is None or value == "":
                if name in self.required:
                    raise InvalidInputError(
                        f"Model '{self.id}' needs the {name.replace('_', ' ')} input."
                    )
                continue
            mapping = self.value_maps.get(name)
            if mapping is not None:
                if value not in mapping:
                    continue
                value = mapping[value]
            args[param] = value
        return args

    def _value(self, name: str, request: GenerationRequest, uploaded: dict[str, str]) -> Any:
        if name in FILE_FIELDS:
            if getattr(request, name) is None:
                return None
            url = uploaded.get(name)
            if not url:
                raise InvalidInputError(
                    f"The {name.replace('_', ' ')} input was not uploaded for '{self.id}'."
                )
            return url
        if name == "prompt":
            return sanitize_prompt(request.composed_prompt(), max_length=self.prompt_max_length)
        if name == "negative_prompt":
            text = request.sanitized().negative_prompt
            return sanitize_prompt(text, max_length=self.prompt_max_length) if text else None
        if name == "duration":
            return self.format_duration(request.duration)
        if name in ("style", "camera"):
            return getattr(request.sanitized(), name) or None
        return getattr(request, name)


class Registry:
    """All model entries, validated, in file order."""

    def __init__(self, entries: Iterable[ModelEntry], source: str = "<memory>") -> None:
        self.source = source
        self._entries: dict[str, ModelEntry] = {}
        for entry in entries:
            if entry.id in self._entries:
                raise RegistryError(f"{source}: duplicate model id '{entry.id}'")
            self._entries[entry.id] = entry
        self._check_links()

    def _check_links(self) -> None:
        locals_seen: dict[str, str] = {}
        for e in self._entries.values():
            where = f"{self.source}: model '{e.id}'"
            for fb in e.fallbacks:
                target = self._entries.get(fb)
                if target is None:
                    raise RegistryError(f"{where}: fallback '{fb}' is not a model in the registry")
                if fb == e.id:
                    raise RegistryError(f"{where}: lists itself as a fallback")
                if target.method != e.method:
                    raise RegistryError(
                        f"{where}: fallback '{fb}' does {target.method}, not {e.method}"
                    )
                if target.provider == "local":
                    raise RegistryError(
                        f"{where}: fallback '{fb}' is local; local entries are appended to "
                        "chains automatically when the local provider is allowed"
                    )
            if e.provider == "local":
                if e.method in locals_seen:
                    raise RegistryError(
                        f"{where}: '{locals_seen[e.method]}' is already the local {e.method} model"
                    )
                locals_seen[e.method] = e.id

    # ------------------------------------------------------------------ lookups

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._entries

    def get(self, model_id: str) -> ModelEntry:
        try:
            return self._entries[model_id]
        except KeyError:
            raise InvalidInputError(
                f"Unknown model '{model_id}'. Known models: {', '.join(self._entries)}."
            ) from None

    def models(self, method: str) -> list[ModelEntry]:
        """Every entry for ``method`` (hosted or not, FAL and local), in file order."""
        _check_choice("method", method, METHODS)
        return [e for e in self._entries.values() if e.method == method]

    def local(self, method: str) -> ModelEntry | None:
        return next((e for e in self.models(method) if e.provider == "local"), None)

    def primary(self, method: str, tier: str) -> ModelEntry | None:
        """The first FAL entry listed for ``method`` at ``tier`` (possibly not hosted)."""
        _check_choice("tier", tier, TIERS)
        return next(
            (e for e in self.models(method) if e.tier == tier and e.provider == "fal"), None
        )

    def chain(self, method: str, tier: str, *, provider: str = "fal", model: str | None = None,
              request: GenerationRequest | None = None) -> list[ModelEntry]:
        """Models to try in order: ``model`` (or the tier's primary) then its fallbacks,
        without the ones that are not hosted, plus the local entry last when
        ``provider == "local"``. With ``request``, models that cannot take it (missing input,
        unsupported aspect) are left out too. May be empty."""
        _check_choice("method", method, METHODS)
        _check_choice("tier", tier, TIERS)
        _check_choice("provider", provider, PROVIDERS)
        if model is not None:
            first: ModelEntry | None = self.get(model)
            if first.method != method:
                raise InvalidInputError(f"Model '{model}' does {first.method}, not {method}.")
        else:
            first = self.primary(method, tier)
        candidates = [first, *(self._entries[f] for f in first.fallbacks)] if first else []
        if provider == "local":
            candidates.append(self.local(method))
        out: list[ModelEntry] = []
        for e in candidates:
            if e is None or not e.hosted or e in out:
                continue
            if e.provider == "local" and provider != "local":
                continue
            if request is not None and not e.supports(request):
                continue
            out.append(e)
        return out

    def tiers(self, method: str) -> dict[str, ModelEntry]:
        """For the dialog: the FAL model each tier really uses (its chain's first entry)."""
        out = {}
        for tier in TIERS:
            chain = self.chain(method, tier)
            if chain:
                out[tier] = chain[0]
        return out


def _check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(f"Unknown {what} '{value}'. Choose one of: {', '.join(allowed)}.")


# --------------------------------------------------------------------------- loading


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate ``models.json`` (the packaged one by default)."""
    src = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(src.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{src}: cannot read the model registry ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{src}: not valid JSON ({exc})") from exc
    return registry_from_data(data, source=str(src))


def registry_from_data(data: Any, source: str = "<memory>") -> Registry:
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise RegistryError(f"{source}: expected an object with a 'models' list")
    entries = []
    for i, raw in enumerate(data["models"]):
        if not isinstance(raw, dict):
            raise RegistryError(f"{source}: models[{i}] is not an object")
        entries.append(_parse_entry(raw, f"{source}: model '{raw.get('id', f'#{i}')}'"))
    return Registry(entries, source)


_KNOWN_KEYS = {
    "id", "method", "tier", "provider", "endpoint", "hosted", "inputs", "constants",
    "duration_format", "durations", "max_duration", "aspects", "resolutions",
    "price_per_second", "fallbacks", "notes", "required", "value_maps", "prompt_max_length",
}  # fmt: skip


def _parse_entry(raw: dict[str, Any], where: str) -> ModelEntry:
    def fail(msg: str) -> RegistryError:
        return RegistryError(f"{where}: {msg}")

    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise fail(f"unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("id", "method", "tier", "provider", "hosted", "inputs", "durations",
                "max_duration", "price_per_second"):
        if key not in raw:
            raise fail(f"missing field '{key}'")
    mid = raw["id"]
    if not isinstance(mid, str) or not mid:
        raise fail("'id' must be a non-empty string")
    for key, allowed in (("method", METHODS), ("tier", TIERS), ("provider", PROVIDERS)):
        if raw[key] not in allowed:
            raise fail(f"unknown {key} '{raw[key]}' (expected one of {', '.join(allowed)})")
    hosted, endpoint = raw["hosted"], raw.get("endpoint")
    if not isinstance(hosted, bool):
        raise fail("'hosted' must be true or false")
    if hosted and not (isinstance(endpoint, str) and endpoint):
        raise fail("a hosted model needs an 'endpoint'")
    if not hosted and endpoint is not None:
        raise fail("a model that is not hosted must have endpoint null")
    if raw["provider"] == "local" and endpoint != f"local/{raw['method']}":
        raise fail(f"a local model's endpoint must be 'local/{raw['method']}'")

    inputs = raw["inputs"]
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in inputs.items()
    ):
        raise fail("'inputs' must map request fields to endpoint parameter names")
    bad = sorted(set(inputs) - set(REQUEST_FIELDS))
    if bad:
        raise fail(f"'inputs' names unknown request field(s) {', '.join(bad)}")
    if hosted:
        missing = [f for f in ("prompt", *_METHOD_FILES[raw["method"]]) if f not in inputs]
        if missing:
            raise fail(f"a {raw['method']} model must map {', '.join(missing)} in 'inputs'")
    required = raw.get("required", ["prompt", *_METHOD_FILES[raw["method"]]])
    if not isinstance(required, list) or (hosted and not set(required) <= set(inputs)):
        raise fail("'required' must list fields that appear in 'inputs'")
    constants = raw.get("constants", {})
    if not isinstance(constants, dict):
        raise fail("'constants' must be an object")
    clash = sorted(set(constants) & set(inputs.values()))
    if clash:
        raise fail(f"parameter(s) {', '.join(clash)} are both constants and mapped inputs")
    value_maps = raw.get("value_maps", {})
    if not isinstance(value_maps, dict) or not all(
        k in inputs and isinstance(v, dict) for k, v in value_maps.items()
    ):
        raise fail("'value_maps' must map input fields to {our value: endpoint value}")

    max_duration = raw["max_duration"]
    if not _is_number(max_duration) or max_duration <= 0:
        raise fail("'max_duration' must be a positive number")
    if max_duration > MAX_CLIP_SECONDS:
        raise fail(
            f"max_duration {max_duration:g} s exceeds the design's {MAX_CLIP_SECONDS:g} s "
            "cap per clip"
        )
    fmt = raw.get("duration_format", "string")
    if fmt not in DURATION_FORMATS:
        raise fail(f"'duration_format' must be 'string' or 'number', got {fmt!r}")
    durations, duration_range = _parse_durations(raw["durations"], max_duration, fail)

    price = raw["price_per_second"]
    if not _is_number(price) or price < 0:
        raise fail("'price_per_second' must be a number >= 0")
    aspects = raw.get("aspects", list(ASPECTS))
    if not isinstance(aspects, list) or not set(aspects) <= set(ASPECTS):
        raise fail(f"'aspects' must be a list drawn from {', '.join(ASPECTS)}")
    fallbacks = raw.get("fallbacks", [])
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        raise fail("'fallbacks' must be a list of model ids")
    max_prompt = raw.get("prompt_max_length", 2000)
    if not isinstance(max_prompt, int) or max_prompt < 1:
        raise fail("'prompt_max_length' must be a positive integer")
    return ModelEntry(
        id=mid,
        method=raw["method"],
        tier=raw["tier"],
        provider=raw["provider"],
        endpoint=endpoint,
        hosted=hosted,
        inputs=dict(inputs),
        constants=dict(constants),
        duration_format=fmt,
        durations=durations,
        duration_range=duration_range,
        max_duration=float(max_duration),
        aspects=tuple(aspects),
        resolutions=tuple(raw.get("resolutions", [])),
        price_per_second=float(price),
        fallbacks=tuple(fallbacks),
        notes=str(raw.get("notes", "")),
        required=tuple(required),
        value_maps={k: dict(v) for k, v in value_maps.items()},
        prompt_max_length=max_prompt,
    )


def _parse_durations(spec: Any, max_duration: float, fail: Any
                     ) -> tuple[tuple[str | float, ...], tuple[float, float, float] | None]:
    if isinstance(spec, dict):
        lo, hi, step = spec.get("min"), spec.get("max"), spec.get("step", 1)
        if not all(_is_number(v) for v in (lo, hi, step)) or not 0 < lo <= hi or step <= 0:
            raise fail("'durations' range needs numbers 0 < min <= max and step > 0")
        if hi > max_duration:
            raise fail(f"'durations' max {hi:g} s exceeds max_duration {max_duration:g} s")
        return (), (float(lo), float(hi), float(step))
    if not isinstance(spec, list) or not spec:
        raise fail("'durations' must be a non-empty list of values or a {min, max} range")
    for v in spec:
        try:
            seconds = float(v)
        except (TypeError, ValueError):
            raise fail(f"duration {v!r} is not a number of seconds") from None
        if isinstance(v, bool) or not math.isfinite(seconds) or seconds <= 0:
            raise fail(f"duration {v!r} is not a positive number of seconds")
        if seconds > max_duration:
            raise fail(f"duration {v!r} exceeds max_duration {max_duration:g} s")
    return tuple(spec), None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
