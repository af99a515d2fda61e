"""The Scene Assembler and Audio Integrator stages as timeline commands: each stage is one
undo step built from the timeline's own commands (AppendClip, AddTransition, AddTake...),
so the result is an ordinary scene the user can edit afterwards.

* :func:`assemble_command`: a scene named after the brief (a scene the director made
  before is replaced in the same step), the shots in order on V1 with every take
  (the best one active), trimmed to the brief's durations, a slate (title clip) for each
  missing shot, then the brief's transitions (which take room from the clips as the
  editor's do).
* :func:`audio_command`: dialogue placed at shot N + offset, music laid from 0 (trimmed to
  the scene, ducked in the mix), sound effects at their times, and the Audio Integrator's
  levels (``voice.integrate``) over all of it, as one step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.layout import layout
from .brief import Brief

__all__ = ["DIRECTOR_KEY", "Deferred", "ShotTake", "ShotMedia", "assemble_command",
           "audio_command", "director_scene", "shot_starts"]

DIRECTOR_KEY = "director"  # scene metadata: the brief and the job that made it


@dataclass
class ShotTake:
    """One generated attempt of a shot: its file and provenance."""

    path: Path
    provenance: dict[str, Any]
    name: str
    score: float | None = None


@dataclass
class ShotMedia:
    """What the assembler places for shot ``index`` (1-based): its takes (the active one
    first), or a slate saying ``missing``."""

    index: int
    name: str
    seconds: float
    takes: list[ShotTake] = field(default_factory=list)
    missing: str = ""


class Deferred(C.Command):
    """A command built from the document as it is when the step applies (inside a Macro,
    after the commands before it): ``factory(project)`` returns the real command."""

    def __init__(self, text: str, factory: Callable[[Project], C.Command | None]) -> None:
        super().__init__()
        self.text, self.factory = text, factory

    def build(self, project: Project, tx: Any) -> None:
        command = self.factory(project)
        if command is not None:
            command.build(project, tx)


class _SetMeta(C.Command):
    def __init__(self, obj_fn: Callable[[], Any], key: str, value: Any) -> None:
        super().__init__()
        self.obj_fn, self.key, self.value = obj_fn, key, value

    def build(self, project: Project, tx: Any) -> None:
        tx.set_meta(self.obj_fn(), self.key, self.value)


def director_scene(project: Project, name: str) -> otio.schema.Timeline | None:
    return next((s for s in project.scenes if s.name == name), None)


def _shot_clip(project: Project, shot: ShotMedia, rate: float,
               bin_entries: list[dict[str, Any]]) -> otio.schema.Clip:
    from ..timeline.media import bin_entry, reference_for
    from ..timeline.probe import probe

    frames = max(1, S.seconds_to_frames(shot.seconds, rate))
    refs: dict[str, Any] = {}
    for n, take in enumerate(shot.takes, start=1):
        info = probe(take.path)
        ref = reference_for(project, take.path, info, rate, take.provenance)
        ref.name = take.name
        refs[f"take{n}"] = ref
        bin_entries.append({**bin_entry(project, take.path, info), "name": take.name})
    first = refs["take1"]
    available = first.available_range
    if available is not None:
        frames = min(frames, int(S.frames_exact(available.duration, rate)))
    clip = S.new_clip(shot.name, first, start=0, duration=max(1, frames), rate=rate)
    clip.set_media_references(refs, "take1")
    S.ns(clip)[DIRECTOR_KEY] = {"shot": shot.index}
    return clip


def _slate(shot: ShotMedia, rate: float) -> otio.schema.Clip:
    from ..timeline.titles import new_title_clip

    reason = shot.missing if len(shot.missing) <= 90 else shot.missing[:87] + "..."
    clip = new_title_clip(rate, seconds=shot.seconds,
                          text=f"Shot {shot.index} missing: {shot.name}\n{reason}",
                          size=48.0, fade_in=0.0, fade_out=0.0)
    S.ns(clip)[DIRECTOR_KEY] = {"shot": shot.index, "slate": True, "reason": shot.missing}
    return clip


def assemble_command(project: Project, brief: Brief, shots: list[ShotMedia], *,
                     job_id: str = "", settings: Any = None) -> C.Macro:
    """One step "Director: Assemble <scene>" (see the module docstring)."""
    old = director_scene(project, brief.scene)
    if old is not None and not S.get(old, DIRECTOR_KEY):
        raise InvalidEditError(f"The project already has a scene named '{brief.scene}' that "
                               "the director did not make; rename it or the brief's scene.")
    size = tuple(brief.data["size"]) if brief.data.get("size") else (
        S.scene_size(project.scenes[0]) if project.scenes else S.DEFAULT_SIZE)
    fps = float(brief.data.get("fps") or (S.scene_rate(project.scenes[0]) if project.scenes
                                          else S.DEFAULT_FPS))
    max_clips = max(len(shots), S.DEFAULT_MAX_CLIPS)
    commands: list[C.Command] = []
    name = brief.scene if old is None else C.unique_scene_name(project, brief.scene + " new")
    index = None
    if old is not None:
        index = next(i for i, s in enumerate(project.collection) if s is old)
    add = C.AddScene(name, fps, size, max_clips, index=index)  # type: ignore[arg-type]
    commands.append(add)
    if old is not None:
        commands.append(C.RemoveScene(old))
        commands.append(Deferred("Rename", lambda p: C.RenameItem(add.scene, brief.scene)))
    rate = fps
    clips: list[otio.schema.Clip] = []
    entries: list[dict[str, Any]] = []  # every take in the media bin, as generation does
    for shot in shots:
        clip = _shot_clip(project, shot, rate, entries) if shot.takes else _slate(shot, rate)
        clips.append(clip)
        commands.append(Deferred("Append", lambda p, c=clip: C.AppendClip(
            next(t for t in add.scene.tracks if not S.is_audio(t)), c)))
    for t in brief.transitions:
        if t["type"] == "cut" or float(t["duration"]) <= 0:
            continue
        left = clips[t["after"] - 1]
        commands.append(C.AddTransition(left, t["type"], float(t["duration"])))
    from ..generation.commands import AppendProjectEntry

    commands += [AppendProjectEntry("bin", e, "Director", unique="url") for e in entries]
    commands.append(_SetMeta(lambda: add.scene, DIRECTOR_KEY,
                             {"brief": brief.to_dict(), "base_dir": str(brief.base_dir),
                              "job_id": job_id}))
    macro = C.Macro(f"Director: Assemble {brief.scene}", commands)
    macro.enforce_clip_limit = True
    macro.clips = clips  # type: ignore[attr-defined]
    return macro


def shot_starts(scene: otio.schema.Timeline) -> dict[int, float]:
    """Seconds at which each brief shot (1-based) starts on the scene's first video track."""
    rate = S.scene_rate(scene)
    video = next(t for t in scene.tracks if not S.is_audio(t))
    starts = {}
    for slot in layout(video, rate):
        if slot.is_clip:
            shot = (S.get(slot.item, DIRECTOR_KEY) or {}).get("shot")
            if shot is not None:
                starts[int(shot)] = slot.start / rate
    return starts


def scene_seconds(scene: otio.schema.Timeline) -> float:
    rate = S.scene_rate(scene)
    return S.frames(scene.duration(), rate) / rate


def music_command(project: Project, scene: otio.schema.Timeline, path: Path
                  ) -> tuple[C.Command, otio.schema.Clip]:
    """The music file from 0 on the music track, trimmed to the scene (and its clip)."""
    from ..timeline.media import clip_for_media

    clip = clip_for_media(project, path, scene, audio=True,
                          seconds=scene_seconds(scene))
    track = next((t for t in scene.tracks if S.is_audio(t)
                  and S.track_role(t) == S.TrackRole.MUSIC), None)
    commands: list[C.Command] = []
    if track is None:
        add = C.AddTrack(scene, "audio", "Music", S.TrackRole.MUSIC)
        commands.append(add)
        commands.append(Deferred("Music", lambda p: C.OverwriteClip(
            next(t for t in scene.tracks if S.is_audio(t)
                 and S.track_role(t) == S.TrackRole.MUSIC), clip, 0)))
    else:
        commands.append(C.OverwriteClip(track, clip, 0))
    return C.Macro("Lay Music", commands), clip


def audio_command(project: Project, scene: otio.schema.Timeline,
                  parts: list[C.Command], *, integrate: bool = True,
                  after: list[C.Command] | None = None) -> C.Macro:
    """``parts`` (dialogue, music, sfx placements), the Audio Integrator's levels over what
    they placed, then ``after`` (the brief's own levels win), as one step "Director:
    Audio"."""
    commands = list(parts)
    if integrate:
        from ..voice.integrate import integrate_audio_command

        def levels(p: Project) -> C.Command | None:
            try:
                return integrate_audio_command(p, scene)[0]
            except InvalidEditError:  # nothing to level
                return None

        commands.append(Deferred("Integrate Audio", levels))
    commands += after or []
    if not commands:
        raise InvalidEditError("The brief has no dialogue, music or sound effects.")
    return C.Macro("Director: Audio", commands)
