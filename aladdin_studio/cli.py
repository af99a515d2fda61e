"""``aladdin-studio`` command line: project commands and the editor.

User errors (bad paths, refused edits, damaged files, bad settings) print one
line to stderr and exit with status 2; there is no traceback for them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .config import ConfigError
from .timeline import schema as S
from .timeline.errors import TimelineError
from .timeline.probe import MediaProbeError

EXIT_USER_ERROR = 2


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from None
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("width and height must be positive even numbers")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aladdin-studio",
                                     description="Video editor with AI generation on the timeline.")
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("open", help="open the editor (on PROJECT, or the last/sample project)")
    p.add_argument("project", nargs="?")
    p.add_argument("--recover", action="store_true", help="open the autosaved recovery state")

    p = sub.add_parser("demo", help="build the offline sample project")
    p.add_argument("path")
    p.add_argument("--size", type=_size, default=None)
    p.add_argument("--fps", type=int, default=None)
    p.add_argument("--clip-seconds", type=float, default=7.0)
    p.add_argument("--force", action="store_true", help="rebuild if it exists")

    p = sub.add_parser("new", help="create an empty project (NAME.aladdin or FILE.otio)")
    p.add_argument("path")
    p.add_argument("--size", type=_size, default=None)
    p.add_argument("--fps", type=float, default=None)

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
    p.add_argument("--range", nargs=2, type=float, metavar=("START", "END"),
                   help="render only this time range, in seconds")
    p.add_argument("--segments", type=int, default=1,
                   help="render as N independent segments joined losslessly")
    p.add_argument("--duck-db", type=float, default=-12.0,
                   help="how far music ducks under dialogue (dB, default -12)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from .config import load_settings
        from .logs import setup_logging

        settings = load_settings()
        setup_logging(args.log_level, secrets=settings.secrets())
        handler = COMMANDS.get(args.command or "open")
        return handler(args, settings) or 0
    except (TimelineError, MediaProbeError, ConfigError, OSError) as exc:
        print(f"aladdin-studio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("aladdin-studio: cancelled", file=sys.stderr)
        return 130


def cmd_open(args: argparse.Namespace, settings: Any) -> int:
    from .app import run_editor

    return run_editor(getattr(args, "project", None), recover=getattr(args, "recover", False),
                      settings=settings)


def cmd_demo(args: argparse.Namespace, settings: Any) -> int:
    from .demo import build_demo

    size = args.size or settings.resolution
    fps = args.fps or settings.video_default_fps
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
    from .timeline import commands as C
    from .timeline.media import bin_entries, bin_entry, clip_for_media
    from .timeline.probe import probe
    from .timeline.project_io import load, save
    from .timeline.undo import UndoStack

    project = load(args.project)
    stack = UndoStack(project)
    entries = bin_entries(project)
    known = {e["url"] for e in entries}
    failures = 0
    clips = []
    scene = project.scene(args.scene)
    track = None
    if args.append_to:
        track = next((t for t in scene.tracks if t.name == args.append_to), None)
        if track is None:
            names = ", ".join(t.name for t in scene.tracks)
            raise TimelineError(f"No track named {args.append_to!r}; tracks: {names}.")
    for name in args.files:
        try:
            info = probe(name)
        except MediaProbeError as exc:
            print(f"aladdin-studio: skipped: {exc}", file=sys.stderr)
            failures += 1
            continue
        entry = bin_entry(project, name, info)
        if entry["url"] not in known:
            entries.append(entry)
            known.add(entry["url"])
        if track is not None:
            clips.append(clip_for_media(project, name, scene, info=info,
                                        audio=S.is_audio(track)))
        print(f"Imported {name}")
    commands: list[C.Command] = [C.SetProjectMeta("bin", entries, "Import Media")]
    commands += [C.AppendClip(track, clip) for clip in clips]
    stack.push(C.Macro("Import Media", commands))
    save(project)
    return EXIT_USER_ERROR if failures else 0


def describe(project: Any) -> dict[str, Any]:
    """A JSON-safe summary of the project for ``info``."""
    from .timeline.layout import layout, track_end

    scenes = []
    for scene in project.scenes:
        rate = S.scene_rate(scene)
        tracks = []
        for track in scene.tracks:
            items = []
            for slot in layout(track, rate):
                item = slot.item
                entry: dict[str, Any] = {"type": type(item).__name__.lower(),
                                         "start": slot.start / rate, "end": slot.end / rate}
                if slot.is_clip:
                    ref = item.media_reference
                    entry.update(name=item.name, media=getattr(ref, "target_url", None),
                                 source_in=S.frames_exact(item.source_range.start_time, rate)
                                 / rate,
                                 speed=S.clip_speed(item),
                                 takes=list(item.media_references()),
                                 active_take=item.active_media_reference_key,
                                 offline=getattr(ref, "target_url", None) in project.offline)
                elif slot.is_transition:
                    entry.update(kind=S.transition_kind(item).value,
                                 duration=(slot.end - slot.start) / rate,
                                 direction=S.transition_direction(item).value,
                                 easing=S.transition_easing(item).value)
                items.append(entry)
            tracks.append({"name": track.name, "kind": "audio" if S.is_audio(track) else "video",
                           "role": S.track_role(track).value,
                           "locked": S.track_flag(track, "locked"),
                           "duration": track_end(track, rate) / rate, "items": items})
        duration = max((t["duration"] for t in tracks), default=0.0)
        scenes.append({"name": scene.name, "fps": rate, "size": list(S.scene_size(scene)),
                       "duration": duration, "tracks": tracks,
                       "markers": [{"name": m.name,
                                    "time": S.frames_exact(m.marked_range.start_time, rate) / rate}
                                   for m in scene.tracks.markers]})
    return {"name": project.name, "file": str(project.location.file) if project.location else None,
            "scenes": scenes, "offline_media": sorted(project.offline),
            "warnings": project.warnings, "recovery_available": project.recovery_available}


def cmd_info(args: argparse.Namespace, settings: Any) -> int:
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
        print(f"  Scene {scene['name']}: {scene['duration']:.2f} s at {scene['fps']:g} fps, "
              f"{scene['size'][0]}x{scene['size'][1]}")
        for track in scene["tracks"]:
            clips = [i for i in track["items"] if i["type"] == "clip"]
            trans = [i for i in track["items"] if i["type"] == "transition"]
            print(f"    {track['kind']:5} {track['name']} ({track['role']}): {len(clips)} clips, "
                  f"{len(trans)} transitions, {track['duration']:.2f} s")
            for item in track["items"]:
                if item["type"] == "clip":
                    flag = " [offline]" if item["offline"] else ""
                    print(f"      {item['start']:7.2f}–{item['end']:7.2f}  {item['name']}{flag}")
                elif item["type"] == "transition":
                    print(f"      {item['start']:7.2f}–{item['end']:7.2f}  ({item['kind']} "
                          f"{item['duration']:.2f} s)")
    for warning in data["warnings"]:
        print(f"  note: {warning}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Any) -> int:
    from .timeline.interchange import export
    from .timeline.project_io import load

    project = load(args.project)
    for warning in export(project, args.format, args.output, args.scene):
        print(f"aladdin-studio: note: {warning}", file=sys.stderr)
    print(f"Exported {args.format} to {args.output}")
    return 0


def cmd_render(args: argparse.Namespace, settings: Any) -> int:
    from .render.export import RenderError, render_scene
    from .render.plan import build_plan
    from .render.presets import default_preset, get_preset
    from .render.progress_bar import ProgressBar
    from .timeline.project_io import load

    try:
        preset = (get_preset(args.preset) if args.preset else
                  default_preset(settings.video_default_resolution, settings.video_default_fps))
    except KeyError as exc:
        print(f"aladdin-studio: error: {exc.args[0]}", file=sys.stderr)
        return EXIT_USER_ERROR
    project = load(args.project)
    plan = build_plan(project.scene(args.scene), project.resolve_media)
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    cache = project.location.cache_dir if project.location else None
    try:
        result = render_scene(plan, args.output, preset, time_range=args.range,
                              segments=args.segments, progress=bar, cache_dir=cache,
                              duck_db=args.duck_db)
    except RenderError as exc:
        print(f"aladdin-studio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
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


COMMANDS = {"open": cmd_open, "demo": cmd_demo, "new": cmd_new, "import": cmd_import,
            "info": cmd_info, "export": cmd_export, "render": cmd_render}

if __name__ == "__main__":
    sys.exit(main())
