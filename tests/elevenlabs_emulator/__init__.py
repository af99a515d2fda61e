"""A local HTTP emulator of the ElevenLabs API for driving the real ``elevenlabs`` SDK."""

from .server import (
    DEFAULT_KEY,
    ROUTES,
    ElevenLabsEmulator,
    Fault,
    Recorded,
    invalid_key,
    quota_exceeded,
    rate_limited,
    running,
    server_error,
    slow,
    unprocessable,
)

__all__ = [
    "DEFAULT_KEY",
    "ROUTES",
    "ElevenLabsEmulator",
    "Fault",
    "Recorded",
    "invalid_key",
    "quota_exceeded",
    "rate_limited",
    "running",
    "server_error",
    "slow",
    "unprocessable",
]
