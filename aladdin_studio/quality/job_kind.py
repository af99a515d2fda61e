"""Where verification runs in the job system.

* :func:`verify_generation`: the last step of every generation job (called by the
  generation kind's run after the download, with progress), whose report goes into the
  job's ``info["quality_report"]`` and from there onto the take's provenance.
* the ``verify`` job kind: verify any media file on the queue (payload: the file and the
  :class:`VerifyParams`), for front ends that want it off their thread.
* :func:`regenerated_request`: the request an automatic regeneration sends, with the
  report's suggestions applied (prompt hints, a new seed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AladdinError
from ..jobs.kinds import JobKind, KindLimits, register_kind
from .takes import stored_report
from .verify import VerifyParams, apply_settings, params_for_request, verify_video

if TYPE_CHECKING:
    from ..generation.registry import ModelEntry
    from ..generation.request import GenerationRequest
    from ..jobs.context import JobContext
    from ..jobs.store import Job

__all__ = ["VERIFY", "VerifyPayload", "provider_short_side", "regenerated_request",
           "verify_generation"]

log = logging.getLogger(__name__)

# Hints stop here: every model of a chain must still take the prompt (the shortest limits
# in the registry are well above this).
PROMPT_BUDGET = 1000


def verify_generation(path: str | Path, request: GenerationRequest,
                      model: ModelEntry | None, *, short_side: int | None = None,
                      settings: Any = None,
                      progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """The stored report of a freshly generated clip, or ``{"error": reason}`` when it
    could not be verified (a verification problem never fails the generation)."""
    try:
        params = params_for_request(request, model, short_side=short_side, settings=settings)
        result = verify_video(path, params, progress=progress)
    except (AladdinError, ValueError, OSError) as exc:
        log.warning("could not verify %s: %s", path, exc)
        return {"error": str(exc)}
    return stored_report(result, params)  # with params: `verify --clip` repeats the check


def provider_short_side(provider: Any) -> int | None:
    """The short side a provider renders at, when it says (the local provider's
    ``short_side``), looking through wrappers that keep the real one as ``inner``."""
    for _ in range(4):
        if provider is None:
            return None
        value = getattr(provider, "short_side", None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        provider = getattr(provider, "inner", None)
    return None


def regenerated_request(request: GenerationRequest, report: Mapping[str, Any],
                        attempt: int = 1) -> GenerationRequest:
    """``request`` with the report's prompt hints appended (as far as the prompt limit
    allows) and another seed, so the regeneration differs where it failed."""
    hints = [str(h) for h in report.get("promptHints") or [] if str(h).strip()]
    prompt = request.prompt.rstrip()
    for hint in hints:
        if hint.lower() in prompt.lower():
            continue
        joined = f"{prompt.rstrip('.')}. {hint[0].upper()}{hint[1:]}."
        if len(joined) > PROMPT_BUDGET:
            break
        prompt = joined
    seed = None if request.seed is None else (request.seed + 7919 * attempt) % 2**32
    return replace(request, prompt=prompt, seed=seed)


# --------------------------------------------------------------------------- verify kind


@dataclass(frozen=True)
class VerifyPayload:
    """Verify ``media`` (a file path) with ``params`` (``VerifyParams`` fields)."""

    media: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"media": self.media, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifyPayload:
        return cls(str(data["media"]), dict(data.get("params") or {}))

    def verify_params(self) -> VerifyParams:
        values = dict(self.params)
        for key in ("location_ref", "first_frame", "last_frame", "embedding_model"):
            if values.get(key):
                values[key] = Path(values[key])
        values["character_refs"] = [Path(p) for p in values.get("character_refs") or []]
        known = VerifyParams.__dataclass_fields__
        return VerifyParams(**{k: v for k, v in values.items() if k in known})


def _run_verify(job: Job, ctx: JobContext) -> dict[str, Any]:
    payload = VerifyPayload.from_dict(job.payload)
    params = payload.verify_params()
    if params.weights is None:
        apply_settings(params, ctx.settings)
    result = verify_video(payload.media, params,
                          progress=lambda f, m: ctx.progress(0.05 + 0.9 * f, m))
    return {"output_path": payload.media, "actual_cost": 0.0,
            "info": {"quality_report": stored_report(result)}}


def _label(job: Job) -> str:
    return f"verify: {Path(str(job.payload.get('media', ''))).name}"


VERIFY = register_kind(JobKind(name="verify", payload=VerifyPayload, run=_run_verify,
                               label=_label, noun="verification",
                               limits=KindLimits(concurrent=1, max_attempts=1)))
