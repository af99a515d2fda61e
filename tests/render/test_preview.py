"""The preview API: frames, sound, the playback clock, proxies and the frame cache."""

from __future__ import annotations

import numpy as np
from scene_factory import FPS

from aladdin_studio.render.media_cache import BackgroundCache, MediaCache
from aladdin_studio.render.plan import SAMPLE_RATE
from aladdin_studio.render.preview import Preview
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline import commands as C


def test_frame_at_follows_edits_and_caches_by_recipe(scene):
    clip = scene.append("a.mp4", seconds=2)
    preview = Preview(scene.project.resolve_media)
    first = preview.frame_at(scene.scene, 0.5, (320, 180))
    assert read_frame_number(first) == 12 and first.shape == (180, 320, 3)
    assert preview.frame_at(scene.scene, 0.5, (320, 180)) is first  # cached
    assert preview.hits == 1
    C.Trim(clip, "in", 6, ripple=True).redo(scene.project)  # media in-point 6 frames later
    assert read_frame_number(preview.frame_at(scene.scene, 0.5, (320, 180))) == 18
    preview.close()


def test_audio_matches_the_timeline_and_playback_shares_one_clock(scene):
    scene.append("a.mp4", seconds=1)
    scene.music.append(scene.clip("music.m4a", seconds=1.0, audio=True))
    preview = Preview(scene.project.resolve_media)
    sound = preview.audio(scene.scene, 0.25, 0.75)
    assert sound.shape == (SAMPLE_RATE // 2, 2) and np.abs(sound).max() > 0.01
    frames = list(preview.playback(scene.scene, 0.5, (160, 90)))
    assert [f.frame for f in frames] == list(range(12, FPS))
    assert all(f.audio.shape == (SAMPLE_RATE // FPS, 2) for f in frames)
    # The frames' audio laid end to end is the same sound as one long read.
    joined = np.concatenate([f.audio for f in frames])
    np.testing.assert_allclose(joined, preview.audio(scene.scene, 0.5, 1.0), atol=1e-4)
    preview.close()


def test_proxies_build_in_the_background_and_then_serve_frames(scene, tmp_path):
    scene.append("a.mp4", seconds=2)
    cache = MediaCache(tmp_path / "cache")
    background = BackgroundCache(cache)
    preview = Preview(scene.project.resolve_media, media_cache=cache, background=background)
    before = preview.frame_at(scene.scene, 1.0, (320, 180))
    background.request("proxy", scene.media / "a.mp4").result(timeout=60)
    assert cache.proxy(scene.media / "a.mp4") is not None
    after = preview.frame_at(scene.scene, 1.0, (320, 180))
    assert read_frame_number(after) == read_frame_number(before) == 24
    opened = {key[0] for key in preview.pool._open}
    assert any("proxies" in path for path in opened)
    background.shutdown()
    preview.close()
