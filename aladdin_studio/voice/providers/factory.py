"""Which voice provider runs: "elevenlabs" with a key, else "local" (espeak-ng)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..errors import VoiceInputError
from .base import PROVIDERS, VoiceProvider

if TYPE_CHECKING:
    from aladdin_studio.config import Settings

__all__ = ["get_provider", "provider_name"]

_made: dict[tuple[str, str], VoiceProvider] = {}
_lock = threading.Lock()


def provider_name(settings: Settings | None = None, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in PROVIDERS:
            raise VoiceInputError(f"Unknown voice provider '{explicit}'; use elevenlabs or "
                                  "local.")
        return explicit
    if settings is None:
        from aladdin_studio.config import load_settings

        settings = load_settings()
    return "elevenlabs" if settings.elevenlabs_api_key else "local"


def get_provider(name: str, settings: Settings | None = None) -> VoiceProvider:
    """A shared provider instance (one SDK client per key and address)."""
    import os

    if name == "local":
        from .local import LocalVoiceProvider

        return LocalVoiceProvider()
    if name != "elevenlabs":
        raise VoiceInputError(f"Unknown voice provider '{name}'; use elevenlabs or local.")
    if settings is None:
        from aladdin_studio.config import load_settings

        settings = load_settings()
    from .elevenlabs import ElevenLabsProvider

    key = (settings.elevenlabs_api_key, os.environ.get("ELEVENLABS_BASE_URL", ""))
    with _lock:
        if key not in _made:
            _made[key] = ElevenLabsProvider(settings.elevenlabs_api_key)
        return _made[key]
