"""Tests for aladdin_studio.timeline.probe."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aladdin_studio.sample_media import make_music_bed, make_pattern_video, make_still
from aladdin_studio.timeline import probe as probe_mod
from aladdin_studio.timeline.probe import (
    MediaInfo,
    MediaProbeError,
    clear_probe_cache,
    content_fingerprint,
    probe,
)

FPS = 24
SECONDS = 1.5


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe_media")


@pytest.fixture(scope="module")
def clip(media_dir: Path) -> Path:
    return make_pattern_video(
        media_dir / "clip.mp4", seconds=SECONDS, size=(320, 180), fps=FPS, pattern=1
    )


def _write_rotated(path: Path, ccw_degrees: int, size: tuple[int, int] = (320, 180)) -> Path:
    """Encode a tiny H.264 clip whose display matrix rotates it ``ccw_degrees``."""
    w, h = size
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.set_display_rotation(ccw_degrees)
        for i in range(6):
            frame = av.VideoFrame.from_ndarray(
                np.full((h * 3 // 2, w), 40 + 20 * i, np.uint8), format="yuv420p"
            )
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return path


def test_probe_pattern_clip(clip: Path) -> None:
    info = probe(clip)
    assert info.path == os.path.abspath(clip)
    assert info.has_video and info.has_audio
    assert info.duration == pytest.approx(SECONDS, abs=1 / FPS)
    assert info.fps == Fraction(FPS)
    assert (info.width, info.height) == (320, 180)
    assert info.rotation == 0
    assert info.frame_count is not None and abs(info.frame_count - SECONDS * FPS) <= 1
    assert info.audio_rate == 48_000
    assert info.audio_channels == 2
    assert info.audio_stream_count == 1
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert not info.is_still
    assert len(info.content_hash) == 16


def test_probe_still(media_dir: Path) -> None:
    info = probe(make_still(media_dir / "still.png", size=(320, 180)))
    assert info.is_still
    assert info.duration is None
    assert info.fps is None
    assert (info.width, info.height) == (320, 180)
    assert info.frame_count == 1
    assert info.has_video and not info.has_audio
    assert info.video_codec == "png"


def test_probe_audio_only(media_dir: Path) -> None:
    info = probe(make_music_bed(media_dir / "bed.m4a", seconds=1.0))
    assert not info.has_video and info.has_audio
    assert info.duration == pytest.approx(1.0, abs=0.03)
    assert (info.width, info.height, info.fps, info.frame_count) == (0, 0, None, None)
    assert (info.audio_rate, info.audio_channels) == (48_000, 2)
    assert not info.is_still


@pytest.mark.parametrize(
    ("ccw", "expected"),
    [(90, 270), (-90, 90), (180, 180)],
)
def test_probe_rotation(tmp_path: Path, ccw: int, expected: int) -> None:
    info = probe(_write_rotated(tmp_path / f"rot{ccw}.mp4", ccw))
    assert info.rotation == expected
    if expected in (90, 270):
        assert (info.width, info.height) == (180, 320)
    else:
        assert (info.width, info.height) == (320, 180)


def test_rotate_tag_fallback() -> None:
    frame = SimpleNamespace(rotation=0)
    tagged = SimpleNamespace(metadata={"rotate": "90"})
    assert probe_mod._rotation(tagged, frame) == 90
    assert probe_mod._rotation(SimpleNamespace(metadata={"rotate": "-90"}), frame) == 270
    assert probe_mod._rotation(SimpleNamespace(metadata={}), frame) == 0
    # The display matrix (counter-clockwise) wins and is reported clockwise.
    assert probe_mod._rotation(tagged, SimpleNamespace(rotation=-90)) == 90


def _expect_error(path: Path, fragment: str) -> MediaProbeError:
    with pytest.raises(MediaProbeError) as excinfo:
        probe(path)
    message = str(excinfo.value)
    assert path.name in message
    assert fragment in message
    return excinfo.value


def test_missing_file(tmp_path: Path) -> None:
    err = _expect_error(tmp_path / "nope.mp4", "file not found")
    assert err.reason == "file not found"


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    _expect_error(path, "empty")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.mp4"
    folder.mkdir()
    _expect_error(folder, "directory")


def test_text_file_renamed(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video, just some notes\n" * 20)
    _expect_error(path, "invalid data")


def test_truncated_mp4(tmp_path: Path, clip: Path) -> None:
    path = tmp_path / "truncated.mp4"
    path.write_bytes(clip.read_bytes()[:2048])
    _expect_error(path, "Cannot read media")


def test_no_audio_or_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "subs.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    _expect_error(path, "no audio or video stream")


def test_content_hash_tracks_content(tmp_path: Path) -> None:
    a = make_pattern_video(tmp_path / "a.mp4", seconds=0.5, size=(160, 90), pattern=0)
    b = make_pattern_video(tmp_path / "b.mp4", seconds=0.5, size=(160, 90), pattern=0)
    assert probe(a).content_hash == probe(b).content_hash
    make_pattern_video(b, seconds=0.5, size=(160, 90), pattern=3)
    assert probe(a).content_hash != probe(b).content_hash


def test_fingerprint_covers_head_tail_and_size(tmp_path: Path) -> None:
    mib = 1024 * 1024
    data = bytearray(np.random.default_rng(1).integers(0, 256, 3 * mib, dtype=np.uint8))
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    base = content_fingerprint(path)
    data[-1] ^= 0xFF
    path.write_bytes(data)
    assert content_fingerprint(path) != base
    data[-1] ^= 0xFF
    data[mib + 10] ^= 0xFF  # the middle is deliberately not hashed
    path.write_bytes(data)
    assert content_fingerprint(path) == base
    path.write_bytes(data + b"x")
    assert content_fingerprint(path) != base


def test_cache_invalidates_on_change(tmp_path: Path) -> None:
    clear_probe_cache()
    path = make_pattern_video(tmp_path / "c.mp4", seconds=0.5, size=(160, 90), pattern=2)
    first = probe(path)
    assert probe(str(path)) is first
    make_pattern_video(path, seconds=1.0, size=(160, 90), pattern=2)
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))
    second = probe(path)
    assert second is not first
    assert second.duration == pytest.approx(1.0, abs=1 / FPS)


def test_dict_round_trip(clip: Path) -> None:
    info = probe(clip)
    data = json.loads(json.dumps(info.to_dict()))
    assert data["fps"] == "24/1"
    assert MediaInfo.from_dict(data) == info


@settings(max_examples=40, deadline=None)
@given(
    fps=st.one_of(st.none(), st.fractions(min_value=1, max_value=240, max_denominator=1001)),
    duration=st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)),
    rotation=st.sampled_from([0, 90, 180, 270]),
)
def test_dict_round_trip_property(
    fps: Fraction | None, duration: float | None, rotation: int
) -> None:
    info = MediaInfo(path="/x.mov", fps=fps, duration=duration, rotation=rotation)
    assert MediaInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info
