"""Media cache: proxies (timing, size, quality, reuse, cancel), filmstrips, waveforms, workers."""

from __future__ import annotations

import itertools
import math
import os
import random
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from aladdin_studio.render import media_cache as mc
from aladdin_studio.render.decode import DecodeError, VideoSource
from aladdin_studio.render.media_cache import BackgroundCache, BuildCancelled, MediaCache
from aladdin_studio.render.proxies import PROXY_GOP, PROXY_SIZE, proxy_size
from aladdin_studio.sample_media import (
    make_music_bed,
    make_pattern_video,
    make_still,
    read_frame_number,
)
from aladdin_studio.timeline.probe import probe

SIZE = (320, 180)
FPS = 24
SECONDS = 2


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def clip(media) -> Path:
    """CFR 24 fps with B-frames and a 48-frame GOP (a typical camera-ish file)."""
    return make_pattern_video(media / "clip.mp4", seconds=SECONDS, size=SIZE, fps=FPS, gop=48)


@pytest.fixture(scope="module")
def vfr(media, clip) -> Path:
    """The clip's frames at irregular times (Matroska: 1 ms ticks; B-frames, no audio)."""
    rng = random.Random(5)
    steps = [rng.choice([17, 33, 41, 50, 83, 125]) for _ in range(SECONDS * FPS)]
    pts = [sum(steps[:i]) for i in range(len(steps))]
    return _reencode(clip, media / "vfr.mkv", pts=pts)


@pytest.fixture(scope="module")
def rotated(media, clip) -> Path:
    """The clip with a display matrix turning it 90 degrees counter-clockwise (portrait)."""
    return _reencode(clip, media / "rotated.mp4", rotation_ccw=90)


@pytest.fixture(scope="module")
def sine(media) -> Path:
    """2 s stereo PCM: left 0.6 * sin, right 0.2 * sin in phase -> mono mix amplitude 0.4."""
    rate, n = 48_000, 2 * 48_000
    wave = np.sin(2 * np.pi * 440 * np.arange(n) / rate)
    stereo = np.stack([0.6 * wave, 0.2 * wave], axis=1)
    samples = np.round(stereo * 32767).astype(np.int16).reshape(1, -1)
    path = media / "sine.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = rate, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def still(media) -> Path:
    return make_still(media / "still.png", size=SIZE)


@pytest.fixture(scope="module")
def junk(media) -> Path:
    path = media / "junk.mp4"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 50_000, np.uint8).tobytes())
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> MediaCache:
    """One cache for read-only tests (proxies are built once per module)."""
    return MediaCache(tmp_path_factory.mktemp("project") / "cache")


@pytest.fixture
def cache(tmp_path) -> MediaCache:
    return MediaCache(tmp_path / "Film.aladdin" / "cache")


def _reencode(src: Path, dest: Path, *, pts: list[int] | None = None,
              rotation_ccw: int = 0) -> Path:
    """Re-encode ``src``'s video (no audio) with ms timestamps ``pts`` and a rotation."""
    with av.open(str(src)) as inp, av.open(str(dest), "w") as out:
        vs = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "crf": "14"})
        vs.width, vs.height, vs.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        vs.codec_context.time_base = vs.time_base = Fraction(1, 1000)
        if rotation_ccw:
            vs.set_display_rotation(rotation_ccw)
        for i, frame in enumerate(inp.decode(video=0)):
            new = av.VideoFrame.from_ndarray(frame.to_ndarray(), "yuv420p")
            new.pts = pts[i] if pts else round(i * 1000 / FPS)
            new.time_base = Fraction(1, 1000)
            out.mux(vs.encode(new))
        out.mux(vs.encode(None))
    return dest


def _frame_times(path: Path) -> list[float]:
    """Presentation times (s from the stream start) of every video packet, sorted."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        start = s.start_time or 0
        return sorted(float((p.pts - start) * s.time_base) for p in c.demux(s) if p.size)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _files(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


# --------------------------------------------------------------------------- proxies


def test_proxy_size_fits_and_keeps_aspect():
    assert PROXY_SIZE == (960, 540)
    assert proxy_size(1920, 1080) == (960, 540)
    assert proxy_size(3840, 2160) == (960, 540)
    assert proxy_size(1080, 1920) == (304, 540)
    assert proxy_size(4096, 2160) == (960, 506)
    assert proxy_size(640, 360) == (640, 360)  # never upscaled


def test_proxy_is_none_until_built(shared, clip):
    assert shared.proxy(clip) is None
    path = shared.build_proxy(clip)
    assert path == shared.proxy(clip)
    assert path.parent == shared.root / "proxies" and path.suffix == ".mp4"
    assert path.stem == shared.key(clip)
    assert _files(path.parent) == [path.name]  # no temp files left behind


def test_proxy_format(shared, clip):
    path = shared.build_proxy(clip)
    info = probe(path)
    assert info.video_codec == "h264" and not info.has_audio
    assert (info.width, info.height, info.rotation) == (*SIZE, 0)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.pix_fmt == "yuv420p"
        packets = [p for p in c.demux(s) if p.size]
    assert all(p.pts == p.dts for p in packets)  # no B-frames
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert keys == list(range(0, len(packets), PROXY_GOP))
    assert info.duration == pytest.approx(probe(clip).duration, abs=1e-6)


@pytest.mark.parametrize("name", ["clip", "vfr"])
def test_proxy_shows_the_same_frame_at_any_time(shared, name, request):
    src = request.getfixturevalue(name)
    proxy = shared.build_proxy(src)
    times = _frame_times(src)
    assert _frame_times(proxy) == pytest.approx(times, abs=1e-6)
    rng = random.Random(11)
    probes = [rng.uniform(-0.1, times[-1] + 0.2) for _ in range(50)]
    probes += [t for t in times[::3]] + [t - 1e-4 for t in times[1::3]]
    with VideoSource(src, pix_fmt="rgb24") as a, VideoSource(proxy, pix_fmt="rgb24") as b:
        got = [(read_frame_number(a.frame_at(t)), read_frame_number(b.frame_at(t)))
               for t in probes]
    assert [x for x, _ in got] == [y for _, y in got]
    assert len({x for x, _ in got}) > 20  # really spread over the clip


def test_proxy_downscales_and_keeps_quality(cache, tmp_path):
    src = make_pattern_video(tmp_path / "hd.mp4", seconds=1, size=(1280, 720), pattern=1)
    proxy = cache.build_proxy(src)
    assert (probe(proxy).width, probe(proxy).height) == PROXY_SIZE
    with VideoSource(src, out_size=PROXY_SIZE) as a, VideoSource(proxy, out_size=PROXY_SIZE) as b:
        scores = [_psnr(a.frame_at(t), b.frame_at(t)) for t in (0.0, 0.3, 0.55, 0.95)]
    assert min(scores) >= 40.0, scores


def test_proxy_of_rotated_source_is_upright(shared, rotated):
    assert probe(rotated).rotation == 270
    proxy = shared.build_proxy(rotated)
    info = probe(proxy)
    assert (info.width, info.height, info.rotation) == (SIZE[1], SIZE[0], 0)
    with VideoSource(rotated) as a, VideoSource(proxy) as b:
        for t in (0.0, 0.7, 1.9):
            assert a.frame_at(t).shape == b.frame_at(t).shape
            assert _psnr(a.frame_at(t), b.frame_at(t)) >= 38.0


def test_proxy_is_reused_not_rebuilt(cache, clip, monkeypatch):
    first = cache.build_proxy(clip)
    stamp = first.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("proxy encoded twice")

    monkeypatch.setattr(mc, "encode_proxy", fail)
    reports: list[float] = []
    assert cache.build_proxy(clip, progress=reports.append) == first
    assert first.stat().st_mtime_ns == stamp
    assert reports == [1.0]
    # A second cache object on the same folder finds it too.
    assert MediaCache(cache.root).proxy(clip) == first


def test_key_follows_content(cache, tmp_path):
    path = tmp_path / "take.mp4"
    make_pattern_video(path, seconds=0.5, size=SIZE, pattern=0)
    before = cache.key(path)
    assert before.endswith(f"-v{mc.CACHE_VERSION}")
    assert cache.key(path) == before
    cache.build_proxy(path)
    twin = tmp_path / "copy.mp4"
    twin.write_bytes(path.read_bytes())
    assert cache.key(twin) == before and cache.proxy(twin) is not None

    make_pattern_video(path, seconds=0.5, size=SIZE, pattern=3)
    assert cache.key(path) != before
    assert cache.proxy(path) is None


def test_progress_rises_to_one(cache, clip):
    reports: list[float] = []
    cache.build_proxy(clip, progress=reports.append)
    assert reports[-1] == 1.0 and len(reports) > 10
    assert reports == sorted(reports) and 0.0 <= reports[0] < 0.1


@pytest.mark.parametrize("after", [0, 10])
def test_cancel_leaves_nothing(cache, clip, after):
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > after

    with pytest.raises(BuildCancelled):
        cache.build_proxy(clip, cancel=cancel)
    assert cache.proxy(clip) is None
    assert _files(cache.root / "proxies") == []


def test_stills_and_errors(cache, still, junk, sine, tmp_path):
    assert cache.build_proxy(still) == still  # stills are used directly
    assert cache.proxy(still) is None
    with pytest.raises(DecodeError, match="no video stream"):
        cache.build_proxy(sine)
    with pytest.raises(DecodeError, match="no video stream"):
        cache.thumbnails(sine)
    with pytest.raises(DecodeError, match="junk.mp4"):
        cache.build_proxy(junk)
    missing = tmp_path / "gone.mp4"
    assert cache.proxy(missing) is None
    with pytest.raises(DecodeError, match="gone.mp4"):
        cache.build_proxy(missing)
    assert _files(cache.root / "proxies") == []


# --------------------------------------------------------------------------- thumbnails


def test_thumbnail_times_are_even(shared, clip, still):
    times = shared.thumbnail_times(clip, 4)
    assert times == pytest.approx([0.25, 0.75, 1.25, 1.75])
    assert shared.thumbnail_times(still, 3) == [0.0, 0.0, 0.0]


def test_filmstrip_size_and_frames(shared, clip):
    path = shared.thumbnails(clip, count=3, height=180)
    with Image.open(path) as img:
        assert img.size == (3 * 320, 180)
        strip = np.asarray(img.convert("RGB"))
    numbers = [read_frame_number(strip[:, i * 320 : (i + 1) * 320]) for i in range(3)]
    assert numbers == [math.floor(t * FPS) for t in shared.thumbnail_times(clip, 3)]
    with Image.open(shared.thumbnails(clip)) as img:
        assert img.size == (10 * 128, 72)


def test_filmstrip_of_rotated_and_still(shared, rotated, still):
    with Image.open(shared.thumbnails(rotated, count=5, height=72)) as img:
        assert img.size == (5 * 40, 72)  # portrait: 72 * 180 / 320 = 40.5 -> 40
    with Image.open(shared.thumbnails(still, count=2, height=90)) as img:
        assert img.size == (2 * 160, 90)


def test_filmstrip_is_cached(cache, clip, monkeypatch):
    path = cache.thumbnails(clip, count=4)
    stamp = path.stat().st_mtime_ns
    monkeypatch.setattr(mc, "_filmstrip", None)  # would fail if called
    assert cache.thumbnails(clip, count=4) == path
    assert path.stat().st_mtime_ns == stamp
    assert cache.cached("thumbnails", clip, count=4) == path
    assert cache.cached("thumbnails", clip, count=5) is None


# --------------------------------------------------------------------------- waveforms


@pytest.mark.parametrize("pps", [100, 30, 7])
def test_waveform_of_a_sine(cache, sine, pps):
    peaks = cache.waveform(sine, peaks_per_second=pps)
    assert peaks.dtype == np.float32 and peaks.ndim == 2 and peaks.shape[1] == 2
    assert abs(len(peaks) - 2 * pps) <= 1
    np.testing.assert_allclose(peaks[:, 1], 0.4, atol=0.02)
    np.testing.assert_allclose(peaks[:, 0], -0.4, atol=0.02)


def test_waveform_of_aac_music(cache, tmp_path):
    music = make_music_bed(tmp_path / "bed.m4a", seconds=3)
    peaks = cache.waveform(music, peaks_per_second=50)
    assert abs(len(peaks) - 150) <= 1
    assert np.all(peaks[:, 0] <= peaks[:, 1])
    assert -1.0 <= peaks.min() < -0.05 and 0.05 < peaks.max() <= 1.0


def test_waveform_without_audio_is_empty(cache, vfr, still):
    for src in (vfr, still):
        peaks = cache.waveform(src)
        assert peaks.shape == (0, 2) and peaks.dtype == np.float32


def test_waveform_is_cached(cache, sine, monkeypatch):
    first = cache.waveform(sine)
    (path,) = (cache.root / "waveforms").iterdir()
    assert path.suffix == ".npy"
    monkeypatch.setattr(mc, "_audio_peaks", None)  # would fail if called
    np.testing.assert_array_equal(cache.waveform(sine), first)
    np.testing.assert_array_equal(cache.cached("waveform", sine), first)


def test_peak_reducer_matches_direct_reduction():
    rng = np.random.default_rng(1)
    data = rng.uniform(-1, 1, 22_050 * 3 + 123).astype(np.float32)
    reducer = mc._PeakReducer(22_050, 100)  # 220.5 samples a bucket
    pos = 0
    while pos < len(data):
        n = int(rng.integers(1, 5000))
        reducer.add(data[pos : pos + n])
        pos += n
    got = reducer.finish()
    edges = [i * 22_050 // 100 for i in range(math.ceil(len(data) * 100 / 22_050) + 1)]
    edges[-1] = len(data)
    want = [(data[a:b].min(), data[a:b].max()) for a, b in itertools.pairwise(edges)]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float32))


# --------------------------------------------------------------------------- background


def _gate() -> tuple[threading.Event, threading.Event, object]:
    """A progress callback that blocks the worker until ``release`` is set."""
    started, release = threading.Event(), threading.Event()

    def progress(_fraction: float) -> None:
        started.set()
        release.wait(10)

    return started, release, progress


def test_background_dedups_and_reports(cache, clip):
    bg = BackgroundCache(cache)
    done: list[tuple] = []
    bg.on_done = lambda kind, src, result: done.append(
        (kind, src, result, threading.current_thread())
    )
    started, release, progress = _gate()
    try:
        first = bg.request("proxy", clip, progress=progress)
        assert started.wait(10)
        assert bg.request("proxy", clip) is first
        wave = bg.request("waveform", clip, peaks_per_second=50)
        assert bg.request("waveform", clip, peaks_per_second=50) is wave
        release.set()
        path = first.result(timeout=30)
        assert path == cache.proxy(clip)
        assert wave.result(timeout=30).shape[1] == 2
    finally:
        release.set()
        bg.shutdown(wait=True)
    assert [(k, r is path or isinstance(r, np.ndarray)) for k, _, r, _ in done] == [
        ("proxy", True),
        ("waveform", True),
    ]
    assert all(thread is not threading.main_thread() for *_, thread in done)

    # Cached results complete at once (on_done runs in the caller's thread).
    bg = BackgroundCache(cache)
    bg.on_done = lambda kind, src, result: done.append((kind, src, result))
    again = bg.request("proxy", clip)
    assert again.done() and again.result() == path
    assert done[-1] == ("proxy", clip, path)
    bg.shutdown()


def test_background_cancel_all(cache, clip, sine):
    bg = BackgroundCache(cache)
    outcomes: dict[str, object] = {}
    bg.on_done = lambda kind, src, result: outcomes.__setitem__(kind, result)
    started, release, progress = _gate()
    try:
        running = bg.request("proxy", clip, progress=progress)
        assert started.wait(10)
        queued = bg.request("waveform", sine)
        bg.cancel_all()
        release.set()
        with pytest.raises(BuildCancelled):
            running.result(timeout=30)
        assert queued.cancelled()
    finally:
        release.set()
        bg.shutdown(wait=True)
    assert isinstance(outcomes["proxy"], BuildCancelled)
    assert isinstance(outcomes["waveform"], BuildCancelled)
    assert cache.proxy(clip) is None and _files(cache.root / "proxies") == []
    with pytest.raises(RuntimeError):
        bg.request("proxy", clip)


@pytest.mark.parametrize("kind", ["proxy", "thumbnails", "waveform"])
def test_background_corrupt_source_names_the_file(cache, junk, kind):
    bg = BackgroundCache(cache)
    try:
        error = bg.request(kind, junk).exception(timeout=30)
    finally:
        bg.shutdown()
    assert isinstance(error, DecodeError)
    assert str(junk) in str(error)


def test_background_rejects_unknown_kind(cache, clip):
    bg = BackgroundCache(cache)
    with pytest.raises(ValueError):
        bg.request("spectrogram", clip)
    bg.shutdown()
