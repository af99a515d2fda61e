"""Settings changes for any front end: validate every field, write the settings file, store
or remove keys in the OS keyring, then update the live settings. A refusal is a
:class:`~aladdin_studio.config.ConfigError` whose ``field`` names the setting to fix."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aladdin_studio import secrets as secret_store
from aladdin_studio.config import ENV_VARS, SECRET_FIELDS, ConfigError, Settings, save_settings

__all__ = ["apply_settings"]

log = logging.getLogger(__name__)


def _has_control_chars(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def apply_settings(settings: Settings, values: Mapping[str, Any],
                   secrets: Mapping[str, str | None] | None = None,
                   path: Path | None = None) -> Path:
    """Change ``settings`` to ``values`` (non-secret fields) and ``secrets`` (field → new
    key, None to remove it from the keyring). Nothing is changed when a value is refused.
    Returns the settings file written."""
    secrets = dict(secrets or {})
    for name in values:
        if name in SECRET_FIELDS:
            raise ConfigError(f"{name}: keys belong in the keyring, not the settings file",
                              field=name)
    for name, value in secrets.items():
        if name not in SECRET_FIELDS:
            raise ConfigError(f"{name} is not a key setting", field=name)
        if value and _has_control_chars(value):
            raise ConfigError("The key contains control characters; paste it again.",
                              field=name)
    candidate = copy.copy(settings)  # keeps where each value came from
    for name, value in values.items():
        setattr(candidate, name, value)
    try:
        written = save_settings(candidate, path)  # validates every field first
    except OSError as exc:
        raise ConfigError(f"Cannot write the settings file: {exc.strerror or exc}") from None
    for name in values:  # the file holds them now: update the live settings
        setattr(settings, name, getattr(candidate, name))
    for name, value in secrets.items():
        var = ENV_VARS[name][0]  # the keyring entry's user name (see config)
        try:
            if value is None:
                secret_store.delete_secret(var)
            else:
                secret_store.set_secret(var, value)
        except secret_store.SecretStoreError as exc:
            raise ConfigError(str(exc), field=name) from None
        settings.set_secret_value(name, value)
    log.info("settings saved to %s", written)
    return written
