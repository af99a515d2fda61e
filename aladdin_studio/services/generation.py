"""Generation for any front end: submit (``GenerationService``: placeholder + job), regenerate
from a clip's provenance, and land finished jobs as takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aladdin_studio.errors import AladdinError
from aladdin_studio.generation import placement
from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.generation.service import GenerationService, project_key
from aladdin_studio.jobs import Job
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.commands import Command

__all__ = ["GenerationService", "Landing", "land_finished", "project_key", "request_for",
           "submit_placed"]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def submit_placed(service: GenerationService, request: GenerationRequest,
                  push: Callable[[Command], Any], *, save: Callable[[], Any] | None = None,
                  before_release: Callable[[Job], Any] | None = None,
                  **where: Any) -> Job:
    """Queue ``request`` and let it run only once its placeholder (or new take) is placed by
    ``push`` (which raises when the timeline refuses it) and, for a front end that keeps the
    project on disk, saved by ``save``: until then the job is held, so a refused placement or a
    failed save abandons it before anything is paid. ``before_release(job)`` then runs while
    the job is still held (the API subscribes a request's webhook there, so even a job that
    ends at once is announced); if it raises, the job is abandoned too. A queue that cannot
    take the released job abandons it and marks the placeholder failed. ``where``: the
    placement of ``GenerationService.submit`` (scene, track, at, clip, new_take, insert).
    Returns the released job."""
    job, command = service.submit(request, hold=True, **where)
    saved = False
    try:
        if command is not None:
            push(command)
        if save is not None:
            save()
        saved = True
        if before_release is not None:
            before_release(job)
    except BaseException as exc:
        why = _one_line(exc)
        service.abandon(job.id, why if save is None or saved
                        else f"the placeholder could not be saved: {why}")
        raise
    try:
        return service.release(job.id)
    except AladdinError as exc:
        service.abandon(job.id, _one_line(exc))
        placed = next((c for c, j in placement.find_generation_clips(service.project)
                       if j == job.id), None)
        if placed is not None:
            push(placement.status_command(placed, "failed", _one_line(exc)))
            if save is not None:
                save()
        raise


@dataclass
class Landing:
    """What :func:`land_finished` did."""

    landed: list[str] = field(default_factory=list)  # job ids whose take or status landed
    refused: list[tuple[str, str]] = field(default_factory=list)  # (job id, why)
    released: list[str] = field(default_factory=list)  # held jobs whose placeholder is saved
    abandoned: list[str] = field(default_factory=list)  # held jobs never placed
    orphans: list[str] = field(default_factory=list)  # results put into the media bin

    @property
    def changed(self) -> bool:
        return bool(self.landed or self.orphans)


def land_finished(service: GenerationService, push: Callable[[Command], Any], *,
                  job_ids: Iterable[str] | None = None, budget_s: float | None = None,
                  orphans: bool = False, reconcile: bool = False) -> Landing:
    """Land finished generation jobs of ``service.project`` through ``push`` (an undo stack's
    push, or the editor's, which returns False for a refused edit): each job's take or
    failure status, one undo step each, confirmed in the ledger either way (a refused
    result is not offered again). ``reconcile``: first release held jobs whose placeholder
    was saved and abandon the others; ``orphans``: then put results whose clip is gone into
    the media bin (one more step). ``budget_s`` bounds the time spent (a UI tick)."""
    landing = Landing()
    if reconcile:
        landing.released, landing.abandoned = service.reconcile_held()
    wanted = set(job_ids) if job_ids is not None else None
    for command in service.finished_commands(budget_s=budget_s):
        job_id = getattr(command, "job_id", None)
        if job_id is None or (wanted is not None and job_id not in wanted):
            continue
        try:
            ok = push(command)
        except AladdinError as exc:
            landing.refused.append((job_id, str(exc)))
            ok = False
        service.mark_applied(job_id)
        if ok is not False:
            landing.landed.append(job_id)
        elif not any(j == job_id for j, _ in landing.refused):
            landing.refused.append((job_id, "the timeline refused it"))
    if orphans:
        found = service.orphan_results()
        command = service.orphan_command(found) if found else None
        if command is not None and push(command) is not False:
            landing.orphans = [job.id for job in found]
        for job in found if command is None or landing.orphans else []:
            service.mark_applied(job.id)
    return landing


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
