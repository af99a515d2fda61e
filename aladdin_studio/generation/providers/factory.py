"""Which provider runs a job: ``settings.provider`` "local", "fal", or "auto" (FAL when an API
key is configured, else the local animatic provider)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aladdin_studio.config import Settings
    from aladdin_studio.generation.providers.base import Provider

__all__ = ["ProviderFactory", "ProvidersFactory", "provider_name"]

ProvidersFactory = Callable[[str], "Provider"]  # provider name -> provider instance


def provider_name(settings: Settings) -> str:
    """The provider new jobs use: "fal" or "local"."""
    if settings.provider in ("fal", "local"):
        return settings.provider
    return "fal" if settings.fal_api_key else "local"


class ProviderFactory:
    """Creates each provider once, on first use, and shares it between jobs and threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[str, Provider] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> Provider:
        with self._lock:
            if name not in self._made:
                self._made[name] = self._create(name)
            return self._made[name]

    def _create(self, name: str) -> Provider:
        if name == "local":
            from aladdin_studio.generation.providers.local import LocalProvider

            return LocalProvider()
        if name == "fal":
            from aladdin_studio.generation.providers.fal import FalProvider

            return FalProvider.from_settings(self.settings)
        raise ValueError(f"unknown provider {name!r}: expected 'fal' or 'local'")
