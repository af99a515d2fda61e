"""The voice commands of the CLI: ``voice list|design|assign|delete``, ``dialogue``, ``sfx``,
``subtitles``, ``integrate-audio``. They translate arguments into :mod:`aladdin_studio.voice`
service calls; user errors surface as one line and exit status 2 through ``cli.main``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["VOICE_COMMANDS", "add_voice_parsers"]


def add_voice_parsers(sub: Any) -> None:
    p = sub.add_parser("voice", help="character voices: list, design, assign, delete")
    vs = p.add_subparsers(dest="voice_command", required=True)
    q = vs.add_parser("list", help="voices of the provider (or the saved library)")
    q.add_argument("--search", default="")
    q.add_argument("--library", action="store_true", help="the saved voice library instead")
    q.add_argument("--provider", choices=("elevenlabs", "local"))
    q.add_argument("--json", action="store_true")
    q = vs.add_parser("design", help="design a voice from a character profile (3 previews)")
    q.add_argument("name")
    q.add_argument("--description", default="")
    q.add_argument("--gender", choices=("male", "female", "neutral"), default="neutral")
    q.add_argument("--age", choices=("young", "middle_aged", "old"), default="middle_aged")
    q.add_argument("--accent", default="american")
    q.add_argument("--style", default="")
    q.add_argument("--text", help="what the previews say")
    q.add_argument("--pick", type=int, choices=(1, 2, 3),
                   help="save preview N of the last design of NAME (designed now if there is "
                        "none) in the voice library")
    q.add_argument("--new", action="store_true", help="design new previews even with --pick")
    q.add_argument("--project", help="also assign the saved voice to character NAME here")
    q.add_argument("--provider", choices=("elevenlabs", "local"))
    q.add_argument("--json", action="store_true")
    q = vs.add_parser("assign", help="give a character of a project a voice and/or its "
                      "delivery settings")
    q.add_argument("project")
    q.add_argument("character")
    q.add_argument("voice", nargs="?",
                   help="a voice of the library (name or id) or a provider voice id")
    q.add_argument("--provider", choices=("elevenlabs", "local"))
    q.add_argument("--model", help="TTS model (default eleven_multilingual_v2; eleven_v3 reads "
                   "emotions as audio tags)")
    q.add_argument("--stability", type=float, help="0-1 (default 0.5)")
    q.add_argument("--similarity", type=float, help="similarity boost 0-1 (default 0.75)")
    q.add_argument("--style", type=float, help="style exaggeration 0-1 (default 0)")
    q.add_argument("--speed", type=float, help="0.7-1.2 (default 1)")
    q.add_argument("--seed", type=int)
    q.add_argument("--speaker-boost", choices=("on", "off"))
    q.add_argument("--reference", action="append", metavar="ID|IMAGE",
                   help="a master reference of the character (library id, or an image added "
                        "to the library); repeatable")
    q = vs.add_parser("delete", help="delete a voice (from the account and the library)")
    q.add_argument("voice")
    q.add_argument("--provider", choices=("elevenlabs", "local"))

    p = sub.add_parser("dialogue", help="generate a dialogue script onto a scene's dialogue "
                       "track")
    p.add_argument("project")
    p.add_argument("--script", help="a .txt ('NAME (emotion): text') or .fountain file")
    p.add_argument("--scene")
    p.add_argument("--at", type=float, default=0.0, metavar="SECONDS",
                   help="where the first line starts (default 0)")
    p.add_argument("--gap", type=float, default=0.3, metavar="SECONDS",
                   help="silence between lines (default 0.3)")
    p.add_argument("--provider", choices=("elevenlabs", "local"))
    p.add_argument("--wait", action="store_true",
                   help="run the jobs here and put the lines on the timeline now (else they "
                        "are queued and placed by 'dialogue PROJECT --apply')")
    p.add_argument("--apply", action="store_true",
                   help="place the finished lines of earlier runs without --wait")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("sfx", help="generate a sound effect onto a scene's sfx track")
    p.add_argument("project")
    p.add_argument("--prompt", required=True)
    p.add_argument("--duration", type=float, default=2.0, metavar="SECONDS")
    p.add_argument("--influence", type=float, default=0.3, help="prompt influence 0-1")
    p.add_argument("--loop", action="store_true")
    p.add_argument("--at", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--scene")
    p.add_argument("--provider", choices=("elevenlabs", "local"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("subtitles", help="export a scene's subtitles (SRT/WebVTT), burn-in")
    p.add_argument("project")
    p.add_argument("--scene")
    p.add_argument("-o", "--output", help="OUT.srt or OUT.vtt")
    p.add_argument("--burn-in", choices=("on", "off"),
                   help="burn the subtitles into renders of the scene (saved in the project)")
    p.add_argument("--font", help="burn-in font (DejaVu Sans, DejaVu Serif, ...)")
    p.add_argument("--size", type=int, help="burn-in text size, pixels of a 1080-line frame")
    p.add_argument("--outline", type=int, help="burn-in outline width, pixels")
    p.add_argument("--position", choices=("bottom", "top", "middle"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("integrate-audio", help="level dialogue, set music under it, level "
                       "sound effects (the Audio Integrator)")
    p.add_argument("project")
    p.add_argument("--scene")


# --------------------------------------------------------------------------- helpers


def _queue(settings: Any) -> Any:
    from .services.jobs import open_queue

    return open_queue(settings, poll_interval=0.25)


def _service(settings: Any, provider: str | None, queue: Any = None) -> Any:
    from .voice.service import VoiceService

    return VoiceService(queue, settings, provider=provider)


def _run_jobs(service: Any, job_ids: list[str], out: Any) -> list[Any]:
    """Run an embedded consumer until the jobs are done, printing progress."""
    from .jobs import EmbeddedConsumer

    shown: dict[str, tuple] = {}

    def progress(jobs: list[Any]) -> None:
        for job in jobs:
            line = (job.status, job.message)
            if shown.get(job.id) != line:
                shown[job.id] = line
                label = job.payload.get("label") or job.id[:8]
                print(f"  {job.status:9}  {label[:50]:50}  {job.message}", file=out, flush=True)

    with EmbeddedConsumer(service.queue.huey, service.settings.max_concurrent_generations,
                          queue=service.queue, tick=0.1):
        return service.wait(job_ids, on_progress=progress)


def _session(project: str, command: str) -> Any:
    """The project opened for ``aladdin-studio COMMAND`` with its writer lock (refused while
    another writer, e.g. the editor, has it); closing it lets go."""
    from .services.session import ProjectSession

    return ProjectSession.open(project, writer=f"aladdin-studio {command}")


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text)


# --------------------------------------------------------------------------- voice


def cmd_voice(args: argparse.Namespace, settings: Any) -> int:
    from .voice.profiles import VoiceProfile

    service = _service(settings, args.provider)
    if args.voice_command == "list":
        voices = service.library.voices() if args.library else service.list_voices(args.search)
        if args.search and args.library:
            voices = [v for v in voices if args.search.lower() in v.name.lower()]
        _print([v.to_dict() for v in voices], args.json, "\n".join(
            f"{v.voice_id:32}  {v.name:24}  {v.gender:8} {v.age:12} {v.accent}" for v in voices)
            or "No voices.")
        return 0
    if args.voice_command == "design":
        profile = VoiceProfile(args.name, args.description, args.gender, args.age, args.accent,
                               args.style, provider=service.provider_name)
        last = service.last_design(args.name) if args.pick and not args.new else None
        reused = last is not None
        description, previews = last if last is not None else service.design(profile,
                                                                              args.text)
        data: dict[str, Any] = {"description": description, "reused": reused, "previews": [
            {"n": i, "generated_voice_id": p.generated_voice_id, "file": str(p.path),
             "seconds": round(p.duration, 2)} for i, p in enumerate(previews, 1)]}
        lines = [("Previews of the last design (--new designs again):" if reused else
                  f"Voice description: {description}")] + [
            f"  {i}. {p.generated_voice_id}  {p.duration:.1f} s  {p.path}"
            for i, p in enumerate(previews, 1)]
        if args.pick:
            keep = None
            if args.project:
                from .timeline.document import ProjectLocation

                keep = ProjectLocation.for_path(args.project).media_dir
            voice = service.save_designed(profile, previews[args.pick - 1], keep)
            data["saved"] = voice.to_dict()
            lines.append(f"Saved preview {args.pick} as voice '{voice.name}' "
                         f"({voice.voice_id}) in the voice library.")
            if args.project:
                _assign(args.project, args.name, voice, settings, args.description)
                lines.append(f"Assigned it to character '{args.name}' in {args.project}.")
        else:
            lines.append("Listen, then run the same command with --pick N to keep one of "
                         "these.")
        _print(data, args.json, "\n".join(lines))
        return 0
    if args.voice_command == "assign":
        voice = None
        if args.voice:
            voice = service.library.find(args.voice) or service.provider.get_voice(args.voice)
        changes = {"model": args.model, "stability": args.stability,
                   "similarity_boost": args.similarity, "style": args.style,
                   "speed": args.speed, "seed": args.seed,
                   "speaker_boost": None if args.speaker_boost is None
                   else args.speaker_boost == "on"}
        if voice is None and not args.reference and all(v is None for v in changes.values()):
            from .voice.errors import VoiceInputError

            raise VoiceInputError("Name a voice to assign, delivery settings to change "
                                  "(--model, --stability, --speed, ...) or --reference.")
        tts = _assign(args.project, args.character, voice, settings, changes=changes,
                      references=args.reference)
        said = f"speaks with '{voice.name}' ({voice.voice_id})" if voice else "keeps its voice"
        print(f"Character '{args.character}' {said}; delivery: {tts.model}, stability "
              f"{tts.stability:g}, similarity {tts.similarity_boost:g}, style {tts.style:g}, "
              f"speed {tts.speed:g}.")
        return 0
    removed = service.delete_voice(args.voice)
    print(f"Deleted voice '{removed.name if removed else args.voice}'.")
    return 0


def _assign(project_path: str, character: str, voice: Any, settings: Any,
            description: str | None = None, changes: dict[str, Any] | None = None,
            references: list[str] | None = None) -> Any:
    """Assign and save; returns the character's TTS settings."""
    from .voice.library import find_character
    from .voice.profiles import TTSSettings
    from .voice.service import VoiceService

    with _session(project_path, "voice assign") as session:
        project = session.project
        existing = find_character(project, character)
        tts = (existing.tts if existing else TTSSettings()).override(changes)
        service = VoiceService(None, settings, provider=voice.provider if voice else None)
        session.push(service.assign_command(project, character, voice, description or None,
                                            tts, references))
        session.save()
    return tts


# --------------------------------------------------------------------------- dialogue


def cmd_dialogue(args: argparse.Namespace, settings: Any) -> int:
    with _session(args.project, "dialogue") as session:
        return _dialogue(args, settings, session)


def _dialogue(args: argparse.Namespace, settings: Any, session: Any) -> int:
    from .voice import pending
    from .voice.errors import VoiceInputError
    from .voice.script import read_script
    from .voice.service import scene_named

    project = session.project
    service = _service(settings, args.provider, _queue(settings))
    if args.apply:
        placed, waiting = pending.apply(project, service, session)
        if placed:
            session.save()
        _print({"placed": placed, "waiting": waiting}, args.json,
               f"Placed {placed} line(s); {waiting} still generating.")
        return 0
    if not args.script:
        raise VoiceInputError("Give the script with --script FILE (or --apply).")
    scene = scene_named(project, args.scene)
    lines = read_script(args.script)
    batch = service.submit_script(project, project.location.file, scene, lines, start=args.at,
                                  gap=args.gap)
    for note in batch.report():
        print(f"note: {note}", file=sys.stderr)
    if not args.wait:
        pending.remember(project, session, batch)
        session.save()
        _print({"queued": batch.job_ids}, args.json,
               f"Queued {len(batch.job_ids)} line(s); place them with "
               f"'aladdin-studio dialogue {args.project} --apply' once done.")
        return 0
    jobs = _run_jobs(service, batch.job_ids, sys.stderr if args.json else sys.stdout)
    macro = service.place_command(project, batch, scene)
    session.push(macro)
    session.save()
    service.record_usage(batch)
    clips = []
    rate = scene.metadata["aladdin"]["fps"]
    from .timeline.layout import slot_of

    for clip, job in zip(macro.clips, jobs, strict=True):
        slot = slot_of(clip.parent(), clip, rate)
        clips.append({"clip": clip.name, "start": round(slot.start / rate, 3),
                      "end": round(slot.end / rate, 3), "job_id": job.id,
                      "cached": bool(job.cached_from), "cost": job.actual_cost or 0.0,
                      "characters_billed": (job.info or {}).get("characters", 0)})
    data = {"scene": scene.name, "provider": batch.provider, "clips": clips,
            "new_characters": [c.name for c in batch.new_characters],
            "cost": round(sum(c["cost"] for c in clips), 6)}
    text = "\n".join([f"{c['start']:7.2f}-{c['end']:7.2f}  {c['clip']}" for c in clips] + [
        f"{len(clips)} dialogue clip(s) on scene '{scene.name}' ({batch.provider}), "
        f"cost ${data['cost']:.4f}."])
    _print(data, args.json, text)
    return 0


# --------------------------------------------------------------------------- sfx


def cmd_sfx(args: argparse.Namespace, settings: Any) -> int:
    with _session(args.project, "sfx") as session:
        from .voice.providers.base import SoundRequest
        from .voice.service import scene_named

        project = session.project
        scene = scene_named(project, args.scene)
        service = _service(settings, args.provider, _queue(settings))
        job_id = service.submit_sfx(project.location.file, SoundRequest(
            args.prompt, args.duration, args.influence, args.loop))
        (job,) = _run_jobs(service, [job_id], sys.stderr if args.json else sys.stdout)
        from .voice.errors import VoiceInputError

        if job.status != "succeeded":
            raise VoiceInputError(f"The sound effect failed: {job.error_message or job.status}")
        macro = service.sfx_command(project, scene, job_id, args.at)
        session.push(macro)
        session.save()
        data = {"scene": scene.name, "clip": macro.clips[0].name, "at": args.at,
                "file": job.output_path, "cost": job.actual_cost or 0.0}
        _print(data, args.json, f"Sound effect '{macro.clips[0].name}' at {args.at:.2f} s on "
               f"scene '{scene.name}'.")
        return 0


# --------------------------------------------------------------------------- subtitles


def cmd_subtitles(args: argparse.Namespace, settings: Any) -> int:
    from .services.session import ProjectSession
    from .timeline.subtitles import SetSubtitleStyle, scene_cues
    from .voice.errors import VoiceInputError
    from .voice.service import scene_named
    from .voice.subtitles import export_cues

    style = {k: v for k, v in (("font", args.font), ("size", args.size),
                                 ("outline", args.outline), ("position", args.position))
             if v is not None}
    if args.burn_in:
        style["burn_in"] = args.burn_in == "on"
    if not args.output and not style:
        raise VoiceInputError("Say where to write them (-o OUT.srt|.vtt), or --burn-in on|off "
                              "and the style (--font, --size, --outline, --position).")
    if args.output and Path(args.output).suffix.lower() not in (".srt", ".vtt"):
        raise VoiceInputError(f"Subtitles are written as .srt or .vtt, not "
                              f"'{Path(args.output).suffix or args.output}'.")
    project = ProjectSession.open(args.project).project  # read-only unless the style changes
    scene = scene_named(project, args.scene)
    if style:
        with _session(args.project, "subtitles") as session:
            project = session.project
            scene = scene_named(project, args.scene)
            session.push(SetSubtitleStyle(scene, **style))
            session.save()
    cues = scene_cues(scene)
    if args.output:
        if not cues:
            raise VoiceInputError(f"Scene '{scene.name}' has no subtitles: generate dialogue "
                                  "first.")
        from .timeline.output_guard import check_output_path

        export_cues(cues, check_output_path(project, args.output))  # the render/export rule
    data = {"scene": scene.name, "cues": len(cues), "output": args.output,
            "style": style}
    parts = []
    if args.output:
        parts.append(f"Wrote {len(cues)} subtitle(s) to {args.output}.")
    if style:
        from .timeline.subtitles import subtitle_style

        now = subtitle_style(scene)
        parts.append(f"Burn-in {'on' if now['burn_in'] else 'off'} for scene '{scene.name}' "
                     f"({now['font']}, {now['size']} px, outline {now['outline']}, "
                     f"{now['position']}).")
    _print(data, args.json, " ".join(parts))
    return 0


def cmd_integrate_audio(args: argparse.Namespace, settings: Any) -> int:
    from .voice.integrate import integrate_audio_command
    from .voice.service import scene_named

    with _session(args.project, "integrate-audio") as session:
        macro, report = integrate_audio_command(session.project,
                                                scene_named(session.project, args.scene))
        session.push(macro)
        session.save()
    print(report.summary())
    return 0


VOICE_COMMANDS = {"voice": cmd_voice, "dialogue": cmd_dialogue, "sfx": cmd_sfx,
                  "subtitles": cmd_subtitles, "integrate-audio": cmd_integrate_audio}
