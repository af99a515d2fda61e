"""Publishing errors (user-facing, under AladdinError). Messages never hold a secret."""

from __future__ import annotations

from ..errors import AladdinError, ErrorKind

__all__ = ["PublishAuthError", "PublishCancelled", "PublishError", "PublishIntegrityError",
           "PublishNotFound", "PublishQuotaError", "PublishUnavailable"]


class PublishError(AladdinError):
    kind = ErrorKind.INVALID_INPUT


class PublishAuthError(PublishError):
    kind = ErrorKind.AUTH


class PublishNotFound(PublishError):
    kind = ErrorKind.NOT_FOUND


class PublishQuotaError(PublishError):
    kind = ErrorKind.QUOTA


class PublishUnavailable(PublishError):
    """5xx, timeouts, connection resets after our retries: trying later can help."""

    kind = ErrorKind.UNAVAILABLE
    retryable = True


class PublishIntegrityError(PublishError):
    """What the store holds differs from what we sent."""

    kind = ErrorKind.CORRUPT
    retryable = True


class PublishCancelled(PublishError):
    kind = ErrorKind.CANCELLED
