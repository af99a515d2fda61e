"""Burned-in subtitles: a 720p export shows the cue's text pixels while the cue is on screen
and none before it; preview frames (the same compositor) match the export; the style toggle
and undo switch them off."""

from __future__ import annotations

import av
import numpy as np
import pytest

from aladdin_studio.render.compositor import Compositor
from aladdin_studio.render.export import render_scene
from aladdin_studio.render.plan import build_plan
from aladdin_studio.render.presets import get_preset
from aladdin_studio.timeline.project_io import load
from aladdin_studio.timeline.subtitles import SetSubtitleStyle, scene_cues
from aladdin_studio.timeline.undo import UndoStack
from aladdin_studio.voice.library import VoiceLibrary
from aladdin_studio.voice.script import parse_script
from aladdin_studio.voice.service import VoiceService

BAND = slice(int(720 * 0.80), int(720 * 0.96))  # where bottom subtitles sit at 720p


def bright(y: np.ndarray) -> int:
    return int((y[BAND] > 200).sum())


def decoded_y(path, seconds: list[float]) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as c:
        frames = [(f.time, f.to_ndarray(format="yuv420p")[:720]) for f in c.decode(video=0)]
    for t in seconds:
        out.append(min(frames, key=lambda f: abs(f[0] - t))[1])
    return out


def test_burn_in_export_shows_text_only_during_the_cue(project, voice_queue, tmp_path):
    queue = voice_queue()
    service = VoiceService(queue, queue.settings, provider="local",
                           library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    scene = doc.scenes[0]
    batch = service.submit_script(doc, project, scene,
                                  parse_script("NARRATOR: The lamp is lit."), start=1.0)
    service.wait(batch.job_ids, timeout=30)
    stack = UndoStack(doc)
    stack.push(service.place_command(doc, batch))
    (cue,) = scene_cues(scene)
    assert cue.start >= 1.0
    stack.push(SetSubtitleStyle(scene, burn_in=True, size=48))
    plan = build_plan(scene, lambda url: doc.resolve_media(url))
    assert len(plan.subtitles) == 1
    out = tmp_path / "burn.mp4"
    render_scene(plan, out, get_preset("720p"))
    mid = (cue.start + cue.end) / 2
    before, during = decoded_y(out, [0.5, mid])
    assert before.shape == (720, 1280)
    assert bright(before) == 0 and bright(during) > 200
    # the preview's compositor draws the same pixels
    fps = plan.fps
    preview = Compositor(plan, (1280, 720)).frame(int(mid * fps))[:720]
    diff = np.abs(preview.astype(np.int16) - during.astype(np.int16))[BAND]
    assert float(diff.mean()) < 3.0
    assert bright(Compositor(plan, (1280, 720)).frame(int(0.5 * fps))[:720]) == 0
    stack.undo()  # burn-in off again: no text
    plan = build_plan(scene, lambda url: doc.resolve_media(url))
    assert plan.subtitles == ()
    assert bright(Compositor(plan, (1280, 720)).frame(int(mid * fps))[:720]) == 0


def test_style_is_validated(project):
    doc = load(project)
    stack = UndoStack(doc)
    from aladdin_studio.timeline.errors import InvalidEditError

    with pytest.raises(InvalidEditError, match="position"):
        stack.push(SetSubtitleStyle(doc.scenes[0], position="left"))
    with pytest.raises(InvalidEditError, match="Unknown subtitle setting"):
        SetSubtitleStyle(doc.scenes[0], colour="red")
