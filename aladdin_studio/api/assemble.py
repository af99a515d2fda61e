"""``POST .../videos/assemble`` (design doc 7.2): clips, transitions and audio put on a new
scene with the timeline's own commands (as edits in the editor would), then the scene is
rendered by an export job, returned as the assembly job.

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
    for a in body.audio:
        if not a.audioId:
            raise ApiError("audio: each entry needs an audioId (voice lines from text are "
                           "not generated through the API in this build).", field="audio")
    return clips


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


def submit_brief(backend: ApiBackend, entry: ProjectEntry, body: AssembleRequest) -> Job:
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
                          publish=body.publish, destination=body.destination)
    backend.ensure_running()
    return job


def submit_assembly(backend: ApiBackend, entry: ProjectEntry, body: AssembleRequest) -> Job:
    from ..timeline import commands as C
    from ..timeline import schema as S
    from ..timeline.media import clip_for_media
    from ..timeline.probe import probe
    from .operations import submit_render

    if (body.brief is None) == (body.clips is None):
        raise ApiError("Give either clips (with sceneId) or a brief.", field="brief")
    if body.brief is not None:
        return submit_brief(backend, entry, body)
    if body.sceneId is None:
        raise ApiError("sceneId: the new scene needs a name.", field="sceneId")
    clips = _check(body)
    files = [(c, _media_path(backend, entry, c.clipId, f"clips[{i}].clipId"))
             for i, c in enumerate(clips)]
    sounds = [(a, _media_path(backend, entry, str(a.audioId), f"audio[{i}].audioId"))
              for i, a in enumerate(body.audio)]
    infos = {path: probe(path) for _, path in files + sounds}

    def build(project: Project, push: Any) -> str:
        if any(s.name == body.sceneId for s in project.scenes):
            raise ApiError(f"sceneId: there is already a scene named '{body.sceneId}'; "
                           "assemble into a new one.", ErrorKind.CONFLICT, field="sceneId")
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
        return scene.name

    name = backend.edit(entry, build)
    return submit_render(backend, entry, name,
                         RenderRequest(preset=body.preset),
                         extra={"assembly": {"sceneId": name, "clips": len(files)}})
