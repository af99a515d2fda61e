"""The offline sample project: synthesized media on a five-clip scene."""

from __future__ import annotations

from pathlib import Path

from . import sample_media as M
from .timeline import commands as C
from .timeline import schema as S
from .timeline.document import Project, ProjectLocation
from .timeline.errors import ProjectFileError
from .timeline.layout import track_end
from .timeline.media import bin_entry, clip_for_media
from .timeline.probe import probe
from .timeline.project_io import ensure_layout, save

CLIP_SECONDS = 7.0
TRANSITIONS = (("fade", "left"), ("dissolve", "left"), ("wipe", "left"), ("slide", "right"))


def build_demo(path: str | Path, *, size: tuple[int, int] = S.DEFAULT_SIZE,
               fps: int = S.DEFAULT_FPS, clip_seconds: float = CLIP_SECONDS,
               force: bool = False) -> Project:
    """Create ``path`` (a NAME.aladdin bundle) with media made on this machine."""
    loc = ProjectLocation.for_path(path)
    if not loc.bundle:
        raise ProjectFileError("The sample project is a bundle: give a path ending in .aladdin.")
    if loc.file.exists() and not force:
        raise ProjectFileError(f"'{loc.root}' already exists.")
    ensure_layout(loc)
    media = loc.media_dir
    videos = []
    for i in range(4):
        videos.append(M.make_pattern_video(media / f"pattern-{i + 1}.mp4", seconds=clip_seconds,
                                           size=size, fps=fps, pattern=i,
                                           tone_hz=(220, 277.18, 329.63, 392.0)[i]))
    still = M.make_still(media / "title-card.png", size=size, text="Aladdin Studio")
    scene_seconds = 5 * clip_seconds
    music = M.make_music_bed(media / "music-bed.m4a", seconds=scene_seconds)
    lines = [M.make_dialogue(media / f"dialogue-{i + 1}.m4a", seconds=4.0, seed=7 + i)
             for i in range(2)]

    project = Project(S.new_project_collection(loc.root.stem), loc)
    add = C.AddScene("Scene 1", fps, size)
    add.redo(project)
    scene = add.scene
    video, dialogue, music_track = scene.tracks[0], scene.tracks[1], scene.tracks[2]
    files = videos[:2] + [still] + videos[2:]
    infos = {f: probe(f) for f in files + [music] + lines}
    clips = []
    for f in files:
        clip = clip_for_media(project, f, scene, seconds=clip_seconds, info=infos[f])
        C.AppendClip(video, clip).redo(project)
        clips.append(clip)
    for clip, (kind, direction) in zip(clips, TRANSITIONS, strict=False):
        C.AddTransition(clip, kind, direction=direction, easing="ease-in-out").redo(project)
    rate = S.scene_rate(scene)
    video_seconds = track_end(video, rate) / rate
    bed = clip_for_media(project, music, scene, audio=True, info=infos[music],
                         seconds=video_seconds)
    C.AppendClip(music_track, bed).redo(project)
    C.SetClipAudio(bed, volume=0.5, fade_in=1.0, fade_out=2.0).redo(project)
    for line, at in zip(lines, (3.0, 15.0), strict=True):
        clip = clip_for_media(project, line, scene, audio=True, info=infos[line])
        C.OverwriteClip(dialogue, clip, S.seconds_to_frames(at, rate)).redo(project)
    C.AddMarker(scene, S.seconds_to_frames(10.0, rate), "Beat").redo(project)
    C.SetClipEffects(clips[1], grade="warm").redo(project)
    entries = [bin_entry(project, f, infos[f]) for f in files + [music] + lines]
    C.SetProjectMeta("bin", entries).redo(project)
    save(project)
    return project
