"""The ``verify`` command: the design doc's ``VideoQualityResult`` for a clip of a project
(its active take) or any media file. Arguments become a :mod:`aladdin_studio.quality` call;
bad input (an unreadable file, a missing reference, an unknown clip) is one line and exit 2
through ``cli.main``; a clip that fails verification exits 1."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import AladdinError, ErrorKind

__all__ = ["QUALITY_COMMANDS", "add_quality_parsers"]

EXIT_FAILED = 1


def add_quality_parsers(sub: Any) -> None:
    from .cli_args import number

    p = sub.add_parser("verify", help="verify a clip's quality (duration, size, frame rate, "
                       "consistency with references, motion, clarity)")
    p.add_argument("project")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--clip", help="a clip: its id, its name, or its number (1 = the "
                      "first video clip of the project)")
    what.add_argument("--media", help="a video file (e.g. imported footage)")
    p.add_argument("--character-ref", action="append", default=[], metavar="F",
                   help="a character reference image (repeatable)")
    p.add_argument("--location-ref", metavar="F", help="a location reference image")
    p.add_argument("--first-frame", metavar="F", help="the image the clip must start on")
    p.add_argument("--last-frame", metavar="F", help="the image the clip must end on")
    p.add_argument("--expected-duration", type=number(0.1, 3600, unit="s"), metavar="S")
    p.add_argument("--aspect", choices=("16:9", "9:16", "1:1"))
    p.add_argument("--save", action="store_true",
                   help="store the report on the clip's active take (with --clip)")
    p.add_argument("--json", action="store_true", help="print the VideoQualityResult as JSON")


class VerifyInputError(AladdinError):
    """An unknown clip, a clip without media, a missing file."""

    kind = ErrorKind.NOT_FOUND


def _find_clip(project: Any, spec: str) -> Any:
    """A clip by stable id, by name (unique) or by 1-based number among video clips."""
    import opentimelineio as otio

    from .timeline import schema as S

    clips = [c for scene in project.scenes for track in scene.tracks if not S.is_audio(track)
             for c in track if isinstance(c, otio.schema.Clip)]
    by_id = [c for c in clips if S.clip_id(c) and S.clip_id(c) == spec]
    if by_id:
        return by_id[0]
    by_name = [c for c in clips if c.name == spec]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise VerifyInputError(f"{len(by_name)} clips are named {spec!r}; use the clip's id "
                         "(aladdin-studio info --json lists them).")
    if spec.isdigit() and 1 <= int(spec) <= len(clips):
        return clips[int(spec) - 1]
    raise VerifyInputError(f"No clip {spec!r} in the project (give an id, a name or a number "
                     f"from 1 to {len(clips)}).")


def _params(args: argparse.Namespace, clip: Any) -> Any:
    """The take's recorded parameters (so the verdict matches the automatic one), then the
    command line's options on top."""
    from .quality.takes import recorded_params
    from .quality.verify import VerifyParams

    params = recorded_params(clip) if clip is not None else VerifyParams()
    if args.character_ref:
        params.character_refs = [Path(p) for p in args.character_ref]
    if args.location_ref:
        params.location_ref = Path(args.location_ref)
    if args.first_frame:
        params.first_frame = Path(args.first_frame)
    if args.last_frame:
        params.last_frame = Path(args.last_frame)
    if args.expected_duration is not None:
        params.expected_duration = args.expected_duration
    if args.aspect:
        params.aspect = args.aspect
    return params


def cmd_verify(args: argparse.Namespace, settings: Any) -> int:
    from .quality import verify_video
    from .quality.takes import SetTakeQuality, stored_report, take_media
    from .quality.verify import apply_settings
    from .timeline.project_io import load

    if args.save and not args.clip:
        raise VerifyInputError("--save stores the report on a clip: use it with --clip.")
    project = load(args.project)
    clip = None
    if args.clip:
        clip = _find_clip(project, args.clip)
        path = take_media(project, clip)
    else:
        path = Path(args.media)
        if not path.is_file():
            raise VerifyInputError(f"The media file {path} does not exist.")
    params = _params(args, clip)
    apply_settings(params, settings)
    result = verify_video(path, params)
    if args.save and clip is not None:
        from .services.session import ProjectSession

        with ProjectSession.open(args.project, writer="aladdin-studio verify") as session:
            target = _find_clip(session.project, args.clip)
            session.push(SetTakeQuality(target, stored_report(result, params)))
            session.save()
    if args.json:
        data = result.to_dict()
        if clip is not None:
            data["clip"] = {"name": clip.name, "take": clip.active_media_reference_key}
        print(json.dumps(data, indent=2))
    else:
        _print(result, clip)
    return 0 if result.passed else EXIT_FAILED


def _print(result: Any, clip: Any) -> None:
    what = f"'{clip.name}' ({clip.active_media_reference_key})" if clip is not None \
        else Path(result.video).name
    verdict = "PASSED" if result.passed else "FAILED"
    print(f"{what}: {verdict}, overall quality {result.overall_quality:.2f} "
          f"(pass mark {result.threshold:.2f})")
    for check in result.checks:
        mark = "ok  " if check.passed else "FAIL"
        print(f"  {mark} {check.type:22} {check.score:.2f}  {check.details}")
    for issue in result.issues:
        print(f"  issue: {issue}")
    for suggestion in result.suggestions:
        print(f"  suggestion: {suggestion}")
    sys.stdout.flush()


QUALITY_COMMANDS = {"verify": cmd_verify}
