"""Where new clips go: media dropped or added at a time on a track, and the target of a
generation. One policy for the editor's drops, the CLI and the API.

Media at frame F on a track is placed with ``OverwriteClip`` (``InsertClip`` with
``insert``, pushing later clips right). Video files (and stills) go to video tracks,
audio-only files to audio tracks: the given track when its kind matches, else the first
track of the right kind. Several files are laid end to end as one undo step.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.generation.service import GenerationService
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.layout import item_frames
from aladdin_studio.timeline.media import clip_for_media
from aladdin_studio.timeline.probe import MediaProbeError, probe

__all__ = ["PlacementError", "clip_at", "generation_track", "media_command", "target_track"]


class PlacementError(AladdinError):
    """Media that cannot be placed; the message is for the status bar."""

    kind = ErrorKind.INVALID_INPUT


def target_track(track: otio.schema.Track | None, tracks: list[otio.schema.Track],
                 audio: bool) -> otio.schema.Track | None:
    """``track`` when it is of the right kind, else the first of ``tracks`` that is."""
    if track is not None and S.is_audio(track) == audio:
        return track
    return next((t for t in tracks if S.is_audio(t) == audio), None)


def media_command(project: Project, scene: otio.schema.Timeline, paths: list[Path], frame: int,
                  track: otio.schema.Track | None, tracks: list[otio.schema.Track] | None = None,
                  *, insert: bool = False) -> C.Command:
    """The command placing ``paths`` at ``frame`` (see the module docstring); ``tracks``
    (default: the scene's) are the candidates when ``track`` is of the wrong kind."""
    if not paths:
        raise PlacementError("Nothing to drop: no media files.")
    tracks = list(scene.tracks) if tracks is None else tracks
    rate = S.scene_rate(scene)
    placed_at: dict[int, int] = {}
    commands: list[C.Command] = []
    for path in map(Path, paths):
        try:
            info = probe(path)
        except MediaProbeError as exc:
            raise PlacementError(str(exc)) from None
        audio = not info.has_video
        target = target_track(track, tracks, audio)
        if target is None:
            kind = "audio" if audio else "video"
            raise PlacementError(f"'{path.name}' needs a {kind} track; add one first.")
        at = placed_at.get(id(target), frame)
        clip = clip_for_media(project, path, scene, info=info, audio=audio)
        cls = C.InsertClip if insert else C.OverwriteClip
        commands.append(cls(target, clip, at))
        placed_at[id(target)] = at + item_frames(clip, rate)
    if len(commands) == 1:
        return commands[0]
    return C.Macro(f"Add {len(commands)} Clips", commands)


def clip_at(track: otio.schema.Track, frame: int, rate: float) -> otio.schema.Clip | None:
    """The clip covering ``frame`` on ``track`` (e.g. the one to regenerate), if any."""
    from aladdin_studio.timeline.layout import slot_at

    slot = slot_at(track, frame, rate)
    return slot.item if slot is not None and slot.is_clip else None


def generation_track(scene: otio.schema.Timeline, track: object) -> otio.schema.Track:
    """The video track a generation goes to: ``track`` (a Track or a name) or the scene's
    first video track."""
    return GenerationService.resolve_track(scene, track)
