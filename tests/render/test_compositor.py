"""The compositor against synthetic media with known content."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scene_factory import FPS, SIZE

from aladdin_studio.render import transitions as T
from aladdin_studio.render.compositor import ClipRenderError, Compositor, to_rgb
from aladdin_studio.render.decode import VideoSource
from aladdin_studio.render.plan import ClipSegment, TransitionPlan
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline import commands as C


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def source_frame(scene, name: str, t: float) -> np.ndarray:
    with VideoSource(scene.media / name, out_size=SIZE) as src:
        return src.frame_at(t).copy()


def test_cut_lands_on_the_exact_frame(scene):
    scene.append("a.mp4", seconds=2)
    scene.append("b.mp4", seconds=2, start=0.5)
    comp = Compositor(scene.plan())
    last_a = read_frame_number(to_rgb(comp.frame(2 * FPS - 1)))
    first_b = read_frame_number(to_rgb(comp.frame(2 * FPS)))
    assert last_a == 2 * FPS - 1  # A's media frame 47
    assert first_b == int(0.5 * FPS)  # B's media frame 12 (in-point 0.5 s)
    assert np.array_equal(comp.frame(2 * FPS), source_frame(scene, "b.mp4", 0.5))


def test_dissolve_midpoint_is_the_mean_of_both_sources(scene):
    a = scene.append("a.mp4", seconds=2)  # 1 s of handle after it
    scene.append("b.mp4", seconds=2, start=1.0)  # 1 s of handle before it
    C.AddTransition(a, "dissolve", 1.0).redo(scene.project)
    plan = scene.plan()
    tr = next(s for s in plan.video[0].segments if isinstance(s, TransitionPlan))
    assert (tr.start, tr.end) == (36, 60)
    mid = (tr.start + tr.end) // 2
    comp = Compositor(plan)
    got = comp.frame(mid)
    fa = source_frame(scene, "a.mp4", tr.a.source_time(mid, FPS))
    fb = source_frame(scene, "b.mp4", tr.b.source_time(mid, FPS))
    expected = ((fa.astype(np.uint16) + fb) // 2).astype(np.uint8)
    assert psnr(got, expected) >= 40
    # Both sides really move through their handles: A past its out-point, B before its in.
    assert read_frame_number(to_rgb(fa)) == mid
    assert read_frame_number(to_rgb(fb)) == mid - 48 + 24


def test_half_left_wipe_shows_a_on_the_left_and_b_on_the_right(scene):
    a = scene.append("a.mp4", seconds=2)
    scene.append("b.mp4", seconds=2, start=1.0)
    C.AddTransition(a, "wipe", 1.0, direction="left").redo(scene.project)
    plan = scene.plan()
    tr = next(s for s in plan.video[0].segments if isinstance(s, TransitionPlan))
    mid = (tr.start + tr.end) // 2
    got = T.planes(Compositor(plan).frame(mid))[0]
    fa = T.planes(source_frame(scene, "a.mp4", tr.a.source_time(mid, FPS)))[0]
    fb = T.planes(source_frame(scene, "b.mp4", tr.b.source_time(mid, FPS)))[0]
    half = SIZE[0] // 2
    assert np.array_equal(got[:, :half], fa[:, :half])
    assert np.array_equal(got[:, half:], fb[:, half:])


def test_fade_goes_through_black_at_the_cut(scene):
    a = scene.append("a.mp4", seconds=2)
    scene.append("b.mp4", seconds=2)
    C.AddTransition(a, "fade", 0.5).redo(scene.project)
    comp = Compositor(scene.plan())
    y_cut = T.planes(comp.frame(48))[0]
    assert abs(float(y_cut.mean()) - T.BLACK_Y) < 2
    assert T.planes(comp.frame(40))[0].mean() > y_cut.mean() + 10


def test_speed_selects_frames_and_gaps_are_black(scene):
    clip = scene.append("a.mp4", seconds=2)
    C.SetSpeed(clip, 2.0).redo(scene.project)
    plan = scene.plan()
    assert plan.frames == 24  # 2 s of media at 2x
    comp = Compositor(plan)
    assert read_frame_number(to_rgb(comp.frame(10))) == 20
    black = comp.frame(plan.frames + 5)
    assert T.planes(black)[0].max() == T.BLACK_Y


def test_upper_track_covers_lower_and_blends_by_opacity(scene):
    scene.append("a.mp4", seconds=2)
    v2 = scene.add_video_track()
    top = scene.append("b.mp4", seconds=2, track=v2)
    comp = Compositor(scene.plan())
    fb = source_frame(scene, "b.mp4", 10 / FPS)
    assert np.array_equal(comp.frame(10), fb)
    C.SetClipEffects(top, opacity=0.5).redo(scene.project)
    comp.set_plan(scene.plan())
    fa = source_frame(scene, "a.mp4", 10 / FPS)
    expected = ((fa.astype(np.uint16) + fb) // 2).astype(np.uint8)
    assert psnr(comp.frame(10), expected) >= 40


def test_letterboxed_upper_clip_leaves_the_bars_transparent(scene):
    scene.append("a.mp4", seconds=2)
    v2 = scene.add_video_track()
    scene.append("still.png", seconds=2, track=v2)  # same aspect: covers everything
    plan = scene.plan()
    comp = Compositor(plan, (320, 240))  # 4:3 output: 16:9 pictures get bars
    out = T.planes(comp.frame(5))[0]
    lower = T.planes(Compositor(replace(plan, video=plan.video[:1]), (320, 240)).frame(5))[0]
    # Bars (top/bottom rows) show the lower track, not black.
    assert np.array_equal(out[:10], lower[:10])
    assert not np.array_equal(out[120], lower[120])


def test_segments_cover_the_track_without_overlap(scene):
    a = scene.append("a.mp4", seconds=2)
    b = scene.append("b.mp4", seconds=2, start=1.0)
    scene.append("a.mp4", seconds=1, start=1.0)
    C.AddTransition(a, "dissolve", 1.0).redo(scene.project)
    C.AddTransition(b, "slide", 0.5, direction="right").redo(scene.project)
    segs = scene.plan().video[0].segments
    assert [type(s) for s in segs] == [ClipSegment, TransitionPlan, ClipSegment, TransitionPlan,
                                       ClipSegment]
    assert all(x.end == y.start for x, y in zip(segs, segs[1:], strict=False))


def test_corrupt_clip_error_names_the_clip(scene, tmp_path):
    bad = scene.media.parent / "bad-media"
    bad.mkdir(exist_ok=True)
    good = scene.append("a.mp4", seconds=1)
    path = bad / "broken.mp4"
    data = (scene.media / "a.mp4").read_bytes()
    path.write_bytes(data[: len(data) // 12])  # truncated inside the first second
    good.media_reference.target_url = str(path)
    plan = scene.plan()
    comp = Compositor(plan)
    with pytest.raises(ClipRenderError, match="Clip 'a'") as err:
        for n in range(plan.frames):
            comp.frame(n)
    assert "broken.mp4" in str(err.value)


def test_offline_media_shows_a_slate_in_preview(scene, tmp_path):
    clip = scene.append("a.mp4", seconds=1)
    clip.media_reference.target_url = str(tmp_path / "gone.mp4")
    plan = scene.plan()
    assert [c.name for c in plan.offline()] == ["a"]
    rgb = to_rgb(Compositor(plan).frame(0))
    assert rgb[..., 0].mean() > rgb[..., 2].mean() + 30  # dark red slate


def test_generation_placeholder_previews_as_a_slate_and_blocks_export(scene, tmp_path):
    import opentimelineio as otio

    from aladdin_studio.render.plan import OfflineMediaError

    clip = scene.append("a.mp4", seconds=1)
    clip.media_reference = otio.schema.GeneratorReference(
        generator_kind="aladdin.generation", parameters={"job_id": "j1"},
        available_range=clip.source_range)
    plan = scene.plan()
    rgb = to_rgb(Compositor(plan).frame(0))
    assert rgb[..., 2].mean() > rgb[..., 0].mean() + 20  # blue "generating" slate
    with pytest.raises(OfflineMediaError, match="still being generated"):
        plan.require_online()
