"""ElevenLabs through the real ``elevenlabs`` SDK (2.78).

``ELEVENLABS_BASE_URL`` (residency endpoints, the tests' emulator) becomes the SDK's
``base_url``; the key is passed explicitly (the SDK reads its env default at import). Errors
are told apart (:func:`translate`): invalid key and quota exhaustion are both 401 and differ
by ``detail.status``; 422 names the field; 429 carries ``Retry-After``. The SDK retries its
JSON endpoints itself but not the streaming ones (speech, dialogue, sound): the job layer
retries those (only the retryable errors)."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import audio
from ..errors import (
    VoiceAuthError,
    VoiceError,
    VoiceInputError,
    VoiceNotFound,
    VoiceQuotaError,
    VoiceRateLimited,
    VoiceUnavailable,
)
from ..profiles import VoiceProfile, supports_audio_tags
from ..timing import words_from_alignment
from .base import Preview, SoundRequest, SpeechRequest, SpeechResult

__all__ = ["USD_PER_1000_CHARACTERS", "ElevenLabsProvider", "translate"]

OUTPUT_FORMAT = "mp3_44100_128"  # every tier; converted to 48 kHz WAV here
SFX_MODEL = "eleven_text_to_sound_v2"
DESIGN_MODEL = "eleven_multilingual_ttv_v2"
# Creator-plan overage price; flash/turbo models bill half a credit per character.
USD_PER_1000_CHARACTERS = 0.30
HALF_PRICE = ("eleven_flash_v2", "eleven_flash_v2_5", "eleven_turbo_v2", "eleven_turbo_v2_5")
SFX_CREDITS_PER_SECOND = 40
# Emotion → voice-setting nudges for models without audio tags (lower stability = livelier).
EMOTION_SETTINGS = {"excited": (-0.2, 0.3), "angry": (-0.2, 0.4), "happy": (-0.1, 0.2),
                    "sad": (0.1, 0.2), "calm": (0.2, 0.0), "scared": (-0.15, 0.3),
                    "whisper": (0.1, 0.1)}


def cost_of(characters: int, model: str) -> float:
    rate = USD_PER_1000_CHARACTERS * (0.5 if model in HALF_PRICE else 1.0)
    return round(characters * rate / 1000.0, 6)


def _detail(body: Any) -> tuple[str, str]:
    """``(status, message)`` of an ElevenLabs error body."""
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, dict):
        return str(detail.get("status") or ""), str(detail.get("message") or "")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(p) for p in first.get("loc", [])[1:]) or "request"
        return "validation", f"{where}: {first.get('msg', '')}"
    return "", str(detail or "")


def translate(exc: Exception) -> VoiceError:
    """The user-facing error for an SDK or transport failure."""
    import httpx
    from elevenlabs.core.api_error import ApiError

    if isinstance(exc, VoiceError):
        return exc
    if isinstance(exc, ApiError):
        code = exc.status_code or 0
        status, message = _detail(exc.body)
        if code == 401 and status == "quota_exceeded":
            return VoiceQuotaError("ElevenLabs quota exceeded: " + (message or "no characters "
                                   "left this month") + " Top up or wait for the reset; the "
                                   "offline voice (--provider local) still works.")
        if code in (401, 403):
            return VoiceAuthError("ElevenLabs rejected the API key (ELEVENLABS_API_KEY): "
                                  f"{message or status or 'invalid key'}.")
        if code == 422 or code == 400:
            return VoiceInputError(f"ElevenLabs refused the request: {message or status}")
        if code == 404:
            return VoiceNotFound(f"ElevenLabs: {message or 'not found'}")
        if code == 429:
            after = (exc.headers or {}).get("retry-after")
            try:
                retry_after = float(after) if after is not None else None
            except ValueError:
                retry_after = None
            return VoiceRateLimited(f"ElevenLabs is busy ({status or 'rate limited'}); "
                                    "backing off.", retry_after)
        return VoiceUnavailable(f"ElevenLabs answered {code}: {message or status}")
    if isinstance(exc, httpx.TimeoutException):
        return VoiceUnavailable("ElevenLabs did not answer in time.")
    if isinstance(exc, httpx.HTTPError):
        return VoiceUnavailable(f"Cannot reach ElevenLabs: {exc}")
    return VoiceUnavailable(f"ElevenLabs failed: {exc}")


def _voice(v: Any) -> VoiceProfile:
    labels = dict(v.labels or {})
    gender = labels.get("gender", "neutral")
    age = labels.get("age", "middle_aged").replace("-", "_").replace(" ", "_")
    return VoiceProfile(
        name=v.name or v.voice_id, description=v.description or "",
        gender=gender if gender in ("male", "female", "neutral") else "neutral",
        age=age if age in ("young", "middle_aged", "old") else "middle_aged",
        accent=labels.get("accent", ""), style=labels.get("descriptive", ""),
        provider="elevenlabs", voice_id=v.voice_id, sample_file=v.preview_url)


class ElevenLabsProvider:
    name = "elevenlabs"

    def __init__(self, api_key: str, base_url: str | None = None, *,
                 timeout: float = 120.0) -> None:
        if not api_key:
            raise VoiceAuthError("ElevenLabs needs an API key: set ELEVENLABS_API_KEY or save it "
                                 "in Settings (or use the offline voice, --provider local).")
        from elevenlabs import ElevenLabs

        base_url = base_url if base_url is not None else os.environ.get("ELEVENLABS_BASE_URL")
        kwargs: dict[str, Any] = {"api_key": api_key, "timeout": timeout}
        if base_url:
            kwargs["base_url"] = base_url.rstrip("/")
        self.client = ElevenLabs(**kwargs)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - translated to the user's terms
            raise translate(exc) from exc

    # --- speech -----------------------------------------------------------------------

    def _text_and_settings(self, request: SpeechRequest) -> tuple[str, Any]:
        from elevenlabs.types import VoiceSettings

        s = request.settings
        stability, style = s.stability, s.style
        text = request.text.strip()
        emotion = request.emotion.strip().lower()
        if emotion and supports_audio_tags(s.model):
            text = f"[{emotion}] {text}"  # v3 reads inline audio tags
        elif emotion in EMOTION_SETTINGS:
            d_stab, d_style = EMOTION_SETTINGS[emotion]
            stability = min(1.0, max(0.0, stability + d_stab))
            style = min(1.0, max(0.0, style + d_style))
        settings = VoiceSettings(stability=stability, similarity_boost=s.similarity_boost,
                                 style=style, use_speaker_boost=s.speaker_boost, speed=s.speed)
        return text, settings

    def speak(self, request: SpeechRequest, out: Path) -> SpeechResult:
        if not request.text.strip():
            raise VoiceInputError("There is no text to speak.")
        if not request.voice.voice_id:
            raise VoiceInputError(f"Voice '{request.voice.name}' has no ElevenLabs voice id; "
                                  "design or pick one first.")
        text, settings = self._text_and_settings(request)
        s = request.settings
        kwargs: dict[str, Any] = {"text": text, "model_id": s.model, "voice_settings": settings,
                                  "output_format": OUTPUT_FORMAT}
        if s.seed is not None:
            kwargs["seed"] = int(s.seed)
        if not supports_audio_tags(s.model):  # continuity context (not read by v3)
            if request.previous_text:
                kwargs["previous_text"] = request.previous_text
            if request.next_text:
                kwargs["next_text"] = request.next_text
        raw = self._call(self.client.text_to_speech.with_raw_response.convert_with_timestamps,
                         request.voice.voice_id, **kwargs)
        data = raw.data
        samples = audio.decode(base64.b64decode(data.audio_base_64))
        audio.write_wav(out, samples)
        align = data.alignment or data.normalized_alignment
        words = words_from_alignment(list(align.characters),
                                     list(align.character_start_times_seconds),
                                     list(align.character_end_times_seconds)) if align else []
        headers = {k.lower(): v for k, v in dict(raw.headers).items()}
        chars = int(headers.get("x-character-count") or len(text))
        return SpeechResult(path=Path(out), duration=audio.duration(samples), words=words,
                            estimated=align is None, provider=self.name, model=s.model,
                            voice_id=request.voice.voice_id,
                            request_id=headers.get("request-id", ""), characters=chars,
                            cost=cost_of(chars, s.model), seed=s.seed,
                            extra={"sent_text": text})

    def dialogue(self, requests: list[SpeechRequest], outs: list[Path]) -> list[SpeechResult]:
        """A multi-speaker scene in one ``text_to_dialogue`` request (eleven_v3), cut into one
        WAV per line at the voice segments, each with its own words from the alignment."""
        import numpy as np
        from elevenlabs.types import DialogueInput

        if not requests:
            raise VoiceInputError("There are no lines to speak.")
        texts, inputs = [], []
        for request in requests:
            if not request.voice.voice_id:
                raise VoiceInputError(f"Voice '{request.voice.name}' has no ElevenLabs voice id.")
            text, _ = self._text_and_settings(request)  # v3: the emotion as an audio tag
            texts.append(text)
            inputs.append(DialogueInput(text=text, voice_id=request.voice.voice_id))
        model = requests[0].settings.model
        kwargs: dict[str, Any] = {"inputs": inputs, "model_id": model,
                                  "output_format": OUTPUT_FORMAT}
        if requests[0].settings.seed is not None:
            kwargs["seed"] = int(requests[0].settings.seed)
        raw = self._call(self.client.text_to_dialogue.with_raw_response.convert_with_timestamps,
                         **kwargs)
        data = raw.data
        headers = {k.lower(): v for k, v in dict(raw.headers).items()}
        samples = audio.decode(base64.b64decode(data.audio_base_64))
        align = data.alignment or data.normalized_alignment
        segments = {s.dialogue_input_index: s for s in (data.voice_segments or [])}
        results = []
        for n, (request, text, out) in enumerate(zip(requests, texts, outs, strict=True)):
            seg = segments.get(n)
            if seg is None:
                raise VoiceUnavailable(f"ElevenLabs returned no audio for line {n + 1}.")
            a = int(seg.start_time_seconds * audio.RATE)
            b = max(a + 1, int(seg.end_time_seconds * audio.RATE))
            part = np.asarray(samples[a:b])
            audio.write_wav(out, part)
            words = []
            if align is not None:
                lo, hi = seg.character_start_index, seg.character_end_index
                off = seg.start_time_seconds
                words = words_from_alignment(
                    list(align.characters[lo:hi]),
                    [t - off for t in align.character_start_times_seconds[lo:hi]],
                    [t - off for t in align.character_end_times_seconds[lo:hi]])
            chars = len(text)
            results.append(SpeechResult(
                path=Path(out), duration=audio.duration(part), words=words,
                estimated=align is None, provider=self.name, model=model,
                voice_id=request.voice.voice_id, request_id=headers.get("request-id", ""),
                characters=chars, cost=cost_of(chars, model), seed=request.settings.seed,
                extra={"sent_text": text, "dialogue_line": n}))
        return results

    def sound(self, request: SoundRequest, out: Path) -> SpeechResult:
        if not request.prompt.strip():
            raise VoiceInputError("Describe the sound effect.")
        raw = self._call(self.client.text_to_sound_effects.with_raw_response.convert,
                         text=request.prompt, duration_seconds=request.duration,
                         prompt_influence=request.prompt_influence, loop=request.loop,
                         output_format=OUTPUT_FORMAT)
        try:
            with raw as response:
                blob = b"".join(response.data)
                headers = {k.lower(): v for k, v in dict(response.headers).items()}
        except Exception as exc:  # noqa: BLE001
            raise translate(exc) from exc
        samples = audio.decode(blob)
        audio.write_wav(out, samples)
        credits = int(round(request.duration * SFX_CREDITS_PER_SECOND))
        return SpeechResult(path=Path(out), duration=audio.duration(samples), words=[],
                            estimated=True, provider=self.name, model=SFX_MODEL, voice_id="",
                            request_id=headers.get("request-id", ""), characters=credits,
                            cost=cost_of(credits, SFX_MODEL), seed=request.seed)

    # --- voices -----------------------------------------------------------------------

    def design(self, description: str, profile: VoiceProfile, out_dir: Path,
               text: str | None = None) -> list[Preview]:
        kwargs: dict[str, Any] = {"voice_description": description, "model_id": DESIGN_MODEL}
        if text:
            kwargs["text"] = text
        else:
            kwargs["auto_generate_text"] = True
        result = self._call(self.client.text_to_voice.design, **kwargs)
        out_dir.mkdir(parents=True, exist_ok=True)
        previews = []
        for p in result.previews:
            samples = audio.decode(base64.b64decode(p.audio_base_64))
            path = audio.write_wav(out_dir / f"preview-{p.generated_voice_id}.wav", samples)
            previews.append(Preview(p.generated_voice_id, path, audio.duration(samples),
                                    result.text))
        return previews

    def create_voice(self, profile: VoiceProfile, preview: Preview) -> VoiceProfile:
        voice = self._call(self.client.text_to_voice.create, voice_name=profile.name,
                           voice_description=profile.description or profile.name,
                           generated_voice_id=preview.generated_voice_id,
                           labels=profile.labels())
        return replace(profile, provider=self.name, voice_id=voice.voice_id,
                       sample_file=str(preview.path))

    def list_voices(self, search: str = "") -> list[VoiceProfile]:
        out: list[VoiceProfile] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"page_size": 100}
            if search:
                kwargs["search"] = search
            if token:
                kwargs["next_page_token"] = token
            page = self._call(self.client.voices.search, **kwargs)
            out += [_voice(v) for v in page.voices]
            if not page.has_more or not page.next_page_token:
                return out
            token = page.next_page_token

    def get_voice(self, voice_id: str) -> VoiceProfile:
        return _voice(self._call(self.client.voices.get, voice_id))

    def delete_voice(self, voice_id: str) -> None:
        self._call(self.client.voices.delete, voice_id)

    def subscription(self) -> dict[str, Any]:
        sub = self._call(self.client.user.subscription.get)
        return {"tier": sub.tier, "character_count": sub.character_count,
                "character_limit": sub.character_limit}
