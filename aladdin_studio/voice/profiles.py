"""Voice profiles, TTS settings and characters: plain data that round-trips through dicts
(project metadata, the user voice library, job payloads)."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import VoiceInputError

__all__ = ["AGES", "DEFAULT_MODEL", "GENDERS", "V3_MODELS", "Character", "TTSSettings",
           "VoiceProfile", "describe_character", "supports_audio_tags"]

GENDERS = ("male", "female", "neutral")
AGES = ("young", "middle_aged", "old")
DEFAULT_MODEL = "eleven_multilingual_v2"
V3_MODELS = ("eleven_v3",)  # models that read inline audio tags such as "[whispers]"


def supports_audio_tags(model: str) -> bool:
    return model in V3_MODELS


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in dict(data or {}).items() if k in names}


@dataclass
class VoiceProfile:
    """A voice (design doc ``VoiceProfile``); ``provider`` is "elevenlabs" or "local"."""

    name: str
    description: str = ""
    gender: str = "neutral"
    age: str = "middle_aged"
    accent: str = "american"
    style: str = ""
    provider: str = "local"
    voice_id: str = ""
    sample_file: str | None = None
    usage_count: int = 0

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            raise VoiceInputError("A voice needs a name.")
        if self.gender not in GENDERS:
            raise VoiceInputError(f"Gender must be one of {', '.join(GENDERS)}, "
                                  f"not {self.gender!r}.")
        if self.age not in AGES:
            raise VoiceInputError(f"Age must be one of {', '.join(AGES)}, not {self.age!r}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceProfile:
        return cls(**_known(cls, data))

    def labels(self) -> dict[str, str]:
        out = {"gender": self.gender, "age": self.age, "accent": self.accent}
        if self.style:
            out["descriptive"] = self.style
        return out


@dataclass
class TTSSettings:
    """Text-to-speech settings (design doc defaults); a line may override any of them."""

    model: str = DEFAULT_MODEL
    stability: float = 0.5
    similarity_boost: float = 0.75
    style: float = 0.0
    speaker_boost: bool = True
    speed: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("stability", "similarity_boost", "style"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise VoiceInputError(f"{name.replace('_', ' ').title()} must be between 0 and "
                                      f"1, not {value:g}.")
            setattr(self, name, value)
        self.speed = float(self.speed)
        if not 0.7 <= self.speed <= 1.2:
            raise VoiceInputError(f"Speed must be between 0.7 and 1.2, not {self.speed:g}.")
        if self.seed is not None and not 0 <= int(self.seed) <= 4294967295:
            raise VoiceInputError("A seed must be between 0 and 4294967295.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TTSSettings:
        return cls(**_known(cls, data or {}))

    def override(self, changes: dict[str, Any] | None) -> TTSSettings:
        """These settings with ``changes`` (a line's override; None values ignored)."""
        picked = {k: v for k, v in _known(TTSSettings, changes or {}).items() if v is not None}
        return dataclasses.replace(self, **picked)


@dataclass
class Character:
    """A character of the project: reference ids (the reference library), a voice and the
    TTS settings its lines use."""

    id: str
    name: str
    description: str = ""
    references: list[str] = field(default_factory=list)
    voice: VoiceProfile | None = None
    tts: TTSSettings = field(default_factory=TTSSettings)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "references": list(self.references),
                "voice": self.voice.to_dict() if self.voice else None,
                "tts": self.tts.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Character:
        voice = data.get("voice")
        return cls(id=str(data["id"]), name=str(data["name"]),
                   description=str(data.get("description") or ""),
                   references=[str(r) for r in data.get("references") or []],
                   voice=VoiceProfile.from_dict(voice) if voice else None,
                   tts=TTSSettings.from_dict(data.get("tts")))


def describe_character(name: str, description: str = "", gender: str = "neutral",
                       age: str = "middle_aged", accent: str = "", style: str = "") -> str:
    """A voice description for voice design from a character profile (the design doc's
    "generate voice description from character profile"); 20-1000 characters."""
    who = {"young": "young", "middle_aged": "middle-aged", "old": "old"}.get(age, "")
    kind = {"male": "man", "female": "woman"}.get(gender, "person")
    parts = [f"A {who} {kind}".replace("  ", " ")]
    if accent:
        article = "an" if accent.strip()[:1].lower() in "aeiou" else "a"
        parts.append(f"with {article} {accent.strip().title()} accent")
    text = " ".join(parts)
    if style:
        text += f", {style} delivery"
    text += f", the voice of {name}."
    if description.strip():
        said = description.strip().rstrip(".")
        text += f" {said[0].upper()}{said[1:]}."
    text += " Clear studio recording."
    return text[:1000]
