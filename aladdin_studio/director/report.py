"""The department report (design doc 4.1 ``VideoHeadResponse``): status complete / partial /
failed, each shot's output with its quality score and attempts, the department's quality
(shot scores weighted by duration, a missing shot counting 0), issues, suggestions, cost
estimated vs actual and the time of every step. Saved beside the render as JSON.

Status: ``complete`` when every shot was made and passed its quality check (or was not
verified: no quality package) and every step was done or skipped (a step is skipped when
not asked for or when its package is not in this build; ``skipped`` says which and why);
``partial`` when a shot is missing (a slate stands in), a shot still fails its quality
check after the retries (it stays in the scene; ``qualityFailures`` names it with its
failing checks, issues and suggestions), or dialogue, music, sound effects or publishing
failed; ``failed`` below 80 % of the shots made or when a step could not go on."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import atomic_path

if TYPE_CHECKING:
    from .job_kind import AssembleRun

__all__ = ["build_report", "report_path", "save_report"]


def _grade(shot: Any) -> float:
    if shot.status != "done":
        return 0.0
    return float(shot.score) if shot.score is not None else 0.7


def build_report(run: AssembleRun, failed: str | None = None) -> dict[str, Any]:
    state = run.state
    shots = run.shots
    store = run.store
    outputs = []
    actual = 0.0
    for shot in shots:
        attempts = []
        for job_id in shot.jobs:
            try:
                job = store.get(job_id)
            except KeyError:
                continue
            actual += float(job.actual_cost or 0.0)
            report = (job.info or {}).get("quality_report") or {}
            attempts.append({"job": job_id, "status": job.status, "model": job.model,
                             "score": report.get("overallQuality") if isinstance(report, dict)
                             else None,
                             "passed": report.get("passed") if isinstance(report, dict)
                             else None,
                             "cached": bool(job.cached_from), "output": job.output_path,
                             "error": job.error_message})
        outputs.append({"shot": shot.index, "name": shot.name, "status": shot.status,
                        "qualityScore": shot.score, "passed": shot.passed,
                        "failedChecks": list(shot.failed_checks),
                        "attempts": len(shot.jobs), "output": shot.output,
                        "takes": attempts, "reason": shot.reason or None,
                        "issues": shot.issues, "suggestions": shot.suggestions})
    for ids in (state.get("subjobs") or {}).values():
        for job_id in ids if isinstance(ids, list) else [ids]:
            try:
                actual += float(store.get(job_id).actual_cost or 0.0)
            except KeyError:
                continue
    seconds = sum(s.seconds for s in shots) or 1.0
    quality = sum(_grade(s) * s.seconds for s in shots) / seconds
    made = sum(s.status == "done" for s in shots)
    failing = [s for s in shots if s.status == "done" and s.passed is False]
    steps = {name: dict(entry) for name, entry in state["steps"].items()}
    step_failed = [n for n, e in steps.items() if e["status"] == "failed"]
    if failed or made / max(1, len(shots)) < 0.8:
        status = "failed"
    elif made == len(shots) and not failing and not step_failed and not any(
            i.startswith("Audio:") or i.startswith("Publishing failed") for i in
            state["issues"]):
        status = "complete"
    else:
        status = "partial"
    skipped = {n: e.get("reason") for n, e in steps.items() if e["status"] == "skipped"}
    estimate = state.get("estimate") or {}
    summary = (f"{made}/{len(shots)} shots"
               + (f" ({len(failing)} failing quality)" if failing else "")
               + f", quality {quality:.2f}"
               + (f", skipped: {', '.join(skipped)}" if skipped else ""))
    suggestions = list(dict.fromkeys(state.get("suggestions") or []))
    if made < len(shots):
        suggestions.append("Fix the missing shots' inputs and run the brief again: shots "
                           "already made are reused (same inputs, no new cost).")
    return {
        "department": "video-generation",
        "relevance": 1.0,
        "status": status,
        "summary": summary,
        "scene": run.brief.scene,
        "brief": run.payload.brief_file or None,
        "job": run.job.id,
        "outputs": outputs,
        "departmentQuality": round(quality, 3),
        "issues": list(dict.fromkeys(state.get("issues") or [])),
        "qualityFailures": [{"shot": s.index, "name": s.name, "qualityScore": s.score,
                             "attempts": len(s.jobs), "checks": list(s.failed_checks),
                             "issues": list(s.issues), "suggestions": list(s.suggestions)}
                            for s in failing],
        "suggestions": suggestions,
        "cost": {"currency": "USD", "estimated": float(estimate.get("est_cost") or 0.0),
                 "actual": round(actual, 4)},
        "estimate": {"seconds": estimate.get("est_seconds"), "notes": estimate.get("notes")},
        "timings": {n: e.get("seconds", 0.0) for n, e in steps.items()},
        "steps": {n: e["status"] for n, e in steps.items()},
        "skipped": skipped,
        "elapsed_s": round(time.time() - float(state.get("started") or time.time()), 3),
        "render": state.get("render"),
        "publish": state.get("publish"),
        "audio": state.get("audio"),
        "missing_references": state.get("missing") or [],
        "error": failed,
    }


def report_path(run: AssembleRun) -> Path:
    """``renders/<scene>-director.report.json`` (beside the render)."""
    render = run.state.get("render")
    if render:
        return Path(render).with_suffix(".report.json")
    return run._render_path().with_suffix(".report.json")  # noqa: SLF001


def save_report(run: AssembleRun, report: dict[str, Any]) -> Path:
    path = report_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(report, indent=2, ensure_ascii=False),
                             encoding="utf-8")
    return path
