"""The offline provider with the real espeak-ng: 48 kHz output, the expected duration,
honest (estimated) word timings, distinct voices, procedural sound effects."""

from __future__ import annotations

import subprocess
import wave

import pytest

from aladdin_studio.voice.profiles import TTSSettings, VoiceProfile
from aladdin_studio.voice.providers.base import SoundRequest, SpeechRequest
from aladdin_studio.voice.providers.local import LocalVoice, LocalVoiceProvider

TEXT = "We leave at dawn, not a minute later. Bring the lamp."


def test_espeak_line_is_48k_with_expected_duration_and_monotonic_estimated_words(tmp_path):
    provider = LocalVoiceProvider()
    voice = VoiceProfile("Ana", gender="female", age="young")
    normal = provider.speak(SpeechRequest(TEXT, voice), tmp_path / "a.wav")
    with wave.open(str(normal.path)) as w:
        assert w.getframerate() == 48000 and w.getnchannels() == 1
        assert w.getnframes() / 48000 == pytest.approx(normal.duration, abs=1e-3)
    # the expected duration: what espeak-ng itself renders for that voice (22,050 Hz WAV)
    spec = normal.extra["espeak"]
    native = tmp_path / "native.wav"
    subprocess.run(["espeak-ng", "-v", spec["voice"], "-s", str(spec["rate"]), "-p",
                    str(spec["pitch"]), "-w", str(native), TEXT], check=True)
    with wave.open(str(native)) as w:
        expected = w.getnframes() / w.getframerate()
        assert w.getframerate() == 22050
    assert normal.duration == pytest.approx(expected, rel=0.10)
    # and ~160 words a minute: 11 words plus two sentence pauses
    words = len(TEXT.split())
    assert normal.duration == pytest.approx(words / (160 / 60) + 0.6, rel=0.25)
    fast = provider.speak(SpeechRequest(TEXT, voice, TTSSettings(speed=1.2)), tmp_path / "b.wav")
    assert fast.duration == pytest.approx(normal.duration / 1.2, rel=0.10)
    assert normal.estimated and [w.text for w in normal.words] == TEXT.split()
    last = 0.0
    for w in normal.words:
        assert last <= w.start < w.end <= normal.duration
        last = w.end
    assert normal.provider == "local" and normal.voice_id == LocalVoice.for_profile(voice).id


def test_profile_maps_to_variant_pitch_rate_and_design_gives_three_distinct_voices(tmp_path):
    provider = LocalVoiceProvider()
    old = LocalVoice.for_profile(VoiceProfile("Jafar", gender="male", age="old",
                                              accent="british", style="slow, measured"))
    assert (old.language, old.variant[0], old.rate) == ("en-gb", "m", 145) and old.pitch < 40
    previews = provider.design("an old man", VoiceProfile("Jafar", gender="male", age="old"),
                               tmp_path)
    assert len({p.generated_voice_id for p in previews}) == 3
    assert len({p.path.read_bytes() for p in previews}) == 3  # three different renders
    assert all(p.duration > 1.0 for p in previews)


def test_procedural_sound_effects_follow_the_prompt(tmp_path):
    provider = LocalVoiceProvider()
    out = provider.sound(SoundRequest("a heavy door slams", duration=1.5), tmp_path / "s.wav")
    assert out.extra["sfx_kind"] == "impact"
    assert out.duration == pytest.approx(1.5, abs=0.01)
    riser = provider.sound(SoundRequest("tension riser", duration=3.0, loop=True),
                           tmp_path / "r.wav")
    assert riser.extra["sfx_kind"] == "riser"
