"""Export: presets validated by ffprobe, durations, segments, errors, cancel, preview parity."""

from __future__ import annotations

import json
import random
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from scene_factory import FPS, SIZE

from aladdin_studio.render import export as E
from aladdin_studio.render.compositor import to_rgb
from aladdin_studio.render.decode import VideoSource
from aladdin_studio.render.presets import PRESETS, get_preset
from aladdin_studio.render.preview import Preview
from aladdin_studio.render.worker import ExportProcess, ExportRequest
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline.project_io import serialize


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                          "-show_format", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def top_level_atoms(path: Path) -> list[str]:
    atoms, data = [], path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        atoms.append(kind.decode("latin-1"))
        if size < 8:
            break
        pos += size
    return atoms


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def two_clips(scene, transition: str | None = "dissolve", seconds: float = 1.0):
    a = scene.append("a.mp4", seconds=seconds)
    scene.append("b.mp4", seconds=seconds, start=1.0)
    if transition:
        C.AddTransition(a, transition, 0.5).redo(scene.project)
    return a


def small(preset_name: str):
    """The preset at the test media's size (the codec settings are what is under test)."""
    preset = get_preset(preset_name)
    if preset.size is None:
        return preset
    w, h = preset.size
    return replace(preset, size=(w // 6 // 2 * 2, h // 6 // 2 * 2))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_passes_ffprobe(scene, tmp_path, name):
    two_clips(scene)
    scene.dialogue.append(scene.clip("line.m4a", seconds=1.0, audio=True))
    plan = scene.plan()
    preset = get_preset(name) if name in ("draft", "prores") else small(name)
    out = tmp_path / f"out{preset.suffix}"
    result = E.render_scene(plan, out, preset)
    info = ffprobe(out)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    w, h = preset.size or SIZE
    assert (video["width"], video["height"]) == (w, h) == (result.width, result.height)
    fps = preset.fps or FPS
    num, den = (int(x) for x in video["r_frame_rate"].split("/"))
    assert abs(num / den - fps) < 1e-6
    expected = {"libx264": "h264", "prores_ks": "prores"}[preset.vcodec]
    assert video["codec_name"] == expected
    assert audio["codec_name"] == {"aac": "aac", "pcm_s16le": "pcm_s16le"}[preset.acodec]
    assert int(audio["sample_rate"]) == 48000 and audio["channels"] == 2
    assert abs(float(info["format"]["duration"]) - plan.duration) <= 1.0 / fps + 0.03
    assert int(video["nb_frames"]) == round(plan.duration * fps)
    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat"), atoms  # faststart
    if preset.vcodec == "libx264":
        assert video["pix_fmt"] == "yuv420p"
    else:
        assert video["profile"] in ("Standard", "422")
    assert not list(tmp_path.glob(".*parts"))


def test_duration_matches_the_timeline_and_cut_frames_survive(scene, tmp_path):
    two_clips(scene, transition=None)
    plan = scene.plan()
    out = tmp_path / "cut.mp4"
    crisp = replace(get_preset("draft"), size=SIZE, video_options={"crf": "12", "preset": "fast"})
    E.render_scene(plan, out, crisp)
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert abs(len(frames) - plan.frames) <= 1
    assert read_frame_number(frames[FPS - 1]) == FPS - 1  # last frame of A
    assert read_frame_number(frames[FPS]) == FPS  # B from its 1 s in-point


def test_segments_join_losslessly_into_one_stream(scene, tmp_path):
    two_clips(scene, transition="wipe", seconds=2.0)
    plan = scene.plan()
    preset = small("1080p24")
    one, three = tmp_path / "one.mp4", tmp_path / "three.mp4"
    E.render_scene(plan, one, preset, segments=1)
    r3 = E.render_scene(plan, three, preset, segments=3)
    assert r3.segments == 3
    with av.open(str(one)) as c1, av.open(str(three)) as c3:
        f1 = [f.to_ndarray(format="gray") for f in c1.decode(video=0)]
        f3 = [f.to_ndarray(format="gray") for f in c3.decode(video=0)]
    assert len(f1) == len(f3) == round(plan.duration * FPS)
    assert min(psnr(a, b) for a, b in zip(f1, f3, strict=True)) > 35


def test_time_range_renders_only_that_part(scene, tmp_path):
    two_clips(scene, seconds=2.0)
    out = tmp_path / "range.mp4"
    result = E.render_scene(scene.plan(), out, small("draft"), time_range=(1.0, 2.5))
    assert result.frames == 36
    assert abs(float(ffprobe(out)["format"]["duration"]) - 1.5) < 0.05
    with pytest.raises(E.RenderError, match="empty or outside"):
        E.render_scene(scene.plan(), out, small("draft"), time_range=(50, 60))


def test_corrupt_clip_fails_with_its_name_and_leaves_nothing(scene, tmp_path):
    clip = scene.append("a.mp4", seconds=2)
    broken = tmp_path / "broken.mp4"
    data = (scene.media / "a.mp4").read_bytes()
    broken.write_bytes(data[: len(data) // 12])
    clip.media_reference.target_url = str(broken)
    out = tmp_path / "x.mp4"
    with pytest.raises(E.RenderError, match=r"Clip 'a' \(broken.mp4\)"):
        E.render_scene(scene.plan(), out, small("draft"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["T.aladdin", "broken.mp4"]


def test_offline_media_is_refused_before_rendering(scene, tmp_path):
    clip = scene.append("a.mp4", seconds=1)
    clip.media_reference.target_url = str(tmp_path / "gone.mp4")
    with pytest.raises(E.RenderError, match="Clip 'a'.*offline"):
        E.render_scene(scene.plan(), tmp_path / "x.mp4", small("draft"))


def test_failed_encode_is_retried_once(scene, tmp_path, monkeypatch):
    two_clips(scene)
    real = E.render_segment
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise av.error.ExternalError(-542398533, "libx264 encode")
        return real(*args, **kwargs)

    monkeypatch.setattr(E, "render_segment", flaky)
    result = E.render_scene(scene.plan(), tmp_path / "r.mp4", small("draft"))
    assert len(calls) == 2 and any("retried" in n for n in result.notices)


def test_out_of_memory_retries_at_a_lower_resolution(scene, tmp_path, monkeypatch):
    two_clips(scene)
    real = E.render_segment

    def hungry(plan, path, preset, *args, **kwargs):
        if preset.size[0] > 700:
            raise MemoryError()
        return real(plan, path, preset, *args, **kwargs)

    monkeypatch.setattr(E, "render_segment", hungry)
    result = E.render_scene(scene.plan(), tmp_path / "m.mp4", get_preset("draft"))
    assert result.width < 960 and any("Memory exceeded" in n for n in result.notices)
    video = ffprobe(tmp_path / "m.mp4")["streams"][0]
    assert video["width"] == result.width


def test_cancel_in_the_worker_process_leaves_no_output(scene, tmp_path):
    a = scene.append("a.mp4", seconds=3)
    b = scene.append("b.mp4", seconds=3)
    scene.append("a.mp4", seconds=3)
    C.AddTransition(a, "dissolve", 1.0).redo(scene.project)
    C.AddTransition(b, "slide", 1.0).redo(scene.project)
    path = scene.save()
    out = tmp_path / "cancelled.mp4"
    request = ExportRequest(serialize(scene.project), str(path), str(out),
                            get_preset("1080p24"))
    job = ExportProcess(request).start()
    while job.progress is None or job.progress.stage != "video" or job.progress.done < 5:
        job.poll()
        assert not job.finished, job.error
    job.cancel()
    assert job.cancelled
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["T.aladdin"]


def test_worker_process_reports_progress_and_result(scene, tmp_path):
    two_clips(scene)
    path = scene.save()
    out = tmp_path / "done.mp4"
    job = ExportProcess(ExportRequest(serialize(scene.project), str(path), str(out),
                                      small("draft"))).start()
    result = job.wait(timeout=120)
    assert out.exists() and result.frames == scene.plan().frames
    assert job.progress is not None and job.progress.done == job.progress.total


def test_preview_frames_match_the_export(scene, tmp_path):
    from aladdin_studio.render.media_cache import MediaCache

    a = scene.append("a.mp4", seconds=2)
    b = scene.append("b.mp4", seconds=2, start=1.0)
    scene.append("a.mp4", seconds=2, start=0.5)
    C.AddTransition(a, "dissolve", 1.0).redo(scene.project)
    C.AddTransition(b, "wipe", 0.5).redo(scene.project)
    C.SetClipEffects(b, grade="warm").redo(scene.project)
    plan = scene.plan()
    out = tmp_path / "parity.mp4"
    E.render_scene(plan, out, get_preset("720p"))
    preview = Preview(scene.project.resolve_media, media_cache=MediaCache(tmp_path / "cache"))
    preview.build_proxies(plan)
    rng = random.Random(4)
    times = sorted(rng.uniform(0, plan.duration - 0.1) for _ in range(10))
    with VideoSource(out, out_size=(640, 360)) as exported:
        for t in times:
            got = preview.frame_at(plan, t, (640, 360))
            want = to_rgb(exported.frame_at(t))
            assert psnr(got, want) >= 38, t
    preview.close()


def test_exported_sound_is_loudness_normalised(scene, tmp_path):
    import re

    two_clips(scene, seconds=2.0)
    scene.music.append(scene.clip("music.m4a", seconds=3.5, audio=True))
    scene.dialogue.append(scene.clip("line.m4a", seconds=2.0, audio=True))
    out = tmp_path / "loud.mp4"
    result = E.render_scene(scene.plan(), out, small("draft"))
    assert result.gain_db is not None
    meter = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(out), "-af",
                            "ebur128", "-f", "null", "-"], capture_output=True, text=True)
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", meter.stderr)[-1])
    assert abs(integrated - (-14.0)) <= 1.0, integrated
    audio = next(s for s in ffprobe(out)["streams"] if s["codec_type"] == "audio")
    assert abs(float(audio["duration"]) - scene.plan().duration) < 0.05
