"""The publish and library commands of the CLI: ``publish``, ``media``, ``brain``. They
translate arguments into :mod:`aladdin_studio.publish` / :mod:`aladdin_studio.library` calls;
user errors surface as one line and exit status 2 through ``cli.main``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["PUBLISH_COMMANDS", "add_publish_parsers"]


def add_publish_parsers(sub: Any) -> None:
    p = sub.add_parser("publish", help="publish a scene's render and media to R2 (or the "
                                       "local publish folder) with a manifest")
    p.add_argument("project")
    p.add_argument("--scene", help="scene name or id (default: the first)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--render", metavar="FILE", help="an existing render of the scene")
    what.add_argument("--render-now", action="store_true", help="render the scene first")
    p.add_argument("--preset", help="render preset for --render-now (default 1080p24)")
    p.add_argument("--media", choices=("generated", "all"),
                   help="also publish the scene's generated clips (or all its media)")
    p.add_argument("--destination", choices=("auto", "r2", "local"), default="auto",
                   help="auto: R2 when its settings are there, else the local folder")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("media", help="search the media collection of a project")
    p.add_argument("project")
    p.add_argument("--character", help="a character reference name or id")
    p.add_argument("--location", help="a location reference name or id")
    p.add_argument("--method", help="text-to-video, image-to-video, render, import...")
    p.add_argument("--type", choices=("video", "audio", "image"))
    p.add_argument("--min-quality", type=float, metavar="Q", help="0..1")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("brain", help="ask the Brain: shots depicting a character, scenes set "
                                     "in a location, what a scene is made of")
    p.add_argument("project")
    p.add_argument("question", choices=("depicts", "set-in", "scene"))
    p.add_argument("name", help="the character, location or scene")
    p.add_argument("--json", action="store_true")


def _fail(message: str) -> int:
    """A finished job that failed: one line, exit 2 (bad input raises, mapped by cli.main)."""
    print(f"aladdin-studio: error: {message}", file=sys.stderr)
    return 2


def _bad_input(message: str) -> None:
    from .publish.errors import PublishError  # INVALID_INPUT: one line and exit 2 in cli.main

    raise PublishError(message)


def cmd_publish(args: argparse.Namespace, settings: Any) -> int:
    from pathlib import Path

    from .publish.job_kind import PublishPayload
    from .services.jobs import open_queue, run_until_done
    from .timeline.document import ProjectLocation

    if args.preset and not args.render_now:
        _bad_input("--preset goes with --render-now.")
    payload = PublishPayload(
        project=str(Path(args.project).absolute()), scene=args.scene,
        render=str(Path(args.render).absolute()) if args.render else None,
        render_now=args.render_now, preset=args.preset, media=args.media or "none",
        destination=args.destination)
    payload.validate()
    ProjectLocation.for_path(args.project)  # a project path, or one line now
    queue = open_queue(settings, backoff_base=2.0, poll_interval=1.0)
    job = queue.submit(payload, ProjectLocation.for_path(args.project).file)
    out = sys.stderr
    shown: dict[str, str] = {}

    def progress(job: Any) -> None:  # a line per file whose upload moved on
        for f in (job.info or {}).get("files") or []:
            line = f"{f['status']} {int(100 * f['done'] / max(f['size'], 1))}%"
            if shown.get(f["key"]) != line and not args.json:
                print(f"  {line:>16}  {f['name']}", file=out, flush=True)
                shown[f["key"]] = line

    job = run_until_done(queue, job.id, workers=2, on_progress=progress, poll_s=0.1)
    if job.status != "succeeded":
        return _fail(f"publish {job.status}: {job.error_message or job.message}")
    result = job.info["publish"]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for f in result["files"]:
        state = "unchanged" if f["skipped"] else "published"
        print(f"{state:9}  {f['kind']:6}  {f['key']}\n           {f['url']}")
    expiry = result["manifest"].get("urlExpiresAt")
    print(f"Manifest: {result['manifest']['url']}" + (f" (link expires {expiry})"
                                                     if expiry else ""))
    print(f"Local manifest: {result['manifest']['path']}")
    print(f"Sent {result['uploaded_bytes']} bytes to {result['where']}.")
    return 0


def _project_id(path: str) -> str:
    from .library.record import project_id
    from .timeline.project_io import load

    return project_id(load(path))


def cmd_media(args: argparse.Namespace, settings: Any) -> int:
    from .library.backends import open_media
    from .library.media import MediaQuery

    if args.page < 1:
        _bad_input("--page starts at 1.")
    query = MediaQuery(project_id=_project_id(args.project), type=args.type,
                       character=args.character, location=args.location, method=args.method,
                       min_quality=args.min_quality, limit=args.limit,
                       offset=(args.page - 1) * args.limit)
    repo = open_media(settings)
    try:
        docs = repo.find(query)
        total = repo.count(query)
    finally:
        repo.close()
    if args.json:
        print(json.dumps({"backend": repo.backend, "total": total, "page": args.page,
                          "media": [d.to_dict() for d in docs]}, indent=2))
        return 0
    if not docs:
        print(f"No media matches ({repo.backend}).")
        return 0
    for d in docs:
        m = d.metadata
        who = ", ".join(filter(None, [m.get("characterName"), *(m.get("characters") or [])]))
        where = ", ".join(filter(None, [m.get("locationName"), *(m.get("locations") or [])]))
        quality = m.get("qualityScore")
        print(f"{d.created_at:%Y-%m-%d %H:%M}  {d.type:5}  {m.get('method', ''):18}  "
              f"{m.get('name', d.id)[:28]:28}  {who or '-':16}  {where or '-':12}  "
              f"{'-' if quality is None else f'{quality:.2f}'}  {d.url}")
    print(f"{len(docs)} of {total} ({repo.backend}).")
    return 0


def cmd_brain(args: argparse.Namespace, settings: Any) -> int:
    from .library.backends import open_brain

    pid = _project_id(args.project)
    brain = open_brain(settings)
    try:
        if args.question == "depicts":
            answer: Any = brain.shots_depicting(pid, args.name)
            lines = [f"{m.get('name') or m['key']}  {m.get('url', '')}" for m in answer]
        elif args.question == "set-in":
            answer = brain.scenes_set_in(pid, args.name)
            lines = [str(s.get("name")) for s in answer]
        else:
            answer = brain.scene_contents(pid, args.name)
            lines = [f"{m.get('name') or m['key']}: depicts {', '.join(m['depicts']) or '-'}; "
                     f"set in {', '.join(m['setIn']) or '-'}" for m in answer["media"]]
            lines.append(f"Characters: {', '.join(answer['characters']) or '-'}; locations: "
                         f"{', '.join(answer['locations']) or '-'}; voices: "
                         f"{', '.join(answer['voices']) or '-'}")
        backend = brain.name
    finally:
        brain.close()
    if args.json:
        print(json.dumps({"backend": backend, "question": args.question, "name": args.name,
                          "answer": answer}, indent=2, default=str))
        return 0
    print("\n".join(lines) if lines else "Nothing found.")
    print(f"({backend})")
    return 0


PUBLISH_COMMANDS = {"publish": cmd_publish, "media": cmd_media, "brain": cmd_brain}
