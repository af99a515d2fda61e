"""The ElevenLabs emulator answers the real ``elevenlabs`` SDK (2.78) on every route the
voice package uses, with decodable audio and faults the SDK reports as the service would."""

from __future__ import annotations

import base64
import io
import time

import av
import pytest
from elevenlabs import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import DialogueInput, VoiceSettings
from elevenlabs_emulator import DEFAULT_KEY as EL_KEY
from elevenlabs_emulator import invalid_key, quota_exceeded, rate_limited, slow, unprocessable


def client(emu, key=EL_KEY, **kw) -> ElevenLabs:
    return ElevenLabs(api_key=key, base_url=emu.base_url, **kw)


def decoded_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.audio[0]
        return sum(f.samples for f in c.decode(stream)) / stream.rate


def test_voices_list_search_get_delete(elevenlabs):
    el = client(elevenlabs)
    listed = el.voices.get_all().voices
    assert {v.name for v in listed} >= {"Rachel", "Adam"}
    found = el.voices.search(search="british", page_size=5)
    assert [v.name for v in found.voices] == ["Daniel"] and found.total_count == 1
    page = el.voices.search(page_size=4)
    assert page.has_more and len(page.voices) == 4 and page.next_page_token == "4"
    rest = el.voices.search(page_size=4, next_page_token=page.next_page_token)
    assert len(rest.voices) == 2 and not rest.has_more
    voice = el.voices.get("pNInz6obpgDQGcFmaJgB")
    assert voice.name == "Adam" and voice.labels["gender"] == "male"
    el.voices.delete("pNInz6obpgDQGcFmaJgB")
    with pytest.raises(ApiError) as err:
        el.voices.get("pNInz6obpgDQGcFmaJgB")
    assert err.value.status_code == 404


def test_design_previews_then_create(elevenlabs):
    el = client(elevenlabs)
    desc = "A gravelly old sailor with a warm Irish lilt, slow and kind."
    for call in (el.text_to_voice.design, el.text_to_voice.create_previews):
        out = call(voice_description=desc)
        assert len(out.previews) == 3
        ids = {p.generated_voice_id for p in out.previews}
        assert len(ids) == 3
        for p in out.previews:
            seconds = decoded_seconds(base64.b64decode(p.audio_base_64))
            assert seconds == pytest.approx(p.duration_secs, abs=0.06)
    voice = el.text_to_voice.create(voice_name="Sailor", voice_description=desc,
                                    generated_voice_id=out.previews[1].generated_voice_id)
    assert voice.voice_id == out.previews[1].generated_voice_id
    assert el.voices.get(voice.voice_id).category == "generated"
    with pytest.raises(ApiError) as err:  # a too-short description: 422 with a detail list
        el.text_to_voice.design(voice_description="short")
    assert err.value.status_code == 422 and err.value.body["detail"][0]["loc"][-1] == \
        "voice_description"


def test_tts_convert_and_alignment_match_the_audio(elevenlabs):
    el = client(elevenlabs)
    text = "We leave at dawn, not a minute later."
    audio = b"".join(el.text_to_speech.convert(
        "21m00Tcm4TlvDq8ikWAM", text=text, model_id="eleven_multilingual_v2",
        voice_settings=VoiceSettings(stability=0.5, similarity_boost=0.75), seed=7,
        previous_text="Are we ready?", output_format="mp3_44100_128"))
    seconds = decoded_seconds(audio)
    raw = el.text_to_speech.with_raw_response.convert_with_timestamps(
        "21m00Tcm4TlvDq8ikWAM", text=text, output_format="mp3_44100_128")
    assert raw.headers["request-id"] and int(raw.headers["x-character-count"]) == len(text)
    out = raw.data
    align = out.alignment
    assert "".join(align.characters) == text
    assert align.character_end_times_seconds[-1] < seconds
    assert decoded_seconds(base64.b64decode(out.audio_base_64)) == pytest.approx(seconds,
                                                                                 abs=0.03)
    pcm = b"".join(el.text_to_speech.convert("21m00Tcm4TlvDq8ikWAM", text=text,
                                             output_format="pcm_48000"))
    assert len(pcm) / 2 / 48000 == pytest.approx(seconds, abs=0.03)
    body = elevenlabs.calls("tts")[0].body
    assert body["seed"] == 7 and body["voice_settings"]["similarity_boost"] == 0.75
    assert body["previous_text"] == "Are we ready?"


def test_dialogue_and_sound_generation(elevenlabs):
    el = client(elevenlabs)
    inputs = [DialogueInput(text="Who goes there?", voice_id="21m00Tcm4TlvDq8ikWAM"),
              DialogueInput(text="A friend.", voice_id="pNInz6obpgDQGcFmaJgB")]
    audio = b"".join(el.text_to_dialogue.convert(inputs=inputs, model_id="eleven_v3"))
    assert decoded_seconds(audio) > 1.0
    timed = el.text_to_dialogue.convert_with_timestamps(inputs=inputs)
    assert [s.dialogue_input_index for s in timed.voice_segments] == [0, 1]
    sfx = b"".join(el.text_to_sound_effects.convert(text="a door slams", duration_seconds=1.5,
                                                    prompt_influence=0.3, loop=False))
    assert decoded_seconds(sfx) == pytest.approx(1.5, abs=0.06)
    sub = el.user.subscription.get()
    assert sub.character_count == len("Who goes there?A friend.") * 2 + 60


def test_faults_are_told_apart(elevenlabs):
    el = client(elevenlabs)
    with pytest.raises(ApiError) as err:
        client(elevenlabs, key="wrong").voices.get_all()
    assert err.value.status_code == 401 and err.value.body["detail"]["status"] == \
        "invalid_api_key"
    elevenlabs.inject("tts_timestamps", quota_exceeded())
    with pytest.raises(ApiError) as err:
        el.text_to_speech.convert_with_timestamps("21m00Tcm4TlvDq8ikWAM", text="Hi there.")
    assert err.value.status_code == 401 and err.value.body["detail"]["status"] == \
        "quota_exceeded"
    elevenlabs.inject("tts", unprocessable())
    with pytest.raises(ApiError) as err:
        b"".join(el.text_to_speech.convert("21m00Tcm4TlvDq8ikWAM", text="Hi there."))
    assert err.value.status_code == 422 and isinstance(err.value.body["detail"], list)
    # streaming endpoints are not retried by the SDK: one 429 reaches the caller
    elevenlabs.inject("tts", rate_limited(retry_after=3))
    with pytest.raises(ApiError) as err:
        b"".join(el.text_to_speech.convert("21m00Tcm4TlvDq8ikWAM", text="Hi there."))
    assert err.value.status_code == 429 and err.value.headers["retry-after"] == "3"
    assert len(elevenlabs.calls("tts")) == 2
    # JSON endpoints are: two 429s, then the answer
    before = len(elevenlabs.calls("voices_list"))
    elevenlabs.inject("voices_list", rate_limited(retry_after=0, times=2))
    assert el.voices.get_all().voices and len(elevenlabs.calls("voices_list")) == before + 3
    elevenlabs.inject("subscription", slow(0.4))
    start = time.monotonic()
    el.user.subscription.get()
    assert time.monotonic() - start >= 0.4
    elevenlabs.inject("voices_list", invalid_key())
    with pytest.raises(ApiError):
        el.voices.get_all()


def test_quota_runs_out_like_the_service(elevenlabs):
    elevenlabs.reset(character_limit=30)
    el = client(elevenlabs)
    el.text_to_speech.convert_with_timestamps("21m00Tcm4TlvDq8ikWAM", text="Twenty characters!!!")
    with pytest.raises(ApiError) as err:
        el.text_to_speech.convert_with_timestamps("21m00Tcm4TlvDq8ikWAM",
                                                  text="Twenty more characters")
    assert err.value.body["detail"]["status"] == "quota_exceeded"


def test_a_request_slowed_past_a_reset_leaves_the_new_state_alone(elevenlabs):
    """A slow answer the client gave up on must not count characters after the next
    test's reset (it added 80 to a later test's character count in a full run)."""
    el = ElevenLabs(api_key=EL_KEY, base_url=elevenlabs.base_url, timeout=0.2)
    elevenlabs.inject("sfx", slow(1.0))
    with pytest.raises(Exception):  # noqa: B017 - the SDK's timeout error type is httpx's
        b"".join(el.text_to_sound_effects.convert(text="a door", duration_seconds=2.0))
    elevenlabs.reset()
    deadline = time.monotonic() + 30
    while elevenlabs.in_flight:
        assert time.monotonic() < deadline, "the slow request never ended"
        time.sleep(0.02)
    assert elevenlabs.character_count == 0
