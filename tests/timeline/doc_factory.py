"""Small documents with made-up media ranges, for fast edit tests."""

from __future__ import annotations

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.undo import UndoStack

RATE = 24


def media_clip(name: str, seconds: float = 7.0, *, start: int = 0, length: int | None = None,
               audio: bool = False, media_seconds: float | None = None):
    media = int((media_seconds or seconds) * RATE)
    ref = S.new_reference(f"/media/{name}.mp4", duration_frames=media, rate=RATE,
                          info={"has_video": not audio, "has_audio": True})
    dur = length if length is not None else int(seconds * RATE) - start
    return S.new_clip(name, ref, start=start, duration=dur, rate=RATE, audio=audio)


def make_doc(n_clips: int = 3, max_clips: int = 10, seconds: float = 7.0):
    project = Project(name="test")
    stack = UndoStack(project)
    add = C.AddScene("S", RATE, (320, 180), max_clips)
    stack.push(add)
    scene = add.scene
    video = scene.tracks[0]
    for i in range(n_clips):
        stack.push(C.AppendClip(video, media_clip(chr(ord("A") + i), seconds)))
    stack._done.clear()  # the starting point of each test
    return project, stack, scene


def spans(track, rate=RATE):
    """(kind, name, start, end) of every item, for readable assertions."""
    out = []
    for slot in layout(track, rate):
        kind = type(slot.item).__name__
        out.append((kind, slot.item.name if kind != "Gap" else "", slot.start, slot.end))
    return out
