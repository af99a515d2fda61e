"""The ElevenLabs provider with the real SDK through the emulator: speech with alignment,
voice design and management, and errors told apart."""

from __future__ import annotations

import pytest
from elevenlabs_emulator import DEFAULT_KEY as EL_KEY
from elevenlabs_emulator import invalid_key, quota_exceeded, rate_limited, unprocessable

from aladdin_studio.voice.errors import (
    VoiceAuthError,
    VoiceInputError,
    VoiceQuotaError,
    VoiceRateLimited,
)
from aladdin_studio.voice.profiles import TTSSettings, VoiceProfile
from aladdin_studio.voice.providers.base import SoundRequest, SpeechRequest
from aladdin_studio.voice.providers.elevenlabs import ElevenLabsProvider

RACHEL = VoiceProfile("Rachel", gender="female", provider="elevenlabs",
                      voice_id="21m00Tcm4TlvDq8ikWAM")


def provider(emu) -> ElevenLabsProvider:
    return ElevenLabsProvider(EL_KEY, emu.base_url)


def test_speech_with_alignment_provenance_and_context(elevenlabs, tmp_path):
    p = provider(elevenlabs)
    text = "We leave at dawn, not a minute later."
    out = p.speak(SpeechRequest(text, RACHEL, TTSSettings(seed=11), emotion="excited",
                                previous_text="Ready?", next_text="Good."), tmp_path / "a.wav")
    assert not out.estimated and [w.text for w in out.words] == text.split()
    assert out.words[-1].end <= out.duration
    assert out.characters == len(text) and out.cost == pytest.approx(len(text) * 0.0003)
    assert out.request_id and out.seed == 11
    body = elevenlabs.calls("tts_timestamps")[0].body
    assert body["previous_text"] == "Ready?" and body["next_text"] == "Good."
    assert body["voice_settings"]["stability"] == pytest.approx(0.3)  # excited: livelier
    assert elevenlabs.calls("tts_timestamps")[0].query["output_format"] == ["mp3_44100_128"]
    # v3 reads the emotion as an inline audio tag (and no previous/next text)
    v3 = p.speak(SpeechRequest(text, RACHEL, TTSSettings(model="eleven_v3"), emotion="whispers",
                               previous_text="Ready?"), tmp_path / "b.wav")
    body = elevenlabs.calls("tts_timestamps")[1].body
    assert body["text"].startswith("[whispers] ") and "previous_text" not in body
    assert [w.text for w in v3.words] == text.split()  # the tag is not a word


def test_design_create_list_get_delete(elevenlabs, tmp_path):
    p = provider(elevenlabs)
    profile = VoiceProfile("Sailor", "gravelly, kind", "male", "old", "irish", "warm")
    previews = p.design("An old man with an Irish accent, warm delivery.", profile, tmp_path)
    assert len(previews) == 3 and all(pr.path.is_file() and pr.duration > 1 for pr in previews)
    voice = p.create_voice(profile, previews[2])
    assert voice.voice_id == previews[2].generated_voice_id and voice.provider == "elevenlabs"
    assert elevenlabs.calls("voice_create")[0].body["labels"]["accent"] == "irish"
    assert any(v.voice_id == voice.voice_id for v in p.list_voices())
    assert [v.name for v in p.list_voices("british")] == ["Daniel"]
    assert p.get_voice(voice.voice_id).name == "Sailor"
    p.delete_voice(voice.voice_id)
    assert all(v.voice_id != voice.voice_id for v in p.list_voices())


def test_errors_are_told_apart(elevenlabs, tmp_path):
    p = provider(elevenlabs)
    req = SpeechRequest("Hello there.", RACHEL)
    elevenlabs.inject("tts_timestamps", quota_exceeded())
    with pytest.raises(VoiceQuotaError, match="quota exceeded"):
        p.speak(req, tmp_path / "a.wav")
    elevenlabs.inject("tts_timestamps", unprocessable("text too long"))
    with pytest.raises(VoiceInputError, match="text: text too long"):
        p.speak(req, tmp_path / "a.wav")
    # the JSON endpoint is retried twice by the SDK itself; the third 429 reaches us
    before = len(elevenlabs.calls("tts_timestamps"))
    elevenlabs.inject("tts_timestamps", rate_limited(retry_after=0, times=3))
    with pytest.raises(VoiceRateLimited) as err:
        p.speak(req, tmp_path / "a.wav")
    assert err.value.retry_after == 0 and err.value.retryable
    assert len(elevenlabs.calls("tts_timestamps")) == before + 3
    # the streaming sound endpoint is not retried by the SDK: one 429 reaches us
    elevenlabs.inject("sfx", rate_limited(retry_after=4))
    with pytest.raises(VoiceRateLimited) as err:
        p.sound(SoundRequest("door"), tmp_path / "s.wav")
    assert err.value.retry_after == 4 and len(elevenlabs.calls("sfx")) == 1
    with pytest.raises(VoiceAuthError, match="rejected the API key"):
        ElevenLabsProvider("wrong", elevenlabs.base_url).list_voices()
    elevenlabs.inject("voices_search", invalid_key())
    with pytest.raises(VoiceAuthError):
        p.list_voices()
    with pytest.raises(VoiceAuthError, match="needs an API key"):
        ElevenLabsProvider("", elevenlabs.base_url)
    assert not (tmp_path / "a.wav").exists()  # nothing half-written


def test_sound_generation(elevenlabs, tmp_path):
    out = provider(elevenlabs).sound(SoundRequest("door slam", duration=1.2), tmp_path / "s.wav")
    assert out.duration == pytest.approx(1.2, abs=0.06) and out.characters == 48
    assert elevenlabs.calls("sfx")[0].body["duration_seconds"] == 1.2


def test_slow_answers_time_out_as_retryable(elevenlabs, tmp_path):
    from elevenlabs_emulator import slow

    from aladdin_studio.voice.errors import VoiceUnavailable

    p = ElevenLabsProvider(EL_KEY, elevenlabs.base_url, timeout=0.3)
    elevenlabs.inject("sfx", slow(1.5))
    with pytest.raises(VoiceUnavailable, match="did not answer in time") as err:
        p.sound(SoundRequest("door"), tmp_path / "s.wav")
    assert err.value.retryable and not (tmp_path / "s.wav").exists()
