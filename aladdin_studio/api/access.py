"""Who may call the API: a bearer token per install, kept in the OS keyring.

The token is generated on first use (``secrets.token_urlsafe``) and stored under the keyring
name ``ALADDIN_API_TOKEN`` (the environment variable of that name wins, as for every
secret). The webhook signing secret is made and kept the same way (``ALADDIN_WEBHOOK_SECRET``).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets as _random

from ..errors import AladdinError, ErrorKind
from ..secrets import SecretStoreError, get_secret, set_secret

__all__ = ["TOKEN_NAME", "WEBHOOK_SECRET_NAME", "ApiAccessError", "api_token", "is_loopback",
           "token_matches", "webhook_secret"]

TOKEN_NAME = "ALADDIN_API_TOKEN"
WEBHOOK_SECRET_NAME = "ALADDIN_WEBHOOK_SECRET"


class ApiAccessError(AladdinError):
    """The API cannot get or keep its token (no keyring and no environment variable)."""

    kind = ErrorKind.AUTH


def _get_or_create(name: str, what: str) -> str:
    value = get_secret(name)
    if value:
        return value
    value = _random.token_urlsafe(32)
    try:
        set_secret(name, value)
    except SecretStoreError as exc:
        raise ApiAccessError(f"Cannot keep the {what}: {exc}") from None
    return value


def api_token() -> str:
    """The install's API bearer token (made and stored in the keyring on first use)."""
    return _get_or_create(TOKEN_NAME, "automation API token")


def webhook_secret() -> str:
    """The install's webhook signing secret (made and stored in the keyring on first use)."""
    return _get_or_create(WEBHOOK_SECRET_NAME, "webhook signing secret")


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header (``Bearer <token>``) or a bare token matches,
    compared in constant time."""
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    candidate = value.strip() if scheme.lower() == "bearer" else header.strip()
    return hmac.compare_digest(candidate.encode(), token.encode())


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only exposes the API to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
