"""``aladdin-studio`` command line: project commands and the editor.

User errors (bad paths, refused edits, damaged files, bad settings) print one
line to stderr and exit with status 2; there is no traceback for them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .cli_args import (
    OneLineParser,
    command_names,
    number,
    route_path_to_open,
    stdio_never_fails_on_names,
)
from .errors import AladdinError
from .services.describe import describe  # noqa: F401 - ``info``; also imported from here
from .timeline import schema as S
from .timeline.errors import TimelineError

EXIT_USER_ERROR = 2


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from None
    if w <= 0 or h <= 0 or w % 2 or h % 2 or max(w, h) > 16384:
        raise argparse.ArgumentTypeError("width and height must be even numbers from 2 to "
                                         "16384")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="aladdin-studio",
                           description="Video editor with AI generation on the timeline.")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--version", action="version", version=f"aladdin-studio {_version()}")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("open", help="open the editor (on PROJECT, or the last/sample project)")
    p.add_argument("project", nargs="?")
    p.add_argument("--recover", action="store_true", help="open the autosaved recovery state")

    p = sub.add_parser("demo", help="build the offline sample project")
    p.add_argument("path")
    p.add_argument("--size", type=_size, default=None)
    p.add_argument("--fps", type=number(1, 240, integer=True), default=None)
    p.add_argument("--clip-seconds", type=number(0.5, 3600, unit="s"), default=7.0)
    p.add_argument("--force", action="store_true", help="rebuild if it exists")

    p = sub.add_parser("new", help="create an empty project (NAME.aladdin or FILE.otio)")
    p.add_argument("path")
    p.add_argument("--size", type=_size, default=None)
    p.add_argument("--fps", type=number(1, 240), default=None)

    p = sub.add_parser("import", help="add media files to a project's media bin")
    p.add_argument("project")
    p.add_argument("files", nargs="+")
    p.add_argument("--append-to", metavar="TRACK",
                   help="also append each file as a clip to this track of the first scene")
    p.add_argument("--scene")

    p = sub.add_parser("info", help="scenes, tracks, clips, transitions and durations")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.add_argument("--recover", action="store_true")

    p = sub.add_parser("export", help="export as OTIO, OTIOZ (with media), EDL or FCP XML")
    p.add_argument("project")
    p.add_argument("--format", required=True, choices=["otio", "otioz", "edl", "fcpxml"])
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--scene")

    p = sub.add_parser("render", help="render a scene to a video file (MP4 or ProRes MOV)")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--scene")
    p.add_argument("--preset", help="1080p24 (default), 720p, vertical, draft or prores")
    p.add_argument("--range", nargs=2, type=number(0, 86400, unit="s"),
                   metavar=("START", "END"),
                   help="render only this time range, in seconds")
    p.add_argument("--segments", type=number(1, 64, integer=True), default=1,
                   help="render as N independent segments joined losslessly")
    p.add_argument("--duck-db", type=number(-60, 0, unit="dB"), default=-12.0,
                   help="how far music ducks under dialogue (dB, default -12)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    _add_generation_parsers(sub)
    from .cli_voice import add_voice_parsers

    add_voice_parsers(sub)
    from .cli_publish import add_publish_parsers

    add_publish_parsers(sub)
    from .cli_quality import add_quality_parsers

    add_quality_parsers(sub)
    from .cli_director import add_director_parsers

    add_director_parsers(sub)

    p = sub.add_parser("serve", help="the automation API (HTTP + WebSocket) on this machine")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=None,
                   help="port to listen on (default: the api_port setting, "
                        "ALADDIN_API_PORT, 8765)")
    p.add_argument("--allow-remote", action="store_true",
                   help="required to bind an address other machines can reach")
    p.add_argument("--show-token", action="store_true",
                   help="print the API token (made on first use) and exit")
    return parser


def _add_generation_parsers(sub: Any) -> None:
    from .generation.request import ASPECTS, INTERPOLATIONS, METHODS, MOTIONS, TIERS

    p = sub.add_parser("generate", help="generate a clip (AI or local animatic) onto the "
                                        "timeline")
    p.add_argument("project")
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--prompt", required=True)
    p.add_argument("--negative", default="", help="negative prompt")
    p.add_argument("--image", help="the image (image-to-video, composite-to-video)")
    p.add_argument("--first", help="the first frame (first-last-frame)")
    p.add_argument("--last", help="the last frame (first-last-frame)")
    p.add_argument("--video", help="a source video to restyle (composite-to-video)")
    p.add_argument("--duration", type=number(0.1, 3600, unit="s"), default=None,
                   help="seconds, 1 to 7 (default: video_default_duration)")
    p.add_argument("--aspect", choices=ASPECTS, default="16:9")
    p.add_argument("--provider", choices=["fal", "local"],
                   help="who generates (default: the provider setting)")
    p.add_argument("--quality", choices=TIERS, default="standard")
    p.add_argument("--model", help="a model id from the registry (default: the tier's)")
    p.add_argument("--seed", type=number(0, 2**32 - 1, integer=True))
    p.add_argument("--style", default="")
    p.add_argument("--camera", default="", help="camera movement, free text")
    p.add_argument("--motion", choices=[m for m in MOTIONS if m], default="")
    p.add_argument("--interpolation", choices=INTERPOLATIONS, default="smooth")
    p.add_argument("--character-ref", metavar="F", help="character reference: a file (named "
                   "after its stem, or NAME=F) or the id of one in the project's library")
    p.add_argument("--location-ref", metavar="F", help="location reference: file, NAME=F or id")
    p.add_argument("--scene", help="scene name (default: the first)")
    p.add_argument("--track", help="video track name or number (default: the first)")
    p.add_argument("--at", type=number(0, 86400, unit="s"), metavar="SECONDS",
                   help="where the clip starts (default: the end of the track)")
    p.add_argument("--insert", action="store_true",
                   help="push later clips right instead of overwriting")
    p.add_argument("--new-take", action="store_true",
                   help="regenerate the clip at --at: the result becomes its new take")
    p.add_argument("--wait", action="store_true",
                   help="run the job here and put the result on the timeline")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("jobs", help="the generation jobs of a project and what they cost")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.add_argument("--apply", action="store_true",
                   help="put finished results on the timeline and save")
    p.add_argument("--limit", type=number(1, 100_000, integer=True), default=200)

    p = sub.add_parser("worker", help="run generation jobs until interrupted")
    p.add_argument("--workers", type=number(1, 64, integer=True), default=None)
    p.add_argument("--redis-url")
    p.add_argument("--store", help="job ledger file (default: in the data dir)")
    p.add_argument("--queue-file", help="SQLite queue file when Redis is not used")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aladdin-studio")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    stdio_never_fails_on_names()
    parser = build_parser()
    argv = route_path_to_open(list(sys.argv[1:] if argv is None else argv),
                              command_names(parser))
    args = parser.parse_args(argv)
    previous_term = _terminate_like_interrupt(args.command or "open")
    try:
        from .config import load_settings
        from .logs import setup_logging

        settings = load_settings()
        setup_logging(args.log_level, secrets=settings.secrets())
        handler = COMMANDS.get(args.command or "open")
        status = handler(args, settings) or 0
        _register_project(args)
        return status
    except BrokenPipeError:  # `aladdin-studio info P | head`: the reader has had enough
        return _quiet_broken_pipe()
    except (AladdinError, OSError) as exc:  # every user-facing error, and the OS's
        print(f"aladdin-studio: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("aladdin-studio: cancelled", file=sys.stderr)
        return 130
    finally:
        if previous_term is not None:  # in-process callers (tests, the API) get theirs back
            import signal

            signal.signal(signal.SIGTERM, previous_term)


def _terminate_like_interrupt(command: str) -> Any:
    """SIGTERM (``kill``, a service manager, a closing terminal) unwinds like Ctrl+C, so a
    render or save removes its temporary files instead of leaving them behind. The editor,
    the API server and the worker handle their own signals. Returns the previous handler."""
    import signal
    import threading

    if command in ("open", "serve", "worker") or \
            threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _quiet_broken_pipe() -> int:
    """Point stdout at /dev/null so the interpreter's final flush cannot complain, and exit
    as a process killed by SIGPIPE would (128 + 13), silently, like cat or grep."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _write_lock(project: str, command: str) -> Any:
    """The project's writer lock for a CLI write command (refused while another writer,
    e.g. the editor, has the project)."""
    from .timeline.project_lock import acquire

    return acquire(project, f"aladdin-studio {command}")


def _register_project(args: argparse.Namespace) -> None:
    """Add the project a command created or opened to the registry the API addresses."""
    from .project_registry import project_file, try_register

    path = getattr(args, "project", None) or (getattr(args, "path", None)
                                               if args.command in ("new", "demo") else None)
    if path and project_file(path).is_file():
        try_register(path)


def cmd_open(args: argparse.Namespace, settings: Any) -> int:
    from .app import run_editor

    return run_editor(getattr(args, "project", None), recover=getattr(args, "recover", False),
                      settings=settings)


def cmd_demo(args: argparse.Namespace, settings: Any) -> int:
    from .demo import build_demo

    size = args.size or settings.resolution
    fps = args.fps or settings.video_default_fps
    import contextlib
    from pathlib import Path

    rebuild = args.force and Path(args.path).exists()  # never under an open editor's feet
    with _write_lock(args.path, "demo --force") if rebuild else contextlib.nullcontext():
        project = build_demo(args.path, size=size, fps=fps, clip_seconds=args.clip_seconds,
                             force=args.force)
    print(f"Sample project written to {project.location.root}")
    return 0


def cmd_new(args: argparse.Namespace, settings: Any) -> int:
    from .timeline.project_io import new_project

    project = new_project(args.path, fps=args.fps or settings.video_default_fps,
                          size=args.size or settings.resolution,
                          max_clips=settings.max_clips_per_scene)
    print(f"Created {project.location.file}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Any) -> int:
    from .services.session import ProjectSession

    with ProjectSession.open(args.project, writer="aladdin-studio import") as session:
        return _import(args, session)


def _import(args: argparse.Namespace, session: Any) -> int:
    from .services.media import import_command, plan_import

    project = session.project
    scene = project.scene(args.scene)
    track = None
    if args.append_to:
        track = next((t for t in scene.tracks if t.name == args.append_to), None)
        if track is None:
            names = ", ".join(t.name for t in scene.tracks)
            raise TimelineError(f"No track named {args.append_to!r}; tracks: {names}.")
    plan = plan_import(project, args.files)
    for _path, exc in plan.failed:
        print(f"aladdin-studio: skipped: {exc}", file=sys.stderr)
    session.push(import_command(project, plan, append_to=track, scene=scene, always=True))
    session.save()
    from .timeline.names import printable

    for path, _info in plan.readable:  # only once the save has succeeded
        print(f"Imported {printable(path)}")
    return EXIT_USER_ERROR if plan.failed else 0


def cmd_info(args: argparse.Namespace, settings: Any) -> int:
    from .timeline.names import clean_name as show  # one line each, whatever a name holds
    from .timeline.names import printable
    from .timeline.project_io import load

    project = load(args.project, recover=args.recover)
    data = describe(project)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"Project {data['name']} ({data['file']})")
    if data["recovery_available"]:
        print("  A newer autosave exists: open with --recover to restore it.")
    for scene in data["scenes"]:
        print(f"  Scene {show(scene['name'])}: {scene['duration']:.2f} s at {scene['fps']:g} fps, "
              f"{scene['size'][0]}x{scene['size'][1]}")
        for track in scene["tracks"]:
            clips = [i for i in track["items"] if i["type"] == "clip"]
            trans = [i for i in track["items"] if i["type"] == "transition"]
            print(f"    {track['kind']:5} {show(track['name'])} ({track['role']}): "
                  f"{len(clips)} clips, {len(trans)} transitions, {track['duration']:.2f} s")
            for item in track["items"]:
                if item["type"] == "clip":
                    flag = " [offline]" if item["offline"] else ""
                    if item.get("outside_project"):
                        flag += " [outside the project folder]"
                    generation = item.get("generation") or {}
                    if generation.get("placeholder"):
                        flag += f" [generation {generation.get('status') or 'queued'}]"
                    print(f"      {item['start']:7.2f}–{item['end']:7.2f}  {show(item['name'])}"
                          f"{flag}")
                elif item["type"] == "transition":
                    print(f"      {item['start']:7.2f}–{item['end']:7.2f}  ({item['kind']} "
                          f"{item['duration']:.2f} s)")
    if data.get("media_outside_project"):
        paths = ", ".join(map(printable, data["media_outside_project"]))
        print(f"  note: {len(data['media_outside_project'])} media file(s) outside the project "
              f"folder: {paths}")
    for warning in data["warnings"]:
        print(f"  note: {warning}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Any) -> int:
    from .timeline.interchange import export
    from .timeline.names import printable
    from .timeline.project_io import load

    project = load(args.project)
    for warning in export(project, args.format, args.output, args.scene):
        print(f"aladdin-studio: note: {printable(warning)}", file=sys.stderr)
    print(f"Exported {args.format} to {args.output}")
    return 0


def cmd_render(args: argparse.Namespace, settings: Any) -> int:
    from .render.progress_bar import ProgressBar
    from .services.render import preset_for, render_project
    from .timeline.project_io import load

    preset = preset_for(args.preset, settings)  # a PresetError is reported by main
    project = load(args.project)
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    try:  # a RenderError or OutputPathError (AladdinErrors) is reported by main
        result = render_project(project, args.output, preset, scene=args.scene,
                                time_range=args.range, segments=args.segments,
                                duck_db=args.duck_db, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    for notice in result.notices:
        print(f"aladdin-studio: note: {notice}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"Rendered {result.path}: {result.width}x{result.height} {result.fps:g} fps, "
              f"{result.duration:.2f} s in {result.seconds:.1f} s "
              f"({result.frames / max(result.seconds, 1e-6):.1f} fps)")
    return 0


# --- generation -----------------------------------------------------------------------


def _generation(settings: Any, *, provider: str | None = None) -> Any:
    """(queue, store) for the CLI: the job ledger and SqliteHuey (or Redis) queue in the data
    dir, with ``provider`` overriding the provider setting."""
    from .services.jobs import open_queue

    queue = open_queue(settings, provider=provider)
    return queue, queue.store


def _video_track(scene: Any, spec: str | None) -> Any:
    video = [t for t in scene.tracks if not S.is_audio(t)]
    if spec is None:
        return None
    if spec.isdigit():
        index = int(spec)
        if not 1 <= index <= len(video):
            raise TimelineError(f"Scene '{scene.name}' has {len(video)} video track(s); "
                                f"there is no track {index}.")
        return video[index - 1]
    return spec


def _job_summary(job: Any) -> dict[str, Any]:
    from .services.jobs import job_summary

    return job_summary(job)


def _land(service: Any, session: Any, job_ids: set[str] | None = None, **options: Any) -> Any:
    """Land the finished jobs (all, or ``job_ids``) with ``services.generation`` as edits of
    ``session``; refusals are noted on stderr. Returns the Landing."""
    from .services.generation import land_finished

    landing = land_finished(service, session.push, job_ids=job_ids, **options)
    for job_id, reason in landing.refused:
        print(f"aladdin-studio: note: job {job_id[:8]}: {reason}", file=sys.stderr)
    return landing


def progress_printer(out: Any, line_of: Callable[[Any], str]) -> Callable[[Any], None]:
    """An ``on_progress`` for ``services.jobs.run_until_done``: prints ``line_of(job)`` to
    ``out`` whenever it changes."""
    last: list[str | None] = [None]

    def show(job: Any) -> None:
        line = line_of(job)
        if line != last[0]:
            print(line, file=out, flush=True)
            last[0] = line

    return show


def _wait(queue: Any, store: Any, job_id: str, out: Any, workers: int) -> Any:
    """Run an embedded consumer until ``job_id`` is done, printing progress lines."""
    from .services.jobs import run_until_done

    return run_until_done(queue, job_id, workers=workers, on_progress=progress_printer(
        out, lambda job: f"  {int(job.progress * 100):3d}%  {job.status:9}  "
                         f"{job.message or 'Waiting for a worker'}"))


def cmd_generate(args: argparse.Namespace, settings: Any) -> int:
    from .services.session import ProjectSession

    with ProjectSession.open(args.project, writer="aladdin-studio generate") as session:
        return _generate(args, settings, session)


def _generate(args: argparse.Namespace, settings: Any, session: Any) -> int:
    from pathlib import Path

    from .generation import references as R
    from .generation.request import GenerationRequest
    from .generation.service import GenerationService

    project = session.project
    queue, store = _generation(settings, provider=args.provider)
    service = GenerationService(project, queue, store)

    named: list[tuple[Path, str, str]] = []

    def ref(value: str | None, kind: str) -> Path | None:
        """A reference file or library id; ``NAME=F`` names a new library entry NAME."""
        if not value:
            return None
        name, _, file = value.partition("=")
        if file and name.strip() and not Path(value).exists():
            path = R.resolve_reference(project, file)
            named.append((path, name.strip(), kind))
            return path
        return R.resolve_reference(project, value)

    duration = args.duration if args.duration is not None else settings.video_default_duration
    request = GenerationRequest(
        args.method, args.prompt, negative_prompt=args.negative, style=args.style,
        aspect=args.aspect, duration=duration, image=args.image, first_frame=args.first,
        last_frame=args.last, video=args.video, motion=args.motion, camera=args.camera,
        interpolation=args.interpolation, quality=args.quality, model=args.model,
        seed=args.seed, character_ref=ref(args.character_ref, "character"),
        location_ref=ref(args.location_ref, "location"))
    request.validate(queue.registry)  # the user's mistakes before any placement question
    for path, name, kind in named:  # NAME=F: a library entry named NAME (if F is new)
        if R.reference_id_for(project, path, kind=kind) is None:
            session.push(R.add_reference(project, path, kind, name))
    scene = project.scene(args.scene)
    rate = S.scene_rate(scene)
    track = _video_track(scene, args.track)
    at = None if args.at is None else S.seconds_to_frames(args.at, rate)
    clip = None
    if args.new_take:
        if at is None:
            raise TimelineError("--new-take needs --at: the time of the clip to regenerate.")
        from .services.placement import clip_at, generation_track

        target = generation_track(scene, track)
        clip = clip_at(target, at, rate)
        if clip is None:
            raise TimelineError(f"There is no clip at {args.at:g} s on track "
                                f"'{target.name}' to add a take to.")
    from .generation import placement as P
    from .services.generation import submit_placed

    # The job runs only once its placeholder is saved: a failed placement or save (or an
    # unreachable queue) abandons it instead of leaving a paid job nobody will land.
    job = submit_placed(service, request, session.push, save=session.save, scene=scene,
                        track=track, at=at, clip=clip, new_take=args.new_take,
                        insert=args.insert)
    placed = next(c for c, j in P.find_generation_clips(project) if j == job.id)
    out = sys.stderr if args.json else sys.stdout
    if not args.json:
        cost = f"est. ${job.est_cost:.2f}"
        print(f"Queued job {job.id[:8]}: {request.method} with {job.model} ({cost}); clip "
              f"'{placed.name}' on {scene.name}/{placed.parent().name} at "
              f"{S.frames(placed.range_in_parent().start_time, rate) / rate:.2f} s")
    failed = None
    if args.wait:
        job = _wait(queue, store, job.id, out, settings.max_concurrent_generations)
        _land(service, session, {job.id})
        session.save()
        if job.status != "succeeded":
            failed = job.error_message or job.message or job.status
    elif not job.done and not args.json:
        print("Run `aladdin-studio generate --wait`, `aladdin-studio worker` or the editor to "
              "generate it; `aladdin-studio jobs` shows its progress.")
    if job.done and not args.wait:  # a cache hit: its result is ready now
        _land(service, session, {job.id})
        session.save()
    job = store.get(job.id)
    ref_now = placed.media_reference
    summary = {"project": str(project.location.file), "job": _job_summary(job),
               "clip": {"name": placed.name, "scene": scene.name, "track": placed.parent().name,
                        "start": S.frames(placed.range_in_parent().start_time, rate) / rate,
                        "duration": S.frames(placed.source_range.duration, rate) / rate,
                        "active_take": placed.active_media_reference_key,
                        "takes": list(placed.media_references()),
                        "media": getattr(ref_now, "target_url", None),
                        "placeholder": P.is_placeholder(placed)}}
    if args.json:
        print(json.dumps(summary, indent=2))
    elif job.status == "succeeded" and not P.is_placeholder(placed):
        print(f"Generated {summary['clip']['active_take']} of '{placed.name}': "
              f"{summary['clip']['media']} (cost ${job.actual_cost or 0.0:.2f})")
    if failed is not None:
        print(f"aladdin-studio: error: generation {job.status}: {failed}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def cmd_jobs(args: argparse.Namespace, settings: Any) -> int:
    from .services.session import ProjectSession

    writer = "aladdin-studio jobs --apply" if args.apply else None  # listing: read-only
    with ProjectSession.open(args.project, writer=writer) as session:
        return _jobs(args, settings, session)


def _jobs(args: argparse.Namespace, settings: Any, session: Any) -> int:
    from .generation.service import GenerationService
    from .services.jobs import JobsService, job_summary

    project = session.project
    queue, store = _generation(settings)
    service = GenerationService(project, queue, store)
    if args.apply:
        # held jobs whose submitter died are released or abandoned; results whose clip is
        # gone go into the media bin
        landing = _land(service, session, reconcile=True, orphans=True)
        if landing.changed:
            session.save()
        if not args.json:
            print(f"Applied {len(landing.landed)} finished job(s).")
            if landing.orphans:
                print(f"Added {len(landing.orphans)} generated video(s) whose clip is no "
                      "longer on the timeline to the media bin.")
    jobs = service.jobs(limit=args.limit)
    rows = [job_summary(j) for j in jobs]
    spent = JobsService(store).spend(project.location.file)
    spend = spent.to_dict()
    if args.json:
        print(json.dumps({"project": str(project.location.file), "jobs": rows,
                          "spend": spend}, indent=2))
        return 0
    if not rows:
        print("No generation jobs for this project.")
    else:
        print(f"{'ID':8}  {'METHOD':18}  {'MODEL':26}  {'STATUS':9}  {'PROG':>4}  "
              f"{'EST':>6}  {'COST':>6}  {'CREATED':19}  ERROR")
    for row in rows:
        cost = "-" if row["actual_cost"] is None else f"${row['actual_cost']:.2f}"
        print(f"{row['id'][:8]:8}  {row['method'] or '':18}  {row['model']:26}  "
              f"{row['status']:9}  {int(row['progress'] * 100):3d}%  ${row['est_cost']:5.2f}  "
              f"{cost:>6}  {row['created']:19}  {row['error'] or ''}")
    print(f"Spent ${spent.actual:.2f} (estimated ${spent.estimated:.2f}) on "
          f"{spent.jobs} job(s).")
    return 0


def cmd_worker(args: argparse.Namespace, settings: Any) -> int:
    from .jobs import worker

    argv = ["--log-level", args.log_level]
    for flag, value in (("--workers", args.workers), ("--redis-url", args.redis_url),
                        ("--store", args.store), ("--queue-file", args.queue_file)):
        if value is not None:
            argv += [flag, str(value)]
    return worker.main(argv)


def cmd_serve(args: argparse.Namespace, settings: Any) -> int:
    from .api.access import api_token, is_loopback
    from .api.server import exposure_notice

    token = api_token()
    if args.show_token:
        print(token)
        return 0
    if args.port is None:
        args.port = settings.api_port
    if not is_loopback(args.host):
        if not args.allow_remote:
            print(f"aladdin-studio: error: {args.host} is reachable from other machines; "
                  "add --allow-remote to bind it anyway.", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"aladdin-studio: warning: {exposure_notice(args.host, args.port)}",
              file=sys.stderr)
    from .api import serve

    return serve(settings, args.host, args.port)


COMMANDS = {"open": cmd_open, "demo": cmd_demo, "new": cmd_new, "import": cmd_import,
            "info": cmd_info, "export": cmd_export, "render": cmd_render,
            "generate": cmd_generate, "jobs": cmd_jobs, "worker": cmd_worker,
            "serve": cmd_serve}


def _voice_commands() -> None:
    from .cli_voice import VOICE_COMMANDS

    COMMANDS.update(VOICE_COMMANDS)


_voice_commands()


def _publish_commands() -> None:
    from .cli_publish import PUBLISH_COMMANDS

    COMMANDS.update(PUBLISH_COMMANDS)


_publish_commands()


def _quality_commands() -> None:
    from .cli_quality import QUALITY_COMMANDS

    COMMANDS.update(QUALITY_COMMANDS)


_quality_commands()


def _director_commands() -> None:
    from .cli_director import DIRECTOR_COMMANDS

    COMMANDS.update(DIRECTOR_COMMANDS)


_director_commands()

if __name__ == "__main__":
    sys.exit(main())
