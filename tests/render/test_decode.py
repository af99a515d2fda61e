"""Frame-accurate decoding: seeking, conforming, letterboxing, stills and errors."""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path

import numpy as np
import pytest

from aladdin_studio.render.decode import DecodeError, VideoSource
from aladdin_studio.sample_media import make_pattern_video, make_still, read_frame_number

SIZE = (320, 180)


@pytest.fixture(scope="module")
def clip24(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("decode") / "p24.mp4"
    return make_pattern_video(path, seconds=2, size=SIZE, fps=24, pattern=0, gop=12)


@pytest.fixture(scope="module")
def clip30(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("decode") / "p30.mp4"
    return make_pattern_video(path, seconds=2, size=SIZE, fps=30, pattern=1, gop=12)


def _number(rgb: np.ndarray) -> int:
    return read_frame_number(rgb)


def test_frame_at_random_order_is_exact(clip24):
    order = list(range(48)) * 2
    random.Random(1234).shuffle(order)
    with VideoSource(clip24, pix_fmt="rgb24") as src:
        assert src.fps == 24
        assert src.duration == pytest.approx(2.0)
        got = [_number(src.frame_at(n / 24)) for n in order]
    assert got == order


def test_frame_at_sequential_and_between_frames(clip24):
    with VideoSource(clip24, pix_fmt="rgb24") as src:
        assert [_number(src.frame_at(n / 24)) for n in range(48)] == list(range(48))
        # Mid-frame times show the frame that started before them.
        assert _number(src.frame_at(10.9 / 24)) == 10
        assert _number(src.frame_at(5.5 / 24)) == 5
        # Same frame twice is served from the cache (same object).
        a = src.frame_at(7 / 24)
        assert src.frame_at(7.2 / 24) is a
        assert not a.flags.writeable


def test_out_of_range_times(clip24):
    with VideoSource(clip24, pix_fmt="rgb24") as src:
        assert _number(src.frame_at(100.0)) == 47
        assert _number(src.frame_at(-3.0)) == 0
        assert _number(src.frame_at(2.0)) == 47
        assert _number(src.frame_at(0.0)) == 0


def test_frames_half_rate(clip24):
    with VideoSource(clip24, pix_fmt="rgb24") as src:
        got = [_number(f) for f in src.frames(0.0, 24, 12.0)]
    assert got == list(range(0, 48, 2))


def test_frames_conform_30_to_24(clip30):
    t0 = 0.25
    with VideoSource(clip30, pix_fmt="rgb24") as src:
        got = [_number(f) for f in src.frames(t0, 36, 24.0)]
        # Seeking back and conforming again gives the same answer.
        again = [_number(f) for f in src.frames(0.0, 48, 24.0)]
    assert got == [math.floor((t0 + i / 24) * 30 + 1e-6) for i in range(36)]
    assert again == [math.floor(i / 24 * 30 + 1e-6) for i in range(48)]


def test_yuv_shape_and_fit_letterbox(clip24):
    with VideoSource(clip24, out_size=(320, 320), fit="fit") as src:
        out = src.frame_at(0.5)
    assert out.shape == (480, 320) and out.dtype == np.uint8
    y, chroma = out[:320], out[320:].reshape(-1)
    # 320x180 into 320x320: 180-row picture, 70-row bars top and bottom.
    assert (y[:70] == 16).all() and (y[-70:] == 16).all()
    assert y[70:250].std() > 5
    u = chroma[: 160 * 160].reshape(160, 160)
    v = chroma[160 * 160 :].reshape(160, 160)
    assert (u[:35] == 128).all() and (v[-35:] == 128).all()


def test_rgb_fit_and_fill(clip24):
    with VideoSource(clip24, out_size=(320, 320), fit="fit", pix_fmt="rgb24") as src:
        fit = src.frame_at(0.5)
    assert fit.shape == (320, 320, 3)
    assert (fit[:70] == 0).all() and (fit[-70:] == 0).all()
    with VideoSource(clip24, out_size=(320, 320), fit="fill", pix_fmt="rgb24") as src:
        fill = src.frame_at(0.5)
    assert fill.shape == (320, 320, 3)
    rows_black = fill.reshape(320, -1).max(axis=1) == 0
    assert not rows_black[:10].any() and not rows_black[-10:].any()
    with VideoSource(clip24, out_size=(160, 90)) as src:
        small = src.frame_at(0.0)
    assert small.shape == (135, 160)


def test_native_size_yuv(clip24):
    with VideoSource(clip24) as src:
        out = src.frame_at(1 / 24)
    assert out.shape == (270, 320)
    assert read_frame_number(out[:180]) == 1


def test_still_png(tmp_path):
    png = make_still(tmp_path / "card.png", size=(320, 180), text="Card")
    with VideoSource(png, out_size=(160, 160), pix_fmt="rgb24") as src:
        assert src.is_still
        a = src.frame_at(0.0)
        b = src.frame_at(12.5)
        c = src.frame_at(-1.0)
    assert a.shape == (160, 160, 3)
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert (a[:30] == 0).all() and a[40:120].max() > 0


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(DecodeError, match="nope.mp4") as info:
        VideoSource(missing)
    assert str(info.value).startswith(f"Cannot decode '{missing}'")


def test_truncated_file(clip24, tmp_path):
    data = clip24.read_bytes()
    broken = tmp_path / "truncated.mp4"
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(DecodeError, match="truncated.mp4"):
        with VideoSource(broken) as src:
            src.frame_at(1.5)


def test_garbage_file(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 500)
    with pytest.raises(DecodeError, match="junk.mp4"):
        VideoSource(junk)


def test_bad_arguments(clip24):
    with pytest.raises(ValueError):
        VideoSource(clip24, out_size=(321, 180))
    with pytest.raises(ValueError):
        VideoSource(clip24, fit="stretch")


def test_truncated_file_keeps_early_frames(clip24, tmp_path):
    data = clip24.read_bytes()
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(data[: len(data) // 3])
    with VideoSource(broken, pix_fmt="rgb24") as src:
        assert _number(src.frame_at(2 / 24)) == 2
        with pytest.raises(DecodeError, match="cut.mp4"):
            src.frame_at(1.9)


def test_rotation_applied_before_letterbox(clip24, monkeypatch):
    import aladdin_studio.render.decode as decode

    real = decode.probe
    monkeypatch.setattr(decode, "probe", lambda p: dataclasses.replace(real(p), rotation=90))
    with VideoSource(clip24, pix_fmt="rgb24") as src:
        upright = src.frame_at(3 / 24)
    assert upright.shape == (320, 180, 3)
    # Undo the clockwise turn and the frame number reads back.
    assert read_frame_number(np.rot90(upright, 1)) == 3
    with VideoSource(clip24, out_size=(320, 320)) as src:
        boxed = src.frame_at(3 / 24)
    y = boxed[:320]
    # Portrait picture 180x320 -> full height, bars left and right.
    assert (y[:, :60] == 16).all() and (y[:, -60:] == 16).all() and y[:, 80:240].std() > 5


def test_mpeg_ts_start_offset_and_seeks_back_to_the_start(clip24, tmp_path):
    """MPEG-TS streams start at ~1.4 s and their timestamp seeks to 0 land late."""
    import av

    ts = tmp_path / "clip.ts"
    with av.open(str(clip24)) as src, av.open(str(ts), "w", format="mpegts") as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    with VideoSource(ts, pix_fmt="rgb24") as src:
        for t in (0.0, 0.5, 1.5, 1.0, 0.0, 0.3):
            assert _number(src.frame_at(t)) == int(t * 24 + 1e-6), t
