"""The director for any front end: check a brief, estimate it, queue the ``assemble`` job,
and read its state (shots, steps, report) back from the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .brief import Brief, load_brief

if TYPE_CHECKING:
    from ..jobs.queue import JobQueue
    from ..jobs.store import Job

__all__ = ["director_state", "submit_brief"]


def submit_brief(queue: JobQueue, project_file: str | Path, brief: Brief | str | Path, *,
                 brief_file: str | Path | None = None, preset: str | None = None,
                 publish: bool | None = None, destination: str = "auto",
                 continue_without_missing: bool = False, max_retries: int = 2,
                 hold: bool = False) -> Job:
    """Queue the assemble job for ``brief`` (a Brief or a brief file) on the project
    (``hold``: recorded, run once released, see ``JobQueue.submit``)."""
    from ..timeline.document import ProjectLocation
    from .job_kind import AssemblePayload

    if not isinstance(brief, Brief):
        brief_file = brief_file or brief
        brief = load_brief(brief)
    key = str(ProjectLocation.for_path(project_file).file)
    payload = AssemblePayload(
        project_file=key, brief=brief.to_dict(), base_dir=str(brief.base_dir),
        brief_file=str(Path(brief_file).absolute()) if brief_file else "", preset=preset,
        publish=publish, destination=destination,
        continue_without_missing=continue_without_missing, max_retries=max_retries)
    return queue.submit(payload, key, hold=hold)


def director_state(job: Job) -> dict[str, Any]:
    """The job's pipeline state: steps, shots, and the report once written."""
    return dict((job.info or {}).get("director") or {})
