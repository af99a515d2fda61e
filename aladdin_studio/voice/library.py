"""Where voices live.

* The project's **character library** (collection metadata ``"characters"``, beside the
  reference library of ``generation/references.py``): each character has reference ids, a
  voice profile and TTS settings. Changed through undoable commands.
* The user's **voice library** (``<data dir>/voices.json``): voices reusable across
  projects, with usage counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aladdin_studio import paths
from aladdin_studio.files import atomic_path

from ..timeline import schema as S
from ..timeline.commands import SetProjectMeta
from ..timeline.document import Project
from .errors import VoiceInputError, VoiceNotFound
from .profiles import Character, TTSSettings, VoiceProfile

__all__ = ["META_KEY", "VoiceLibrary", "characters", "find_character", "set_character_command"]

META_KEY = "characters"


def characters(project: Project) -> list[Character]:
    out = []
    for entry in S.get(project.collection, META_KEY, []) or []:
        if isinstance(entry, dict) and entry.get("id") and entry.get("name"):
            out.append(Character.from_dict(entry))
    return out


def find_character(project: Project, name_or_id: str) -> Character | None:
    key = name_or_id.strip().lower()
    return next((c for c in characters(project)
                 if c.id == name_or_id or c.name.strip().lower() == key), None)


def set_character_command(project: Project, character: Character,
                          text: str | None = None) -> SetProjectMeta:
    """Add ``character`` or replace the one with its id: one undoable step."""
    entries = [c.to_dict() for c in characters(project) if c.id != character.id]
    if any(e["name"].strip().lower() == character.name.strip().lower() for e in entries):
        raise VoiceInputError(f"There is already a character named '{character.name}'.")
    existing = find_character(project, character.id)
    entries.append(character.to_dict())
    label = text or (f"Change Character '{character.name}'" if existing
                     else f"Add Character '{character.name}'")
    return SetProjectMeta(META_KEY, entries, label)


def new_character(name: str, description: str = "", references: list[str] | None = None,
                  voice: VoiceProfile | None = None,
                  tts: TTSSettings | None = None) -> Character:
    if not name.strip():
        raise VoiceInputError("A character needs a name.")
    return Character(S.new_id(), name.strip(), description, list(references or []), voice,
                     tts or TTSSettings())


class VoiceLibrary:
    """``voices.json`` in the user's data dir: saved voice profiles (keys never stored)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.data_dir() / "voices.json"

    def voices(self) -> list[VoiceProfile]:
        try:
            data: Any = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise VoiceInputError(f"The voice library {self.path} cannot be read: {exc}") \
                from None
        return [VoiceProfile.from_dict(v) for v in data.get("voices", [])
                if isinstance(v, dict) and v.get("name")]

    def _write(self, voices: list[VoiceProfile]) -> None:
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"version": 1, "voices": [v.to_dict() for v in voices]},
                                      indent=2))

    def find(self, name_or_id: str) -> VoiceProfile | None:
        key = name_or_id.strip().lower()
        return next((v for v in self.voices()
                     if v.voice_id == name_or_id or v.name.strip().lower() == key), None)

    def get(self, name_or_id: str) -> VoiceProfile:
        voice = self.find(name_or_id)
        if voice is None:
            raise VoiceNotFound(f"No voice '{name_or_id}' in the voice library "
                                f"({self.path}).")
        return voice

    def save(self, voice: VoiceProfile) -> VoiceProfile:
        """Add or replace (same provider and voice id, or same name)."""
        kept = [v for v in self.voices()
                if not ((v.voice_id and v.voice_id == voice.voice_id
                         and v.provider == voice.provider)
                        or v.name.strip().lower() == voice.name.strip().lower())]
        self._write(kept + [voice])
        return voice

    def remove(self, name_or_id: str) -> VoiceProfile:
        voice = self.get(name_or_id)
        self._write([v for v in self.voices() if v != voice])
        return voice

    def count_use(self, voice_id: str, n: int = 1) -> None:
        voices = self.voices()
        changed = False
        for v in voices:
            if v.voice_id == voice_id:
                v.usage_count += n
                changed = True
        if changed:
            self._write(voices)
