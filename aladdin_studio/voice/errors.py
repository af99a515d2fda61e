"""Voice failures, told apart the way the user must act on them (see ``aladdin_studio.errors``):
a wrong key, an exhausted quota, a refused request (422), a rate limit that backs off, a
service that is down."""

from __future__ import annotations

from aladdin_studio.errors import AladdinError, ErrorKind

__all__ = ["VoiceAuthError", "VoiceError", "VoiceInputError", "VoiceNotFound",
           "VoiceQuotaError", "VoiceRateLimited", "VoiceUnavailable"]


class VoiceError(AladdinError):
    """Base of the voice package's user-facing errors."""


class VoiceInputError(VoiceError):
    """The request itself is wrong (empty line, unknown voice setting, a 422)."""

    kind = ErrorKind.INVALID_INPUT


class VoiceNotFound(VoiceError):
    kind = ErrorKind.NOT_FOUND


class VoiceAuthError(VoiceError):
    """Missing or invalid ElevenLabs API key."""

    kind = ErrorKind.AUTH


class VoiceQuotaError(VoiceError):
    """The account's character quota is used up (ElevenLabs: 401 ``quota_exceeded``)."""

    kind = ErrorKind.QUOTA


class VoiceRateLimited(VoiceError):
    """429: too many concurrent requests or the system is busy; back off and retry."""

    kind = ErrorKind.RATE_LIMITED
    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VoiceUnavailable(VoiceError):
    """5xx, a timeout or no connection: retrying may help."""

    kind = ErrorKind.UNAVAILABLE
    retryable = True
