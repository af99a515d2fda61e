"""Generation failures, by what the job queue should do about them (design doc, "Error
Handling Strategy"): rate limits back off and requeue, timeouts retry at lower quality,
model failures fall back to the next model, content-policy refusals fail for good."""

from __future__ import annotations

from aladdin_studio.errors import AladdinError, ErrorKind


class GenerationError(AladdinError):
    """Base class; ``str(err)`` is a message for the user."""

    kind = ErrorKind.UNAVAILABLE
    retryable = False


class InvalidInputError(GenerationError):
    """Caught before submit (or a 422 from the provider): the user must change the input."""

    kind = ErrorKind.INVALID_INPUT


class ContentPolicyError(GenerationError):
    """The provider refused the prompt or image on content grounds. Never retried."""

    kind = ErrorKind.POLICY


class RateLimitError(GenerationError):
    """429 / queue full: back off and requeue."""

    kind = ErrorKind.RATE_LIMITED
    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GenerationTimeout(GenerationError):
    """No result in time: retry at a lower quality tier."""

    kind = ErrorKind.UNAVAILABLE
    retryable = True


class ModelUnavailableError(GenerationError):
    """The model failed or is not hosted (5xx, unknown endpoint): use the next fallback."""

    retryable = True


class ProviderAuthError(GenerationError):
    """Missing or wrong API key."""

    kind = ErrorKind.AUTH


class GenerationCancelled(GenerationError):
    """Cancelled by the user."""

    kind = ErrorKind.CANCELLED
