"""API keys and passwords: environment variables first, then the OS keyring.

Secrets are stored in the keyring under the service ``"aladdin-studio"`` with the environment
variable name as the user name (e.g. ``set_secret("FAL_API_KEY", ...)``), so the same name works
for both lookups. Secret values are never logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import keyring
import keyring.errors
from keyring.backends import fail, null

from aladdin_studio.errors import AladdinError, ErrorKind

__all__ = ["SERVICE", "SecretStoreError", "delete_secret", "get_secret", "mask", "set_secret"]

SERVICE = "aladdin-studio"

#: Vendor prefixes that carry no secret information and may be shown by :func:`mask`.
_KEY_PREFIXES = ("sk-", "sk_")
#: Values shorter than this are masked completely.
_MIN_PARTIAL_LEN = 12

log = logging.getLogger(__name__)


class SecretStoreError(AladdinError):
    """The OS keyring cannot store or delete a secret."""

    kind = ErrorKind.UNAVAILABLE


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("secret name must be a non-empty string")


def _backend_problem() -> str | None:
    """Describe why the active keyring backend cannot store secrets, or None if it can."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # broken backend configuration
        return f"the keyring backend could not be loaded ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring):
        return "no OS keyring backend is available"
    if isinstance(backend, null.Keyring):
        return "the keyring backend is disabled (null backend)"
    if getattr(backend, "backends", None) == []:  # empty ChainerBackend
        return "no OS keyring backend is available"
    return None


def _store_error(action: str, name: str, reason: str) -> SecretStoreError:
    return SecretStoreError(
        f"Cannot {action} {name} in the OS keyring: {reason}. Unlock or install a keyring "
        f"(GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager), or set the "
        f"{name} environment variable instead."
    )


def get_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Return secret ``name`` from the environment, else from the keyring, else None.

    Empty values count as unset. Keyring failures (no backend, locked keyring, D-Bus errors)
    return None and are logged at debug level without any value.
    """
    _check_name(name)
    environ = os.environ if env is None else env
    value = (environ.get(name) or "").strip()
    if value:
        return value
    try:
        stored = keyring.get_password(SERVICE, name)
    except Exception as exc:  # any backend may raise its own exception types
        log.debug("keyring lookup of %s failed: %s", name, type(exc).__name__)
        return None
    return stored or None


def set_secret(name: str, value: str) -> None:
    """Store ``value`` for ``name`` in the OS keyring; raise SecretStoreError if impossible."""
    _check_name(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"refusing to store an empty value for {name}; use delete_secret()")
    problem = _backend_problem()
    if problem:
        raise _store_error("store", name, problem)
    try:
        keyring.set_password(SERVICE, name, value)
    except Exception as exc:
        # Only the exception type: backend messages are not guaranteed to omit the value.
        raise _store_error("store", name, f"the keyring reported {type(exc).__name__}") from None


def delete_secret(name: str) -> bool:
    """Remove ``name`` from the keyring; return False if it was not stored there."""
    _check_name(name)
    problem = _backend_problem()
    if problem:
        raise _store_error("delete", name, problem)
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _store_error("delete", name, f"the keyring reported {type(exc).__name__}") from None
    return True


def mask(value: str | None) -> str:
    """Return a display-safe form of a secret: ``"sk-…7f3a"``, ``"…7f3a"`` or ``"****"``.

    Only the last 4 characters (plus a known, non-secret vendor prefix such as ``sk-``) are
    shown; values shorter than 12 characters are masked completely. Empty values give ``""``.
    """
    if not value:
        return ""
    if len(value) < _MIN_PARTIAL_LEN:
        return "****"
    prefix = next((p for p in _KEY_PREFIXES if value.startswith(p)), "")
    return f"{prefix}…{value[-4:]}"
