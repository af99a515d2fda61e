"""Small real projects with synthetic media of known content, for render tests."""

from __future__ import annotations

from pathlib import Path

from aladdin_studio import sample_media as M
from aladdin_studio.render.plan import ScenePlan, build_plan
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project, ProjectLocation
from aladdin_studio.timeline.media import clip_for_media
from aladdin_studio.timeline.project_io import ensure_layout, save

SIZE = (320, 180)
FPS = 24


class Scene:
    """A project bundle with one scene; media made once per directory."""

    def __init__(self, root: Path, media: Path) -> None:
        loc = ProjectLocation.for_path(root / "T.aladdin")
        ensure_layout(loc)
        self.media = media
        self.project = Project(S.new_project_collection("T"), loc)
        add = C.AddScene("S", FPS, SIZE)
        add.redo(self.project)
        self.scene = add.scene
        self.video = self.scene.tracks[0]
        self.dialogue = self.scene.tracks[1]
        self.music = self.scene.tracks[2]

    def clip(self, name: str, *, seconds: float, start: float = 0.0, audio: bool = False):
        return clip_for_media(self.project, self.media / name, self.scene, seconds=seconds,
                              start_seconds=start, audio=audio)

    def append(self, name: str, *, seconds: float, start: float = 0.0, track=None):
        clip = self.clip(name, seconds=seconds, start=start)
        C.AppendClip(self.video if track is None else track, clip).redo(self.project)
        return clip

    def add_video_track(self):
        cmd = C.AddTrack(self.scene, "video", "V2")
        cmd.redo(self.project)
        return cmd.track

    def plan(self) -> ScenePlan:
        return build_plan(self.scene, self.project.resolve_media)

    def save(self) -> Path:
        return save(self.project)


def make_media(folder: Path) -> Path:
    """3 s pattern clips A (pattern 0) and B (pattern 1) with 12-frame GOPs, a still,
    a music bed and a dialogue line."""
    folder.mkdir(parents=True, exist_ok=True)
    M.make_pattern_video(folder / "a.mp4", seconds=3, size=SIZE, fps=FPS, pattern=0, gop=12,
                         crf=16, tone_hz=330)
    M.make_pattern_video(folder / "b.mp4", seconds=3, size=SIZE, fps=FPS, pattern=1, gop=12,
                         crf=16, tone_hz=550)
    M.make_still(folder / "still.png", size=SIZE)
    M.make_music_bed(folder / "music.m4a", seconds=6)
    M.make_dialogue(folder / "line.m4a", seconds=2.0)
    return folder
