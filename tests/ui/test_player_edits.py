"""The player after edits: the frame at the playhead is what the compositor renders for the
document as it is now, and no frame rendered from an older plan is shown once the player
has re-planned (a seek in flight across an edit, playback through an edit, bursts of edits).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from aladdin_studio.render.media_cache import MediaCache
from aladdin_studio.render.plan import build_plan
from aladdin_studio.render.preview import Preview
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.audio_output import AudioOutput
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.player import PlayerWidget

FPS = 24
SIZE = (320, 180)


@pytest.fixture(scope="module")
def proxied_master(sample_master, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("player-edits") / "Sample.aladdin"
    shutil.copytree(sample_master, root)
    project = project_io.load(root)
    preview = Preview(project.resolve_media, media_cache=MediaCache(project.location.cache_dir))
    preview.build_proxies(project.scenes[0])
    preview.close()
    return root


@pytest.fixture
def opened(qtbot, proxied_master, tmp_path):
    target = tmp_path / "Sample.aladdin"
    shutil.copytree(proxied_master, target)
    ctx = EditorContext(project_io.load(target))
    player = PlayerWidget(ctx)
    qtbot.addWidget(player)
    player.resize(640, 420)
    player.show()
    qtbot.waitUntil(lambda: player.displayed_frame == 0, timeout=5000)
    reference = Preview(ctx.project.resolve_media, media_cache=ctx.media_cache)
    yield ctx, player, reference
    reference.close()
    player.shutdown()
    ctx.close()


def expected(ctx, reference, frame: int) -> np.ndarray:
    """What the compositor renders now at ``frame`` (a fresh plan of the document)."""
    plan = build_plan(ctx.scene, ctx.project.resolve_media)
    return reference.frame_at(plan, frame / FPS, SIZE)


def first_clip(ctx):
    return next(c for c in ctx.scene.tracks[0] if isinstance(c, otio.schema.Clip))


class Gate:
    """Holds the player's render thread inside its next frame render until opened."""

    def __init__(self, preview) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()
        self.armed = False
        self._original = preview.frame_at
        preview.frame_at = self._frame_at

    def _frame_at(self, *args, **kwargs):
        if self.armed:
            self.armed = False
            self.entered.set()
            self.opened.wait(10)
        return self._original(*args, **kwargs)


def test_a_seek_rendered_before_an_edit_is_not_shown_after_it(qtbot, opened):
    ctx, player, reference = opened
    player.seek(40)
    qtbot.waitUntil(lambda: player.displayed_frame == 40, timeout=5000)
    before_41 = expected(ctx, reference, 41)
    gate = Gate(ctx.preview)
    gate.armed = True
    player.seek(41)  # rendered from the plan before the edit, held in flight
    assert gate.entered.wait(5)
    shown: list[np.ndarray] = []
    player.frame_shown.connect(lambda _f: shown.append(player.image.copy()))
    assert ctx.push(C.SetClipEffects(first_clip(ctx), grade="cool"))
    after_41 = expected(ctx, reference, 41)
    assert not np.array_equal(before_41, after_41)
    gate.opened.set()
    qtbot.waitUntil(lambda: player.displayed_frame == 41
                    and np.array_equal(player.image, after_41), timeout=5000)
    assert shown, "no frame was shown"
    assert all(np.array_equal(image, after_41) for image in shown), \
        "a frame of the plan before the edit was shown after it"


def test_after_a_burst_of_edits_the_frame_is_the_compositors(qtbot, opened):
    ctx, player, reference = opened
    player.seek(60)
    qtbot.waitUntil(lambda: player.displayed_frame == 60, timeout=5000)
    clip = first_clip(ctx)
    edits = [C.SetClipEffects(clip, grade="cool"),
             C.Trim(clip, "out", -30, ripple=True),  # frame 60 now shows the next clip
             C.SetClipEffects(clip, opacity=0.5),
             C.SetClipAudio(clip, volume=0.5)]
    for edit in edits:
        assert ctx.push(edit)
    ctx.stack.undo()  # the volume: picture unchanged
    want = expected(ctx, reference, 60)
    qtbot.waitUntil(lambda: np.array_equal(player.image, want), timeout=5000)
    assert player.displayed_frame == 60
    assert player.plan == build_plan(ctx.scene, ctx.project.resolve_media)


def test_playback_through_an_edit_shows_only_frames_of_the_new_plan(qtbot, opened):
    ctx, player, reference = opened
    player.audio = AudioOutput(sink_factory=None)
    player.audio._choose_format = lambda: None  # no sound device: frames from frame_at
    player.seek(10)
    qtbot.waitUntil(lambda: player.displayed_frame == 10, timeout=5000)
    player.play()
    qtbot.waitUntil(lambda: player.displayed_frame > 14, timeout=5000)
    shown: list[tuple[int, np.ndarray]] = []
    player.frame_shown.connect(lambda f: shown.append((f, player.image.copy())))
    assert ctx.push(C.SetClipEffects(first_clip(ctx), grade="cool"))
    qtbot.waitUntil(lambda: len(shown) >= 6, timeout=10000)
    player.pause()
    plan = build_plan(ctx.scene, ctx.project.resolve_media)
    for frame, image in shown[:6]:
        want = reference.frame_at(plan, frame / FPS, SIZE)
        assert np.array_equal(image, want), f"frame {frame} is not from the new plan"


def test_frames_are_painted_from_an_rgb32_copy(qtbot, opened):
    from PySide6.QtGui import QImage

    ctx, player, reference = opened
    player.seek(30)
    qtbot.waitUntil(lambda: player.displayed_frame == 30, timeout=5000)
    image = player.view.qimage
    assert image.format() == QImage.Format.Format_RGB32  # scales without a per-paint convert
    y, x = 90, 160
    assert image.pixelColor(x, y).getRgb()[:3] == tuple(int(v) for v in player.image[y, x])
