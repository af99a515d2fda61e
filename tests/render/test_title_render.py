"""Title clips: rasterised text over the picture, the same pixels in preview and export."""

from __future__ import annotations

import json
from dataclasses import replace

import av
import numpy as np
from scene_factory import FPS, SIZE

from aladdin_studio.render import export as E
from aladdin_studio.render import titles as R
from aladdin_studio.render.compositor import Compositor, to_rgb
from aladdin_studio.render.presets import get_preset
from aladdin_studio.render.preview import Preview
from aladdin_studio.render.worker import plan_from_document
from aladdin_studio.timeline import title_commands as TC
from aladdin_studio.timeline import titles as TT
from aladdin_studio.timeline.project_io import serialize


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def add_title(scene, at_s: float = 0.5, seconds: float = 1.5, **params):
    clip = TT.new_title_clip(FPS, seconds=seconds, **{"text": "HELLO", "size": 300.0,
                                                       "color": "#ff2020", "shadow": False,
                                                       "fade_in": 0.0, "fade_out": 0.0,
                                                       **params})
    cmd = TC.AddTitle(scene.scene, int(at_s * FPS), clip)
    cmd.redo(scene.project)
    return clip, cmd


def box_of(plan) -> tuple[int, int, int, int]:
    clip = next(c for c in plan.clips() if c.title)
    layer = R.title_layer(clip.title, SIZE)
    assert layer is not None
    return layer.rect


def test_title_goes_on_a_new_v2_over_the_clip_and_draws_only_in_its_box_and_time(scene):
    scene.append("a.mp4", seconds=3)
    clip, cmd = add_title(scene)
    assert cmd.placed_on is not scene.video and cmd.placed_on.name == "V2"
    assert [t.name for t in scene.scene.tracks][:2] == ["V1", "V2"]
    plan = scene.plan()
    assert plan.offline() == []  # a title is not missing media: export accepts it
    path = scene.save()  # the export worker rebuilds the same plan from the saved document
    assert plan_from_document(serialize(scene.project), str(path), "S") == plan
    comp = Compositor(plan)
    x, y, w, h = box_of(plan)
    assert w > 40 and h > 20
    bare = Compositor(plan)
    bare.set_plan(replace(plan, video=plan.video[:1]))  # the clip alone
    n = int(1.0 * FPS)
    with_title, without = to_rgb(comp.frame(n)), to_rgb(bare.frame(n))
    inside = np.abs(with_title[y:y + h, x:x + w].astype(int) - without[y:y + h, x:x + w])
    assert inside.max() > 100  # red letters cover the pattern
    red = with_title[y:y + h, x:x + w]
    assert ((red[..., 0] > 180) & (red[..., 1] < 90)).sum() > 200
    outside = with_title.copy()
    outside[y:y + h, x:x + w] = without[y:y + h, x:x + w]
    assert np.array_equal(outside, without)  # nothing outside the text box
    for before_or_after in (int(0.5 * FPS) - 1, int(2.0 * FPS)):  # title spans 12…47
        assert np.array_equal(comp.frame(before_or_after), bare.frame(before_or_after))


def test_title_fades_in_and_out(scene):
    scene.append("a.mp4", seconds=3)
    add_title(scene, at_s=0.0, seconds=2.0, fade_in=0.5, fade_out=0.5)
    plan = scene.plan()
    comp = Compositor(plan)
    x, y, w, h = box_of(plan)
    bare = Compositor(plan)
    bare.set_plan(replace(plan, video=plan.video[:1]))

    def strength(n: int) -> float:
        a, b = comp.frame(n), bare.frame(n)
        return float(np.abs(a[y:y + h, x:x + w].astype(int) - b[y:y + h, x:x + w]).mean())

    early, middle, late = strength(2), strength(FPS), strength(2 * FPS - 3)
    assert 0 < early < middle * 0.4 and 0 < late < middle * 0.4
    assert comp.recipe(2) != comp.recipe(3)  # the preview cache sees the fade


def test_preview_and_export_show_the_same_title_pixels(scene, tmp_path):
    scene.append("b.mp4", seconds=2)
    add_title(scene, at_s=0.25, seconds=1.5, outline=6.0, shadow=True, text="Two\nlines")
    plan = scene.plan()
    crisp = replace(get_preset("draft"), size=SIZE,
                    video_options={"crf": "8", "preset": "fast"})
    out = tmp_path / "title.mp4"
    E.render_scene(plan, out, crisp)
    with av.open(str(out)) as c:
        exported = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    preview = Preview(scene.project.resolve_media)
    try:
        n = int(1.0 * FPS)
        shown = preview.frame_at(plan, n / FPS, SIZE)
    finally:
        preview.close()
    x, y, w, h = box_of(plan)
    # Bit-identical to what the export hands the encoder; after x264 (crf 8) ≈ 40 dB.
    assert np.array_equal(shown, to_rgb(Compositor(plan).frame(n)))
    assert psnr(shown, exported[n]) > 35
    assert psnr(shown[y:y + h, x:x + w], exported[n][y:y + h, x:x + w]) > 30


def test_title_layer_is_cached_per_settings_and_size(scene):
    clip, _ = add_title(scene)
    key = next(c for c in scene.plan().clips() if c.title).title
    assert R.title_layer(key, SIZE) is R.title_layer(key, SIZE)
    assert R.title_layer(key, (640, 360)).rect != R.title_layer(key, SIZE).rect


def test_builtin_font_when_a_font_file_is_missing(monkeypatch):
    monkeypatch.setattr(R, "FONT_DIRS", ())
    image, _corner = R.rasterise({**TT.DEFAULT_TITLE, "text": "Hi"}, (320, 180))
    assert image.getbbox() is not None


def test_a_title_partly_outside_the_frame_is_cut_at_the_edges():
    key = json.dumps({**TT.DEFAULT_TITLE, "text": "EDGE", "size": 300.0, "x": 0.0, "y": 1.0},
                     sort_keys=True)
    layer = R.title_layer(key, (320, 180))
    x, y, w, h = layer.rect
    assert x <= 4 and y + h == 180 and w % 2 == 0 and h % 2 == 0 and w < 200
    frame = np.full((270, 320), 16, dtype=np.uint8)
    assert R.blend(frame, layer, 1.0).shape == frame.shape
