"""Generation for any front end: submit (``GenerationService``: placeholder + job), regenerate
from a clip's provenance, and land finished jobs as takes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aladdin_studio.generation import placement
from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.generation.service import GenerationService, project_key
from aladdin_studio.jobs import Job
from aladdin_studio.timeline import schema as S

__all__ = ["GenerationService", "project_key", "request_for"]

_FILE_FIELDS = ("image", "first_frame", "last_frame", "video", "character_ref", "location_ref")


def request_for(clip: otio.schema.Clip,
                job: Callable[[str], Job | None]) -> GenerationRequest | None:
    """The request that made ``clip``'s active take (its provenance, or its job, looked up
    with ``job(id)``), to regenerate it; None when the clip was not generated. Input files
    gone since are left empty, for the user to pick again."""
    data: Any = None
    provenance = S.get(clip.media_reference, "provenance") or {}
    if isinstance(provenance, dict):
        data = provenance.get("request")
        if data is None and provenance.get("job_id"):
            found = job(str(provenance["job_id"]))
            data = found.request if found is not None else None
    if data is None and placement.is_placeholder(clip):
        found = job(placement.generation_job(clip))
        data = found.request if found is not None else None
    if not isinstance(data, dict):
        return None
    try:
        request = GenerationRequest.from_dict(S.to_py(data))
    except InvalidInputError:
        return None
    for name in _FILE_FIELDS:
        path = getattr(request, name)
        if path is not None and not Path(path).is_file():
            setattr(request, name, None)
    return request
