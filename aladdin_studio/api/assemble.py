"""``POST .../videos/assemble`` (design doc 7.2): clips, transitions and audio files put on
a new scene with the timeline's own commands (as edits in the editor would), then an
``assemble_clips`` job (``director.clip_assembly``) speaks the dialogue given as text
(character, optional voice) through the voice service, places it at its times on the
dialogue track and renders the scene. Everything the request can get wrong (unknown clip,
character or voice, empty text) is refused before anything is queued.

Clips and audio are named by the ids the API gives out (a generated video's job id, a media
id); the scene is new (``sceneId`` is its name), so nothing the user made is overwritten.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from ..errors import ErrorKind
from .errors import ApiError
from .schemas import AssembleRequest, RenderRequest

if TYPE_CHECKING:
    from ..jobs import Job
    from ..project_registry import ProjectEntry
    from ..timeline.document import Project
    from .backend import ApiBackend

__all__ = ["submit_assembly"]

ROLE_TRACKS = {"dialogue": "Dialogue", "music": "Music", "sfx": "SFX"}


def _media_path(backend: ApiBackend, entry: ProjectEntry, media_id: str, field: str) -> Path:
    from .media import media_file

    try:
        return media_file(backend, entry, media_id)
    except ApiError:
        raise ApiError(f"{field}: no media '{media_id[:64]}' in this project.",
                       field=field) from None


def _prompt_name(backend: ApiBackend, video_id: str) -> str | None:
    """A generated clip is named by its prompt, as on the editor's timeline."""
    from ..generation.placement import short_name

    try:
        prompt = backend.store.get(video_id).payload.get("prompt")
    except KeyError:
        return None
    return short_name(prompt) if prompt else None


def _check(body: AssembleRequest) -> list[Any]:
    clips = sorted(body.clips, key=lambda c: c.sequence)
    sequences = [c.sequence for c in clips]
    if len(set(sequences)) != len(sequences):
        raise ApiError("clips: two clips have the same sequence number.", field="clips")
    for t in body.transitions:
        if t.fromClip not in sequences or t.toClip not in sequences or \
                sequences.index(t.toClip) != sequences.index(t.fromClip) + 1:
            raise ApiError(f"transitions: {t.fromClip}→{t.toClip} does not join two "
                           "consecutive clips (by sequence).", field="transitions")
    for i, a in enumerate(body.audio):
        where = f"audio[{i}]"
        if a.text is None:
            if not a.audioId:
                raise ApiError(f"{where}.audioId: each entry needs an audioId (a media id) "
                               "or a text to speak.", field=f"{where}.audioId")
            for name in ("characterId", "voiceId"):
                if getattr(a, name) is not None:
                    raise ApiError(f"{where}.{name}: only a line spoken from text has a "
                                   "character or voice.", field=f"{where}.{name}")
            continue
        if a.audioId:
            raise ApiError(f"{where}: give either an audioId or a text to speak, not both.",
                           field=where)
        if a.type != "dialogue":
            raise ApiError(f"{where}.type: only dialogue is spoken from text; music and sound "
                           "effects take an audioId.", field=f"{where}.type")
        if not a.characterId:
            raise ApiError(f"{where}.characterId: a spoken line needs its character (a "
                           "character of the project, by id or name).",
                           field=f"{where}.characterId")
    return clips


def _spoken_text(text: str, emotion: str, where: str) -> tuple[str, str]:
    """The line and its emotion as they may leave the machine (sanitized), or a 422."""
    from ..voice.errors import VoiceInputError
    from ..voice.script import clean_text

    try:
        text = clean_text(text, what="text")
    except VoiceInputError:
        raise ApiError(f"{where}.text: the text to speak is empty.",
                       field=f"{where}.text") from None
    emotion = emotion.strip().strip("()").strip().lower()
    if emotion:
        try:
            emotion = clean_text(emotion, 40, "emotion")
        except VoiceInputError:
            emotion = ""
    return text, emotion


def _voices(backend: ApiBackend, body: AssembleRequest) -> dict[int, Any]:
    """The ``voiceId`` of each spoken line as a voice profile of the active voice provider:
    a voice of the user's voice library (name or id), else a voice the provider has (a
    422 naming the field when neither knows it)."""
    wanted = {i: a.voiceId for i, a in enumerate(body.audio)
              if a.text is not None and a.voiceId is not None}
    if not wanted:
        return {}
    from dataclasses import replace

    from ..voice.errors import VoiceInputError, VoiceNotFound
    from ..voice.service import VoiceService

    service = VoiceService(backend.queue, backend.settings)
    provider = service.provider_name
    found: dict[int, Any] = {}
    for i, voice_id in wanted.items():
        field = f"audio[{i}].voiceId"
        saved = service.library.find(voice_id)
        if saved is not None and saved.voice_id and saved.provider == provider:
            found[i] = saved
            continue
        try:
            voice = service.provider.get_voice(voice_id)
            if provider == "local":
                _check_local_voice(voice.voice_id)
        except (VoiceNotFound, VoiceInputError):
            where = "ElevenLabs account" if provider == "elevenlabs" else "offline voices"
            raise ApiError(f"{field}: no voice '{voice_id[:60]}' in the voice library or the "
                           f"{where}.", field=field) from None
        found[i] = replace(voice, provider=provider)
    return found


def _check_local_voice(voice_id: str) -> None:
    from ..voice.errors import VoiceNotFound
    from ..voice.providers.local import VARIANTS, LocalVoice

    voice = LocalVoice.parse(voice_id)
    if not any(voice.variant in variants for variants in VARIANTS.values()):
        raise VoiceNotFound(f"no espeak-ng variant '{voice.variant}'")


def _cast(project: Project, body: AssembleRequest, voices: dict[int, Any]
          ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each spoken line with its character's name (422 for an unknown character), and the
    voices to give characters (by character id) from the lines' ``voiceId``."""
    from ..voice.library import characters, find_character

    lines: list[dict[str, Any]] = []
    cast: dict[str, tuple[int, Any]] = {}
    for i, a in enumerate(body.audio):
        if a.text is None:
            continue
        where = f"audio[{i}]"
        character = find_character(project, str(a.characterId))
        if character is None:
            known = ", ".join(c.name for c in characters(project)) or "none yet"
            raise ApiError(f"{where}.characterId: no character '{str(a.characterId)[:60]}' in "
                           f"this project (characters: {known}).",
                           field=f"{where}.characterId")
        voice = voices.get(i)
        if voice is not None:
            earlier = cast.get(character.id)
            if earlier is not None and earlier[1].voice_id != voice.voice_id:
                raise ApiError(f"{where}.voiceId: '{character.name}' already speaks with "
                               f"voice '{earlier[1].voice_id}' in audio[{earlier[0]}].",
                               field=f"{where}.voiceId")
            cast[character.id] = (i, voice)
        text, emotion = _spoken_text(str(a.text), a.emotion, where)
        lines.append({"character": character.name, "text": text, "at": float(a.startTime),
                      "emotion": emotion})
    return lines, {character_id: voice for character_id, (_, voice) in cast.items()}


def _push_voices(backend: ApiBackend, project: Project, voices: dict[str, Any],
                 push: Any) -> None:
    """Give each character its new voice: one undo step per character (each built from
    the project as the previous one left it), as the director casts a brief's voices."""
    from ..voice.library import find_character
    from ..voice.service import VoiceService

    service = VoiceService(backend.queue, backend.settings)
    for character_id, voice in voices.items():
        character = find_character(project, character_id)
        if character is None or (character.voice is not None and (
                character.voice.voice_id, character.voice.provider) ==
                (voice.voice_id, voice.provider)):
            continue
        push(service.assign_command(project, character.name, voice))


# Brief fields naming files (resources/briefs/schema.json).
_BRIEF_FILES = (("characters", "reference"), ("locations", "reference"), ("shots", "image"),
                ("shots", "first_frame"), ("shots", "last_frame"))


def _inside_project(value: str) -> bool:
    """A relative path that cannot leave the project folder (or a reference id/name)."""
    path = PurePath(value.replace("\\", "/"))
    return not (value.startswith(("/", "~", "\\")) or path.is_absolute()
                or ".." in path.parts or ":" in value.split("/", 1)[0])


def _check_brief_files(data: dict[str, Any]) -> None:
    named: list[tuple[str, str]] = []
    for group, key in _BRIEF_FILES:
        for i, item in enumerate(data.get(group) or []):
            if isinstance(item, dict) and isinstance(item.get(key), str):
                named.append((f"brief.{group}[{i}].{key}", item[key]))
    music = data.get("music")
    if isinstance(music, str):
        named.append(("brief.music", music))
    elif isinstance(music, dict) and isinstance(music.get("file"), str):
        named.append(("brief.music.file", music["file"]))
    for field, value in named:
        if not _inside_project(value):
            raise ApiError(f"{field}: '{value[:80]}' is outside the project; name a reference "
                           "of the project or a file inside its folder.", field=field)


def submit_brief(backend: ApiBackend, entry: ProjectEntry, body: AssembleRequest, *,
                 hold: bool = False) -> Job:
    """Queue the director's assemble job for the brief (the scene generated, verified,
    voiced, assembled and rendered by ``aladdin_studio.director``)."""
    import json

    try:
        from ..director.brief import parse_brief
        from ..director.service import submit_brief as director_submit
    except ImportError:
        from .operations import not_available

        raise not_available("Assembling from a brief", "aladdin_studio.director") from None
    from ..timeline.document import ProjectLocation

    location = ProjectLocation.for_path(entry.path)
    text = body.brief if isinstance(body.brief, str) else json.dumps(body.brief)
    brief = parse_brief(text, base_dir=location.root, source="brief")
    _check_brief_files(brief.to_dict())
    job = director_submit(backend.queue, location.file, brief, preset=body.preset,
                          publish=body.publish, destination=body.destination, hold=hold)
    backend.ensure_running()
    return job


def submit_assembly(backend: ApiBackend, entry: ProjectEntry, body: AssembleRequest, *,
                    hold: bool = False) -> Job:
    """Build the scene from ``body`` and queue its job (``hold``: see ``JobQueue.submit``)."""
    from ..director.clip_assembly import ClipAssemblyPayload
    from ..timeline import commands as C
    from ..timeline import schema as S
    from ..timeline.media import clip_for_media
    from ..timeline.probe import probe
    from .operations import render_payload

    if (body.brief is None) == (body.clips is None):
        raise ApiError("Give either clips (with sceneId) or a brief.", field="brief")
    if body.brief is not None:
        return submit_brief(backend, entry, body, hold=hold)
    if body.sceneId is None:
        raise ApiError("sceneId: the new scene needs a name.", field="sceneId")
    clips = _check(body)
    files = [(c, _media_path(backend, entry, c.clipId, f"clips[{i}].clipId"))
             for i, c in enumerate(clips)]
    sounds = [(a, _media_path(backend, entry, str(a.audioId), f"audio[{i}].audioId"))
              for i, a in enumerate(body.audio) if a.text is None]
    infos = {path: probe(path) for _, path in files + sounds}
    voices = _voices(backend, body)
    spoken: list[dict[str, Any]] = []

    def build(project: Project, push: Any) -> str:
        if any(s.name == body.sceneId for s in project.scenes):
            raise ApiError(f"sceneId: there is already a scene named '{body.sceneId}'; "
                           "assemble into a new one.", ErrorKind.CONFLICT, field="sceneId")
        lines, cast = _cast(project, body, voices)
        spoken[:] = lines
        settings = backend.settings
        like = project.scenes[0] if project.scenes else None
        add = (C.AddScene.like(project, like, body.sceneId) if like is not None else
               C.AddScene(body.sceneId, settings.video_default_fps, settings.resolution,
                          settings.max_clips_per_scene))
        push(add)
        scene = add.scene
        if body.audio and any(a.type == "sfx" for a in body.audio) and not any(
                t.name == "SFX" for t in scene.tracks):
            push(C.AddTrack(scene, "audio", "SFX", "sfx"))
        video = next(t for t in scene.tracks if not S.is_audio(t))
        rate = S.scene_rate(scene)
        commands: list[C.Command] = []
        placed = []
        for spec, path in files:
            info = infos[path]
            length = info.duration or 0.0
            start = spec.trimStart or 0.0
            seconds = length - start - (spec.trimEnd or 0.0) if info.duration else None
            if seconds is not None and seconds <= 1.0 / rate:
                raise ApiError(f"clips: trimming clip {spec.sequence} leaves nothing of its "
                               f"{length:.2f} s.", field="clips")
            clip = clip_for_media(project, path, scene, audio=False, seconds=seconds,
                                  start_seconds=start, info=info,
                                  name=_prompt_name(backend, spec.clipId))
            commands.append(C.AppendClip(video, clip))
            placed.append((spec.sequence, clip))
        by_sequence = dict(placed)
        for t in body.transitions:
            if t.type != "cut" and t.duration > 0:
                commands.append(C.AddTransition(by_sequence[t.fromClip], t.type, t.duration))
        for spec, path in sounds:
            track = next(t for t in scene.tracks if t.name == ROLE_TRACKS[spec.type]
                         or (S.is_audio(t) and S.track_role(t).value == spec.type))
            clip = clip_for_media(project, path, scene, audio=True, info=infos[path])
            commands.append(C.OverwriteClip(track, clip, S.seconds_to_frames(spec.startTime,
                                                                             rate)))
        push(C.Macro("Assemble Scene", commands))
        _push_voices(backend, project, cast, push)
        return scene.name

    name = backend.edit(entry, build, saved=True)  # the job renders the saved scene
    export = render_payload(backend, entry, name, RenderRequest(preset=body.preset))
    payload = ClipAssemblyPayload(name, export.to_dict(), spoken,
                                  {"clips": len(files), "audio": len(sounds),
                                   "spoken": len(spoken)})
    job = backend.queue.submit(payload, export.project_file, hold=hold)
    backend.ensure_running()
    return job
