"""The director's commands: ``assemble`` (a brief → a scene, rendered, reported) and
``brief`` (a scene → a brief file). They translate arguments into
:mod:`aladdin_studio.director` calls; user errors surface as one line and exit status 2
through ``cli.main``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["DIRECTOR_COMMANDS", "add_director_parsers"]


def add_director_parsers(sub: Any) -> None:
    p = sub.add_parser("assemble", help="turn a scene brief (YAML/JSON) into a generated, "
                                        "verified, voiced, rendered scene with a report")
    p.add_argument("project")
    p.add_argument("--brief", required=True, help="the brief file (resources/briefs/ has "
                                                  "an example and the schema)")
    p.add_argument("--preset", help="render preset (default: the brief's, else draft)")
    p.add_argument("--publish", action="store_true", default=None,
                   help="publish the render (default: the brief's 'publish')")
    p.add_argument("--provider", choices=("fal", "local"),
                   help="generation provider (default: the setting)")
    p.add_argument("--continue-without-missing", action="store_true",
                   help="go on when a reference is missing (its shots lose it; a shot "
                        "whose method needs it gets a slate)")
    p.add_argument("--retries", type=int, default=2, choices=range(0, 6), metavar="N",
                   help="regenerate a shot failing its quality check up to N times "
                        "(default 2)")
    p.add_argument("--wait", action="store_true",
                   help="run the job here and print its progress and report")
    p.add_argument("--json", action="store_true", help="print the job (and report) as JSON")

    p = sub.add_parser("brief", help="write a scene brief from a scene of a project")
    p.add_argument("project")
    p.add_argument("--scene", help="scene name or id (default: the first)")
    p.add_argument("-o", "--output", required=True, help="the brief file (.yaml or .json)")


def _queue(settings: Any, provider: str | None) -> Any:
    from .services.jobs import open_queue

    return open_queue(settings, provider=provider)


def _progress_line(job: Any) -> str:
    state = (job.info or {}).get("director") or {}
    shots = state.get("shots") or []
    grid = " ".join(f"{s['index']}:{s['status'][:4]}" for s in shots)
    return f"  {int(job.progress * 100):3d}%  {job.message or 'Waiting for a worker'}" + \
        (f"  [{grid}]" if grid else "")


def _wait(queue: Any, job_id: str, out: Any) -> Any:
    from .cli import progress_printer
    from .services.jobs import run_until_done

    workers = int(queue.settings.max_concurrent_generations) + 3  # + this job, voice, render
    return run_until_done(queue, job_id, workers=workers, poll_s=0.1,
                          on_progress=progress_printer(out, _progress_line))


def _print_report(report: dict[str, Any]) -> None:
    print(f"Scene '{report['scene']}': {report['status'].upper()} — {report['summary']}")
    for shot in report["outputs"]:
        score = "-" if shot["qualityScore"] is None else f"{shot['qualityScore']:.2f}"
        extra = f"  ({shot['reason']})" if shot.get("reason") else ""
        if shot.get("passed") is False and shot["status"] == "done":
            checks = ", ".join(shot.get("failedChecks") or []) or "overall score"
            extra += f"  FAILS QUALITY: {checks}"
        print(f"  shot {shot['shot']} {shot['name']!r}: {shot['status']}, quality {score}, "
              f"{shot['attempts']} attempt(s){extra}")
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in report["timings"].items() if v)
    print(f"  time: {timings}")
    cost = report["cost"]
    print(f"  cost: estimated ${cost['estimated']:.2f}, actual ${cost['actual']:.2f}")
    for step, why in (report.get("skipped") or {}).items():
        print(f"  skipped {step}: {why}")
    for issue in report["issues"]:
        print(f"  issue: {issue}")
    for suggestion in report["suggestions"][:5]:
        print(f"  suggestion: {suggestion}")
    if report.get("render"):
        print(f"  render: {report['render']}")


def cmd_assemble(args: argparse.Namespace, settings: Any) -> int:
    from .director.service import submit_brief
    from .timeline.document import ProjectLocation

    location = ProjectLocation.for_path(args.project)
    if not location.file.is_file():
        from .timeline.errors import ProjectFileError  # one line and exit 2 in cli.main

        raise ProjectFileError(f"No project at {args.project}.")
    queue = _queue(settings, args.provider)
    job = submit_brief(queue, location.file, Path(args.brief), preset=args.preset,
                       publish=args.publish,
                       continue_without_missing=args.continue_without_missing,
                       max_retries=args.retries)
    out = sys.stderr if args.json else sys.stdout
    estimate = (job.info or {}).get("estimate") or {}
    if not args.json:
        print(f"Queued scene assembly {job.id[:8]} for '{job.scene}': "
              f"est. ${job.est_cost:.2f}, about {float(estimate.get('est_seconds') or 0) / 60:.1f}"
              f" min with {estimate.get('provider') or job.provider}")
        for missing in estimate.get("missing") or []:
            print(f"  missing: {missing['message']}")
    if not args.wait:
        if not args.json:
            print("Run `aladdin-studio assemble --wait`, `aladdin-studio worker` or the editor "
                  "to make it; `aladdin-studio jobs` shows its progress.")
        else:
            print(json.dumps({"job": job.id, "status": job.status, "estimate": estimate},
                             indent=2))
        return 0
    job = _wait(queue, job.id, out)
    state = (job.info or {}).get("director") or {}
    report = state.get("report")
    if args.json:
        print(json.dumps({"job": job.id, "status": job.status, "error": job.error_message,
                          "report": report, "report_path": state.get("report_path")},
                         indent=2))
    elif report:
        _print_report(report)
        if state.get("report_path"):
            print(f"  report: {state['report_path']}")
    if job.status != "succeeded":
        print(f"aladdin-studio: error: scene assembly {job.status}: "
              f"{job.error_message or job.message}", file=sys.stderr)
        return 2
    return 0


def cmd_brief(args: argparse.Namespace, settings: Any) -> int:
    from .director.from_scene import brief_from_scene
    from .files import atomic_path
    from .timeline.project_io import load

    project = load(args.project)
    scene = project.scene(args.scene)
    out = Path(args.output)
    brief = brief_from_scene(project, scene, out.absolute().parent)
    text = json.dumps(brief.to_dict(), indent=2, ensure_ascii=False) + "\n" \
        if out.suffix.lower() == ".json" else brief.to_yaml()
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(f"Wrote the brief of '{scene.name}' ({len(brief.shots)} shot(s)) to {out}")
    return 0


DIRECTOR_COMMANDS = {"assemble": cmd_assemble, "brief": cmd_brief}
