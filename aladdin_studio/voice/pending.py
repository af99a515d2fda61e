"""Dialogue queued without waiting (``aladdin-studio dialogue`` without ``--wait``): the batch
is remembered in the project (collection metadata ``"voice_pending"``) and placed by a later
``dialogue PROJECT --apply`` once its jobs are done."""

from __future__ import annotations

from typing import Any

from ..timeline import schema as S
from ..timeline.commands import SetProjectMeta
from ..timeline.document import Project
from .profiles import Character, TTSSettings
from .script import ScriptLine
from .service import DialogueBatch, LinePlan, VoiceService

__all__ = ["apply", "batch_from_dict", "batch_to_dict", "key", "queued", "remember"]

META_KEY = "voice_pending"


def batch_to_dict(batch: DialogueBatch) -> dict[str, Any]:
    return {"scene": batch.scene, "start": batch.start, "gap": batch.gap,
            "provider": batch.provider, "project": batch.project,
            "new_characters": [c.to_dict() for c in batch.new_characters],
            "lines": [{"line": p.line.to_dict(), "character": p.character.to_dict(),
                       "settings": p.settings.to_dict(), "job_id": p.job_id,
                       "line_index": p.line_index}
                      for p in batch.lines]}


def batch_from_dict(data: dict[str, Any]) -> DialogueBatch:
    lines = [LinePlan(ScriptLine(**d["line"]), Character.from_dict(d["character"]),
                      TTSSettings.from_dict(d["settings"]), d["job_id"],
                      int(d.get("line_index", 0))) for d in data["lines"]]
    return DialogueBatch(data["scene"], lines, float(data["start"]), float(data["gap"]),
                         [Character.from_dict(c) for c in data.get("new_characters", [])],
                         data.get("provider", "local"), data.get("project", ""))


def _pending(project: Project) -> list[dict[str, Any]]:
    return [dict(b) for b in S.get(project.collection, META_KEY, []) or []
            if isinstance(b, dict)]


queued = _pending  # the batches queued in ``project`` (dicts)


def key(data: dict[str, Any]) -> str:
    """A queued batch's identity: its first job id."""
    lines = data.get("lines") or [{}]
    return str(lines[0].get("job_id", ""))


def remember(project: Project, stack: Any, batch: DialogueBatch) -> None:
    stack.push(SetProjectMeta(META_KEY, _pending(project) + [batch_to_dict(batch)],
                              "Queue Dialogue"))


def apply(project: Project, service: VoiceService, stack: Any) -> tuple[int, int]:
    """Place every pending batch whose jobs are all done; ``(lines placed, lines waiting)``.
    A batch with failed lines is dropped with its reasons raised after the others landed."""
    placed = waiting = 0
    keep: list[dict[str, Any]] = []
    errors: list[str] = []
    for data in _pending(project):
        batch = batch_from_dict(data)
        jobs = service.jobs(batch.job_ids, batch.project)
        if not all(j.done for j in jobs):
            keep.append(data)
            waiting += len(jobs)
            continue
        bad = service.failures(jobs)
        if bad:
            errors += bad
            continue
        macro = service.place_command(project, batch)
        stack.push(macro)
        placed += len(batch.lines)
    if len(keep) != len(_pending(project)):
        stack.push(SetProjectMeta(META_KEY, keep, "Dialogue Placed"))
    if errors:
        from .errors import VoiceInputError

        raise VoiceInputError(f"{len(errors)} queued line(s) failed: " + "; ".join(errors))
    return placed, waiting
