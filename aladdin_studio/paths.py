"""Per-user locations for Aladdin Studio (XDG base directories via platformdirs).

Every function resolves its location at call time, so changes to ``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``, ``XDG_STATE_HOME`` and ``XDG_CACHE_HOME`` (e.g. made by tests) are honoured,
and creates the directory (mode 0700, as the XDG spec recommends) if it does not exist yet.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "APP_NAME",
    "cache_dir",
    "config_dir",
    "data_dir",
    "log_dir",
    "settings_file",
    "state_dir",
]

APP_NAME = "aladdin-studio"


def _ensure(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _resolve(xdg_var: str, platform_default: str) -> Path:
    """Return ``$xdg_var/aladdin-studio`` if the variable holds an absolute path, else the default.

    platformdirs already does this on Linux and macOS; checking explicitly keeps the behaviour
    the same on Windows, where platformdirs ignores the XDG variables.
    """
    value = os.environ.get(xdg_var, "").strip()
    if value and os.path.isabs(value):
        return _ensure(Path(value) / APP_NAME)
    return _ensure(Path(platform_default))


def config_dir() -> Path:
    """Directory for user configuration (``settings.toml``)."""
    return _resolve("XDG_CONFIG_HOME", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Directory for user data that must persist (projects library, presets, ...)."""
    return _resolve("XDG_DATA_HOME", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Directory for state that persists across restarts but is not user data (logs, history)."""
    return _resolve("XDG_STATE_HOME", platformdirs.user_state_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Directory for disposable cached files (thumbnails, proxies, waveforms)."""
    return _resolve("XDG_CACHE_HOME", platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Directory for log files: ``state_dir()/"logs"``."""
    return _ensure(state_dir() / "logs")


def settings_file() -> Path:
    """Path of the settings file, ``config_dir()/"settings.toml"`` (the file may not exist)."""
    return config_dir() / "settings.toml"
