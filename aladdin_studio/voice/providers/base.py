"""The contract every voice provider meets: requests in, a 48 kHz WAV with word timings and
provenance out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..profiles import TTSSettings, VoiceProfile
from ..timing import Word

__all__ = ["PROVIDERS", "DialogueRequest", "Preview", "SoundRequest", "SpeechRequest",
           "SpeechResult", "VoiceProvider", "request_hash"]

PROVIDERS = ("elevenlabs", "local")


def request_hash(kind: str, provider: str, data: dict[str, Any]) -> str:
    """The content hash identical requests share (the voice result cache key)."""
    blob = json.dumps({"kind": kind, "provider": provider, **data}, sort_keys=True,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class SpeechRequest:
    text: str
    voice: VoiceProfile
    settings: TTSSettings = field(default_factory=TTSSettings)
    emotion: str = ""
    previous_text: str = ""
    next_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "voice": self.voice.to_dict(),
                "settings": self.settings.to_dict(), "emotion": self.emotion,
                "previous_text": self.previous_text, "next_text": self.next_text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeechRequest:
        return cls(text=str(data["text"]), voice=VoiceProfile.from_dict(data["voice"]),
                   settings=TTSSettings.from_dict(data.get("settings")),
                   emotion=str(data.get("emotion") or ""),
                   previous_text=str(data.get("previous_text") or ""),
                   next_text=str(data.get("next_text") or ""))

    def cache_key(self, provider: str) -> str:
        data = self.to_dict()
        data["voice"] = {"voice_id": self.voice.voice_id, "gender": self.voice.gender,
                         "age": self.voice.age, "accent": self.voice.accent,
                         "style": self.voice.style}
        if provider == "local":  # espeak-ng reads no context
            data.pop("previous_text")
            data.pop("next_text")
        return request_hash("speech", provider, data)


@dataclass
class DialogueRequest:
    """Several speakers' lines spoken in one request (ElevenLabs ``text_to_dialogue``)."""

    lines: list[SpeechRequest]

    def to_dict(self) -> dict[str, Any]:
        return {"lines": [line.to_dict() for line in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DialogueRequest:
        return cls([SpeechRequest.from_dict(d) for d in data["lines"]])

    def cache_key(self, provider: str) -> str:
        return request_hash("dialogue", provider,
                            {"lines": [line.cache_key(provider) for line in self.lines]})


@dataclass
class SoundRequest:
    prompt: str
    duration: float = 2.0
    prompt_influence: float = 0.3
    loop: bool = False
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SoundRequest:
        return cls(prompt=str(data["prompt"]), duration=float(data.get("duration", 2.0)),
                   prompt_influence=float(data.get("prompt_influence", 0.3)),
                   loop=bool(data.get("loop", False)), seed=data.get("seed"))

    def cache_key(self, provider: str) -> str:
        return request_hash("sfx", provider, self.to_dict())


@dataclass
class SpeechResult:
    """What a provider made: ``path`` (48 kHz WAV), its length, word timings (``estimated``
    when no aligner measured them) and provenance."""

    path: Path
    duration: float
    words: list[Word]
    estimated: bool
    provider: str
    model: str
    voice_id: str
    request_id: str = ""
    characters: int = 0  # characters billed
    cost: float = 0.0  # USD
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "duration": self.duration,
                "words": [w.to_dict() for w in self.words], "estimated": self.estimated,
                "provider": self.provider, "model": self.model, "voice_id": self.voice_id,
                "request_id": self.request_id, "characters": self.characters,
                "cost": self.cost, "seed": self.seed, "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeechResult:
        return cls(path=Path(data["path"]), duration=float(data["duration"]),
                   words=[Word.from_dict(w) for w in data.get("words") or []],
                   estimated=bool(data.get("estimated")), provider=str(data["provider"]),
                   model=str(data.get("model") or ""), voice_id=str(data.get("voice_id") or ""),
                   request_id=str(data.get("request_id") or ""),
                   characters=int(data.get("characters") or 0),
                   cost=float(data.get("cost") or 0.0), seed=data.get("seed"),
                   extra=dict(data.get("extra") or {}))


@dataclass
class Preview:
    """One designed voice to listen to before saving it."""

    generated_voice_id: str
    path: Path  # 48 kHz WAV
    duration: float
    text: str
    settings: dict[str, Any] = field(default_factory=dict)  # local provider: the variant


class VoiceProvider(Protocol):
    name: str

    def speak(self, request: SpeechRequest, out: Path) -> SpeechResult: ...

    def sound(self, request: SoundRequest, out: Path) -> SpeechResult: ...

    def design(self, description: str, profile: VoiceProfile, out_dir: Path,
               text: str | None = None) -> list[Preview]: ...

    def create_voice(self, profile: VoiceProfile, preview: Preview) -> VoiceProfile: ...

    def list_voices(self, search: str = "") -> list[VoiceProfile]: ...

    def get_voice(self, voice_id: str) -> VoiceProfile: ...

    def delete_voice(self, voice_id: str) -> None: ...
