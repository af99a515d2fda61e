"""The source monitor's document side: a media file as a one-clip scene, and the
three-point edit that puts its in/out span at the timeline playhead.

The source scene is built in memory at the program scene's rate and size (never added to
the project), so the player renders it through the same preview path as any scene and
its in/out frames are frames of the clip that lands on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from . import commands as C
from . import schema as S
from .document import Project
from .errors import InvalidEditError
from .media import clip_for_media
from .probe import MediaInfo, probe

__all__ = ["SourceMedia", "source_media", "three_point_edit"]


@dataclass
class SourceMedia:
    """A bin item opened in the source monitor."""

    path: Path
    url: str
    info: MediaInfo
    scene: otio.schema.Timeline  # one clip covering the whole media, not in the project
    clip: otio.schema.Clip

    @property
    def frames(self) -> int:
        return S.frames(self.clip.source_range.duration, S.scene_rate(self.scene))

    @property
    def audio_only(self) -> bool:
        return not self.info.has_video


def source_media(project: Project, program: otio.schema.Timeline, path: str | Path,
                 url: str = "", info: MediaInfo | None = None) -> SourceMedia:
    """``path`` as a one-clip scene at ``program``'s rate and size (MediaProbeError if it
    cannot be read)."""
    path = Path(path)
    info = info or probe(path)
    rate = S.scene_rate(program)
    scene = S.new_scene(f"Source: {path.name}", rate, S.scene_size(program), max_clips=1)
    audio = not info.has_video
    track = S.new_track("audio" if audio else "video", "Source")
    scene.tracks.append(track)
    clip = clip_for_media(project, path, scene, info=info, audio=audio)
    track.append(clip)
    return SourceMedia(path, url or str(path), info, scene, clip)


def three_point_edit(project: Project, program: otio.schema.Timeline, source: SourceMedia,
                     span: tuple[int, int] | None, at: int,
                     track: otio.schema.Track | None, *, insert: bool) -> C.Command:
    """Insert (pushing later clips right) or overwrite the source's ``span`` (half-open
    frames of the source; None = all of it) at frame ``at`` of ``program``. Video goes to
    ``track`` when it is a video track, else the first video track, and keeps its own
    sound; audio-only media goes to an audio track the same way."""
    total = source.frames
    lo, hi = span if span is not None else (0, total)
    lo, hi = max(0, int(lo)), min(total, int(hi))
    if hi <= lo:
        raise InvalidEditError("Mark an in point before the out point in the source monitor.")
    audio = source.audio_only
    tracks = list(program.tracks)
    if track is None or S.is_audio(track) != audio or not any(t is track for t in tracks):
        track = next((t for t in tracks if S.is_audio(t) == audio), None)
    if track is None:
        raise InvalidEditError(f"'{source.path.name}' needs {'an audio' if audio else 'a video'} "
                               "track; add one first.")
    rate = S.scene_rate(program)
    clip = clip_for_media(project, source.path, program, info=source.info, audio=audio)
    start = S.frames_exact(clip.source_range.start_time, rate)
    clip.source_range = S.tr(start + lo, hi - lo, rate)
    command = (C.InsertClip if insert else C.OverwriteClip)(track, clip, max(0, int(at)))
    command.text = "Insert from Source" if insert else "Overwrite from Source"
    return command
