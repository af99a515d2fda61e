"""Tests for aladdin_studio.sample_media."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from aladdin_studio.sample_media import (
    AUDIO_RATE,
    PATTERN_COUNT,
    make_dialogue,
    make_music_bed,
    make_pattern_video,
    make_still,
    read_frame_number,
)
from aladdin_studio.timeline.probe import probe

SIZE = (320, 180)


def _decode_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)


def _first_frame_rgb(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def test_pattern_video_exact_frames_audio_and_numbers(tmp_path: Path) -> None:
    path = make_pattern_video(
        tmp_path / "nested" / "dir" / "clip.mp4",
        seconds=1.25,
        size=SIZE,
        fps=24,
        pattern=0,
        tone_hz=660.0,
        gop=12,
    )
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == ["clip.mp4"]  # no temp leftovers
    with av.open(str(path)) as c:
        vs, aus = c.streams.video[0], c.streams.audio[0]
        assert (vs.codec_context.name, vs.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (aus.codec_context.name, aus.sample_rate, aus.channels) == ("aac", AUDIO_RATE, 2)
        assert float(aus.duration * aus.time_base) == pytest.approx(1.25, abs=1e-6)
        frames = list(c.decode(video=0))
    assert len(frames) == 30
    assert [f.key_frame for f in frames].count(True) == 3  # exactly every `gop` frames
    assert [read_frame_number(f.to_ndarray(format="gray")) for f in frames] == list(range(30))

    samples = _decode_audio(path)
    spectrum = np.abs(np.fft.rfft(samples[0, 12_000:36_000]))
    peak_hz = np.argmax(spectrum) * AUDIO_RATE / 24_000
    assert peak_hz == pytest.approx(660.0, abs=3)

    info = probe(path)
    assert info.duration == pytest.approx(1.25, abs=1 / 24)
    assert info.frame_count == 30


def test_pattern_video_is_deterministic(tmp_path: Path) -> None:
    a = make_pattern_video(tmp_path / "a.mp4", seconds=1.0, size=SIZE, pattern=2)
    b = make_pattern_video(tmp_path / "b.mp4", seconds=1.0, size=SIZE, pattern=2)
    assert a.read_bytes() == b.read_bytes()


def test_patterns_have_distinct_dominant_colours(tmp_path: Path) -> None:
    means = []
    for pattern in range(PATTERN_COUNT):
        path = make_pattern_video(
            tmp_path / f"p{pattern}.mp4", seconds=0.25, size=SIZE, pattern=pattern
        )
        means.append(_first_frame_rgb(path).reshape(-1, 3).mean(axis=0))
    for i in range(PATTERN_COUNT):
        for j in range(i + 1, PATTERN_COUNT):
            assert np.linalg.norm(means[i] - means[j]) > 40, (i, j, means[i], means[j])
    r, g, b = (np.argmax(m) for m in means[:3])
    assert (r, g, b) == (0, 1, 2)  # red bars, green rings, blue sweep
    assert min(means[3][:2]) > 2 * means[3][2]  # amber: red and green over blue
    assert min(means[4][0], means[4][2]) > 2 * means[4][1]  # magenta: red and blue over green


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), 30000 / 1001])
def test_pattern_video_fractional_rate(tmp_path: Path, fps: Fraction | float) -> None:
    path = make_pattern_video(tmp_path / "ntsc.mp4", seconds=1.0, size=(160, 90), fps=fps)
    info = probe(path)
    assert info.fps == Fraction(30000, 1001)
    assert info.frame_count == 30


def test_pattern_video_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_pattern_video(tmp_path / "x.mp4", seconds=1.0, size=SIZE, pattern=PATTERN_COUNT)
    with pytest.raises(ValueError):
        make_pattern_video(tmp_path / "x.mp4", seconds=1.0, size=(321, 180))
    assert list(tmp_path.iterdir()) == []


def test_music_bed(tmp_path: Path) -> None:
    path = make_music_bed(tmp_path / "music" / "bed.m4a", seconds=2.0)
    info = probe(path)
    assert not info.has_video
    assert (info.audio_codec, info.audio_rate, info.audio_channels) == ("aac", AUDIO_RATE, 2)
    assert info.duration == pytest.approx(2.0, abs=0.03)
    samples = _decode_audio(path)
    body = samples[:, AUDIO_RATE // 2 : AUDIO_RATE * 3 // 2]
    assert 0.02 < float(np.sqrt((body**2).mean())) < 0.5
    assert np.abs(samples).max() <= 1.0
    assert make_music_bed(tmp_path / "bed2.m4a", seconds=2.0).read_bytes() == path.read_bytes()


def test_dialogue_has_syllables_and_pauses(tmp_path: Path) -> None:
    path = make_dialogue(tmp_path / "vo.m4a", seconds=4.0)
    info = probe(path)
    assert (info.audio_codec, info.audio_rate) == ("aac", AUDIO_RATE)
    assert info.audio_channels in (1, 2)
    assert info.duration == pytest.approx(4.0, abs=0.03)
    mono = _decode_audio(path)[0, : 4 * AUDIO_RATE]
    rms = np.sqrt((mono.reshape(-1, 960) ** 2).mean(axis=1))  # 20 ms windows
    silent = float((rms < 0.005).mean())
    assert 0.1 < silent < 0.7
    assert make_dialogue(tmp_path / "vo2.m4a", seconds=4.0).read_bytes() == path.read_bytes()


def test_still(tmp_path: Path) -> None:
    path = make_still(tmp_path / "stills" / "title.png", size=(320, 180), text="Hello")
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size == (320, 180)
        pixels = np.asarray(img.convert("RGB"))
    assert pixels.reshape(-1, 3).std(axis=0).min() > 5  # not a flat colour
    info = probe(path)
    assert info.is_still and (info.width, info.height) == (320, 180)
    again = make_still(tmp_path / "again.png", size=(320, 180), text="Hello")
    assert again.read_bytes() == path.read_bytes()


def test_read_frame_number_rejects_tiny_frames() -> None:
    with pytest.raises(ValueError):
        read_frame_number(np.zeros((20, 40), np.uint8))
