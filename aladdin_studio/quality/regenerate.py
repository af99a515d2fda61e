"""Automatic regeneration of a generated clip whose quality check failed.

When a generation job lands with a failing report and the clip has had fewer automatic
regenerations than the ``quality_auto_regenerate`` setting (default 1), the same clip is
regenerated with the report's suggestions applied (:func:`job_kind.regenerated_request`);
its result becomes a new take, active only if it verifies better (see
:func:`takes.keep_new_take`). Both takes are kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import opentimelineio as otio

from ..errors import AladdinError
from ..generation.commands import GenerationMacro, SetGeneration
from ..generation.placement import clean_prompt, generation_record
from ..generation.request import GenerationRequest
from ..timeline import commands as C
from ..timeline.errors import TimelineError
from .job_kind import regenerated_request
from .takes import RETRY_KEY

if TYPE_CHECKING:
    from ..generation.service import GenerationService
    from ..jobs.store import Job

__all__ = ["RETRIES_KEY", "with_auto_regeneration"]

log = logging.getLogger(__name__)

RETRIES_KEY = "quality_retries"  # generation record: automatic regenerations so far


def _failed_report(job: Job) -> dict[str, Any] | None:
    report = (job.info or {}).get("quality_report")
    if not isinstance(report, dict) or "error" in report or report.get("passed", True):
        return None
    return report


def with_auto_regeneration(service: GenerationService, clip: otio.schema.Clip, job: Job,
                           landing: C.Command) -> C.Command:
    """``landing`` (the command placing ``job``'s take), followed, when the take failed its
    quality check and retries are left, by the clip's regeneration: one undo step. The
    regeneration job is submitted once per failed job (remembered in the ledger), so
    offering the landing again does not pay twice."""
    report = _failed_report(job)
    limit = int(getattr(service.queue.settings, "quality_auto_regenerate", 1) or 0)
    done = int(generation_record(clip).get(RETRIES_KEY) or 0)
    if report is None or done >= limit:
        return landing
    try:
        request = GenerationRequest.from_dict(job.payload)
        retry = regenerated_request(request, report, done + 1)
        existing = (job.info or {}).get(RETRY_KEY)
        if existing:
            new_id = str(existing)
            regenerate: C.Command = SetGeneration(
                clip, "Regenerate", job_id=new_id, method=retry.method,
                prompt=clean_prompt(retry.prompt), status="queued", message=None)
        else:
            new_job, regenerate = service.submit(retry, clip=clip, new_take=True)
            new_id = new_job.id
            service.store.update(job.id, info={**(job.info or {}), RETRY_KEY: new_id})
    except (AladdinError, TimelineError) as exc:
        log.warning("job %s: automatic regeneration not possible: %s", job.id, exc)
        return landing
    issues = [str(i) for i in report.get("issues") or []][:3]
    mark = SetGeneration(clip, None, **{RETRIES_KEY: done + 1, RETRY_KEY: new_id,
                                        "quality_retry_reason": "; ".join(issues)})
    text = "Generated Take (regenerating: quality check failed)"
    return GenerationMacro(text, [landing, regenerate, mark], job_id=job.id)
