"""Audio decoding, clip mixing, ducking, loudness and the master bus, on synthetic files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from aladdin_studio.render import audio as A
from aladdin_studio.render.audio import (
    AudioDecodeError,
    AudioReader,
    MasterBus,
    Mixer,
    render_audio,
)
from aladdin_studio.render.loudness import Biquad, LoudnessMeter, integrated_loudness
from aladdin_studio.render.plan import SAMPLE_RATE, AudioClipPlan, ScenePlan

R = SAMPLE_RATE
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


# --------------------------------------------------------------------------- helpers


def write_audio(path: Path, data: np.ndarray, rate: int = R) -> Path:
    """Write ``data`` ``(n,)`` or ``(n, channels)`` float32: float WAV, or AAC for .m4a."""
    data = np.asarray(data, np.float32)
    if data.ndim == 1:
        data = data[:, None]
    aac = path.suffix == ".m4a"
    with av.open(str(path), "w", format="ipod" if aac else "wav") as out:
        stream = out.add_stream("aac" if aac else "pcm_f32le", rate=rate)
        stream.layout = LAYOUTS[data.shape[1]]
        step = 1024
        for i in range(0, len(data), step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[i:i + step].T),
                                               format="fltp", layout=LAYOUTS[data.shape[1]])
            frame.sample_rate = rate
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def sine(freq: float, seconds: float, amp: float = 0.5, rate: int = R) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def clip(path: Path | None, *, role: str = "sfx", start: int = 0, length: int = R,
         source_start: float = 0.0, speed: float = 1.0, volume: float = 1.0, pan: float = 0.0,
         fade_in: float = 0.0, fade_out: float = 0.0, name: str = "c") -> AudioClipPlan:
    return AudioClipPlan(name=name, clip_id=name, path=None if path is None else str(path),
                         url=f"media/{name}", role=role, start=start, length=length,
                         source_start=source_start, speed=speed, volume=volume, pan=pan,
                         fade_in=fade_in, fade_out=fade_out)


def scene(*clips: AudioClipPlan, seconds: float | None = None) -> ScenePlan:
    end = max((c.end for c in clips), default=R)
    frames = int(np.ceil((seconds * R if seconds else end) / R * 24))
    return ScenePlan("S", "s1", 24.0, (320, 180), frames, video=(), audio=tuple(clips))


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2))


def peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / R)[np.argmax(spec)])


def sequential(mixer: Mixer, total: int, chunk: int) -> np.ndarray:
    return np.concatenate([mixer.mix(p, min(chunk, total - p)) for p in range(0, total, chunk)])


def noise() -> np.ndarray:
    return (0.2 * np.random.default_rng(3).standard_normal((3 * R, 2))).astype(np.float32)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audio")
    ramp = (np.arange(3 * R) + 1) / (4 * R)  # value encodes the sample index
    return {
        "ramp": write_audio(d / "ramp.wav", ramp),
        "dc": write_audio(d / "dc.wav", np.full(3 * R, 0.5)),
        "dc_stereo": write_audio(d / "dc2.wav", np.full((3 * R, 2), 0.5)),
        "tone440": write_audio(d / "tone440.wav", sine(440, 4.0)),
        "noise_m4a": write_audio(d / "noise.m4a", noise()),
        "noise_wav": write_audio(d / "noise.wav", noise()),
        "mono44": write_audio(d / "mono44.wav", sine(1000, 1.5, rate=44_100), rate=44_100),
        "music": write_audio(d / "music.wav", np.stack([sine(300, 8, 0.1),
                                                         sine(450, 8, 0.1)], axis=1)),
        "voice": write_audio(d / "voice.wav", sine(1000, 8, 0.3)),
    }


# --------------------------------------------------------------------------- reader


def test_reader_is_sample_accurate_at_48k(media):
    with AudioReader(media["ramp"]) as r:
        assert r.duration == pytest.approx(3.0)
        for first in (0, 12_345, 77_777, 3, 140_000):  # random order: seeks both ways
            x = r.read(first / R, 500)
            assert np.array_equal(x[:, 0], ((np.arange(first, first + 500) + 1) / (4 * R))
                                  .astype(np.float32))
            assert np.array_equal(x[:, 0], x[:, 1])  # mono duplicated at unity
        # Before the start and past the end: silence, with the file's samples in between.
        x = r.read(-10 / R, 20)
        assert not x[:10].any() and x[10, 0] == np.float32(1 / (4 * R))
        x = r.read((3 * R - 5) / R, 10)
        assert x[:5].all() and not x[5:].any()


def test_sequential_reads_do_not_seek(media):
    with AudioReader(media["noise_m4a"]) as r:
        whole = r.read(0.0, 2 * R)
        assert r.seeks == 0
    with AudioReader(media["noise_m4a"]) as r:
        parts, pos = [], 0
        for n in (1, 1023, 1024, 4801, 30_000, 2 * R - 36_849):
            parts.append(r.read(pos / R, n))
            pos += n
        assert r.seeks == 0
        assert np.array_equal(np.concatenate(parts), whole)
        r.read(0.5, 100)  # backwards: seeks
        assert r.seeks == 1


def test_aac_timestamps_line_up_with_the_source(media):
    """The encoder's priming delay is removed: no lag between file and source samples."""
    source = noise()
    with AudioReader(media["noise_m4a"]) as r:
        x = r.read(1.0, 4800)[:, 0]
    ref = source[R - 200:R + 5000, 0]
    lags = [float(np.dot(x, ref[200 + k:200 + k + 4800])) for k in range(-200, 201)]
    assert int(np.argmax(lags)) - 200 == 0


def test_44k_mono_becomes_48k_stereo(media):
    with AudioReader(media["mono44"]) as r:
        assert (r.rate, r.channels) == (44_100, 1)
        x = r.read(0.0, 2 * R)
    nonzero = np.flatnonzero(np.abs(x[:, 0]) > 1e-4)
    assert abs(nonzero[-1] + 1 - int(1.5 * R)) <= 48  # 1.5 s, within 1 ms
    assert np.array_equal(x[:, 0], x[:, 1])
    assert np.abs(x[1000:70_000, 0]).max() == pytest.approx(0.5, abs=0.01)  # not -3 dB
    assert peak_hz(x[:R, 0]) == pytest.approx(1000, abs=2)


def test_multichannel_is_downmixed(tmp_path):
    data = np.zeros((R, 6), np.float32)
    data[:, 0] = sine(500, 1.0, 0.3)  # front left only
    with AudioReader(write_audio(tmp_path / "six.wav", data)) as r:
        x = r.read(0.0, R)
    assert np.abs(x[:, 0]).max() > 0.25 and np.abs(x[:, 1]).max() < 1e-6


@pytest.mark.parametrize("kind", ["random", "truncated", "missing", "no_audio"])
def test_bad_files_raise_audio_decode_error(tmp_path, media, kind):
    if kind == "random":
        path = tmp_path / "garbage.m4a"
        path.write_bytes(np.random.default_rng(1).bytes(20_000))
    elif kind == "truncated":
        path = tmp_path / "cut.m4a"
        data = media["noise_m4a"].read_bytes()  # moov at the end: half a file has none
        path.write_bytes(data[: len(data) // 2])
    elif kind == "missing":
        path = tmp_path / "nowhere.wav"
    else:
        from aladdin_studio.sample_media import make_still

        path = make_still(tmp_path / "still.png", size=(64, 36), text="x")
    with pytest.raises(AudioDecodeError) as err:
        with AudioReader(path) as r:
            r.read(0.0, 3 * R)
    assert path.name in str(err.value) and err.value.path == str(path)
    # The mixer lets it through, naming the file.
    with pytest.raises(AudioDecodeError, match=re.escape(path.name)):
        render_audio(scene(clip(path)), 0, 1000)


def test_truncated_faststart_m4a_raises_on_read(tmp_path, media):
    from aladdin_studio.sample_media import make_dialogue

    whole = make_dialogue(tmp_path / "line.m4a", seconds=3.0)  # moov first (+faststart)
    path = tmp_path / "line-cut.m4a"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(AudioDecodeError, match="line-cut.m4a"):
        with AudioReader(path) as r:
            for i in range(4):
                r.read(float(i), R)


# --------------------------------------------------------------------------- clips


def test_clip_is_sample_accurate_on_the_timeline(media):
    start, length, src = 12_345, 20_000, 0.25
    out = render_audio(scene(clip(media["ramp"], start=start, length=length,
                                  source_start=src)), 0, 40_000)
    assert not out[:start].any() and not out[start + length:].any()
    first_media = int(src * R)
    expected = ((np.arange(length) + first_media + 1) / (4 * R)).astype(np.float32)
    assert np.array_equal(out[start:start + length, 0], expected)
    assert np.array_equal(out[:, 0], out[:, 1])  # mono at pan 0: centred at unity


def test_fades_ramp_with_equal_power(media):
    fi, fo, length = 0.1, 0.2, R
    out = render_audio(scene(clip(media["dc"], start=1000, length=length, fade_in=fi,
                                  fade_out=fo)), 0, R + 2000)[:, 0]
    body = out[1000:1000 + length] / 0.5
    assert body[0] == 0.0
    assert np.all(np.diff(body[: int(fi * R)]) >= 0)  # monotonic (flat only at float32
    assert np.all(np.diff(body[-int(fo * R):]) <= 0)  # resolution near the top)
    assert body[int(fi * R / 2)] == pytest.approx(np.sqrt(0.5), abs=1e-6)  # half-way: -3 dB
    assert body[length - int(fo * R / 2)] == pytest.approx(np.sqrt(0.5), abs=1e-6)
    assert np.allclose(body[int(fi * R):length - int(fo * R)], 1.0)
    assert body[-1] < 1e-3 and not out[1000 + length:].any()


@pytest.mark.parametrize("source", ["dc", "dc_stereo"])
def test_pan_law(media, source):
    def level(pan):
        out = render_audio(scene(clip(media[source], pan=pan)), 0, R)
        return np.abs(out).max(axis=0) / 0.5

    left, right = level(-1.0)
    assert left > 0.99 and right == 0.0
    left, right = level(1.0)
    assert left == 0.0 and right > 0.99
    left, right = level(0.0)
    assert left == pytest.approx(1.0) and right == pytest.approx(1.0)
    left, right = level(-0.5)
    if source == "dc":  # mono: constant power
        assert left**2 + right**2 == pytest.approx(2.0)
    else:  # stereo: balance, the near side stays at unity
        assert left == pytest.approx(1.0) and right < 0.6


def test_volume_half_is_minus_6_db(media):
    full = render_audio(scene(clip(media["tone440"])), 0, R)
    half = render_audio(scene(clip(media["tone440"], volume=0.5)), 0, R)
    assert rms_db(half) - rms_db(full) == pytest.approx(-6.02, abs=0.01)


@pytest.mark.parametrize("speed", [2.0, 0.5, 4.0])
def test_tempo_keeps_pitch_and_scales_duration(media, speed):
    # 4 s of 440 Hz heard at ``speed`` lasts 4 / speed s; the clip is longer than that.
    length = int((4.0 / speed + 0.5) * R)
    out = render_audio(scene(clip(media["tone440"], length=length, speed=speed)),
                       0, length)[:, 0]
    heard = 4.0 / speed
    body = out[int(0.1 * R):int((heard - 0.1) * R)]
    assert peak_hz(body) == pytest.approx(440, abs=5)
    assert rms_db(body) == pytest.approx(rms_db(sine(440, 1.0)), abs=1.0)
    assert np.abs(out[int((heard + 0.06) * R):]).max() < 1e-3  # media used up: silence


def test_tempo_clip_starts_in_sync(tmp_path):
    """A step at media 1.0 s in a 2x clip lands at timeline 0.5 s (within atempo's jitter)."""
    step = np.concatenate([np.zeros(R), np.full(2 * R, 0.5)])
    path = write_audio(tmp_path / "step.wav", step)
    out = render_audio(scene(clip(path, length=R, speed=2.0)), 0, R)[:, 0]
    onset = int(np.argmax(np.abs(out) > 0.25))
    assert abs(onset - R // 2) < 0.012 * R


def test_offline_clips_are_silent(media):
    plan = scene(clip(None, length=R), clip(media["dc"], start=R, length=1000))
    out = render_audio(plan, 0, R + 1000)
    assert not out[:R].any() and out[R:].all()


def test_readers_are_closed_behind_the_play_position(media):
    plan = scene(clip(media["dc"], start=0, length=R, name="a"),
                 clip(media["dc"], start=R, length=R, name="b"),
                 clip(media["tone440"], start=0, length=3 * R, name="c"))
    with Mixer(plan) as mixer:
        mixer.mix(0, R // 2)
        assert mixer.open_readers == 2
        mixer.mix(R // 2, R)
        assert mixer.open_readers == 2  # a closed, b opened
        mixer.mix(3 * R // 2, R)
        assert mixer.open_readers == 1


# --------------------------------------------------------------------------- ducking


def _ducking_plan(media, voice_volume: float = 1.0) -> ScenePlan:
    music = clip(media["music"], role="music", length=8 * R, name="music")
    voice = clip(media["voice"], role="dialogue", start=2 * R, length=2 * R,
                 volume=voice_volume, name="voice")
    return scene(music, voice)


@pytest.mark.parametrize("duck_db", [-12.0, -6.0])
def test_music_ducks_under_dialogue(media, duck_db):
    n = 8 * R
    with Mixer(_ducking_plan(media), duck_db=duck_db) as mixer:
        full = sequential(mixer, n, R)
    music, voice = _ducking_plan(media).audio
    voice_only, music_only = render_audio(scene(voice), 0, n), render_audio(scene(music), 0, n)
    ducked = full - voice_only
    during = slice(int(2.5 * R), int(3.95 * R))  # after the attack, before the release
    assert rms_db(ducked[during]) - rms_db(music_only[during]) == pytest.approx(duck_db,
                                                                                abs=1.0)
    before, after = slice(int(0.5 * R), int(1.9 * R)), slice(int(6.0 * R), n)
    assert rms_db(ducked[before]) == pytest.approx(rms_db(music_only[before]), abs=0.05)
    assert rms_db(ducked[after]) == pytest.approx(rms_db(music_only[after]), abs=0.1)


def test_quiet_dialogue_does_not_duck(media):
    n = 6 * R
    plan = _ducking_plan(media, voice_volume=10 ** (-50 / 20))  # under -45 dBFS
    with Mixer(plan) as mixer:
        full = sequential(mixer, n, R)
    music_only = render_audio(scene(plan.audio[0]), 0, n)
    assert np.abs(full - music_only).max() < 0.001


def test_random_access_matches_sequential(media):
    plan = scene(
        clip(media["music"], role="music", length=8 * R, fade_in=0.5, fade_out=1.0,
             name="music"),
        clip(media["voice"], role="dialogue", start=R + 17, length=3 * R, pan=-0.3,
             name="voice"),
        clip(media["noise_wav"], role="sfx", start=5 * R, length=2 * R, fade_in=0.1,
             volume=0.7, name="sfx"),
        clip(media["tone440"], role="clip", start=3 * R, length=2 * R, source_start=0.5,
             name="clip"),
    )
    n = 8 * R
    with Mixer(plan) as mixer:
        reference = sequential(mixer, n, R)
    with Mixer(plan) as mixer:  # odd chunk sizes: same state carried across calls
        assert np.allclose(sequential(mixer, n, 4801), reference, atol=1e-6)
    rng = np.random.default_rng(5)
    with Mixer(plan) as mixer:
        for _ in range(25):
            start = int(rng.integers(0, n - 20_000))
            size = int(rng.integers(1, 20_000))
            got = mixer.mix(start, size)
            assert np.allclose(got, reference[start:start + size], atol=2e-3)
    # ... which is well inside ±0.5 dB of the ducked music in steady state.
    with Mixer(plan) as mixer:
        got = mixer.mix(int(2.5 * R), R)
    ref = reference[int(2.5 * R):int(3.5 * R)]
    assert abs(rms_db(got) - rms_db(ref)) < 0.05


# --------------------------------------------------------------------------- loudness


def _ffmpeg_integrated(path: Path) -> float:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed")
    proc = subprocess.run([ffmpeg, "-hide_banner", "-nostats", "-i", str(path), "-af",
                           "ebur128", "-f", "null", "-"], capture_output=True, text=True,
                          check=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])


@pytest.mark.parametrize("rate", [48_000, 44_100])
def test_integrated_loudness_matches_ffmpeg(tmp_path, rate):
    rng = np.random.default_rng(11)
    secs = 8
    t = np.arange(secs * rate) / rate
    left = 0.2 * np.sin(2 * np.pi * 60 * t) + 0.05 * rng.standard_normal(len(t))
    right = 0.1 * np.sin(2 * np.pi * 3000 * t) * (t > 2)
    x = np.stack([left, right], axis=1) * np.where((t > 5) & (t < 6), 0.01, 1.0)[:, None]
    path = write_audio(tmp_path / "ref.wav", x, rate=rate)
    mine = integrated_loudness(x.astype(np.float32), rate)
    assert mine == pytest.approx(_ffmpeg_integrated(path), abs=0.5)


def test_loudness_reference_levels():
    t = np.arange(10 * R) / R
    tone = np.sin(2 * np.pi * 1000 * t) * 10 ** (-23 / 20)
    assert integrated_loudness(np.stack([tone, tone], 1)) == pytest.approx(-23.0, abs=0.1)
    assert integrated_loudness(np.zeros((R, 2))) == float("-inf")
    assert integrated_loudness(np.zeros((100, 2)) + 0.5) == float("-inf")  # < 400 ms


def test_meter_is_chunk_independent():
    x = np.random.default_rng(2).standard_normal((5 * R, 2)) * 0.1
    meter = LoudnessMeter()
    pos = 0
    for n in (1, 2, 31, 4799, 4800, 100_000, 5 * R):
        meter.add(x[pos:pos + n])
        pos += n
    assert meter.integrated() == pytest.approx(integrated_loudness(x), abs=1e-9)


def test_blocked_biquad_matches_direct_form():
    b, a = np.array([0.2, 0.3, -0.1]), np.array([1.0, -1.6, 0.7])
    x = np.random.default_rng(4).standard_normal((3000, 2))
    ref = np.zeros_like(x)
    for c in range(2):
        x1 = x2 = y1 = y2 = 0.0
        for i, v in enumerate(x[:, c]):
            y = b[0] * v + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            x2, x1, y2, y1 = x1, v, y1, y
            ref[i, c] = y
    f = Biquad(b, a, 2)
    got = np.concatenate([f(x[:1]), f(x[1:1000]), f(x[1000:])])
    assert np.allclose(got, ref, atol=1e-12)


# --------------------------------------------------------------------------- master


def _quiet_mix(media) -> ScenePlan:
    return scene(
        clip(media["music"], role="music", length=8 * R, volume=0.2, name="music"),
        clip(media["voice"], role="dialogue", start=2 * R, length=3 * R, volume=0.1,
             name="voice"),
    )


def test_master_reaches_target_under_the_ceiling(media):
    plan = _quiet_mix(media)
    n = 8 * R
    assert integrated_loudness(render_audio(plan, 0, n)) < -25
    with Mixer(plan) as mixer:
        master = MasterBus(mixer, n, target_lufs=-14.0, ceiling_dbtp=-1.0)
        out = np.concatenate([master.read(p, R) for p in range(0, n, R)])
        assert master.gain_db is not None and master.gain_db > 10
    assert integrated_loudness(out) == pytest.approx(-14.0, abs=1.0)
    assert np.abs(out).max() <= 10 ** (-1 / 20)


def test_limiter_holds_the_ceiling_and_random_reads_match(media, tmp_path):
    clicks = np.zeros(4 * R, np.float32)
    clicks[::4800] = 0.9  # sparse, loud peaks: the gain needs the limiter
    path = write_audio(tmp_path / "clicks.wav", clicks)
    plan = scene(clip(path, role="sfx", length=4 * R),
                 clip(media["tone440"], role="music", length=4 * R, volume=0.2))
    n = 4 * R
    with Mixer(plan) as mixer:
        master = MasterBus(mixer, n, target_lufs=-10.0, ceiling_dbtp=-1.0, chunk=10_000)
        gain = master.analyze()
        assert gain == master.gain_db
        # Peak-aware: no more than MAX_LIMITING_DB of reduction is asked of the limiter.
        assert master.peak_db + gain <= -1.0 + A.MAX_LIMITING_DB + 1e-9
        out = np.concatenate([master.read(p, 7000) for p in range(0, n, 7000)])
        assert np.abs(out).max() <= 10 ** (-1 / 20)
        assert np.abs(out).max() > 0.85  # it limits, it does not just turn down
        for start in (0, 12_345, 100_000, 3 * R):
            assert np.array_equal(master.read(start, 5000), out[start:start + 5000])


def test_master_without_target_is_unity(media):
    plan = _quiet_mix(media)
    with Mixer(plan) as mixer:
        master = MasterBus(mixer, 2 * R, target_lufs=None)
        assert master.analyze() == 0.0 and master.gain_db == 0.0
        assert np.allclose(master.read(0, R), render_audio(plan, 0, R))
    with Mixer(scene(clip(None))) as mixer:  # silence: no gain
        assert MasterBus(mixer, R).analyze() == 0.0


def test_analyze_can_be_cancelled(media):
    with Mixer(_quiet_mix(media)) as mixer:
        master = MasterBus(mixer, 8 * R)
        calls = []

        def cancel() -> bool:
            calls.append(1)
            return len(calls) > 2

        master.analyze(cancel)
        assert master.gain_db is None and len(calls) == 3


def test_render_package_does_not_import_qt():
    code = ("import sys, aladdin_studio.render.audio, aladdin_studio.render.loudness; "
            "sys.exit(any(m.startswith('PySide6') for m in sys.modules))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0
