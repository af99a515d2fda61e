"""Application settings: defaults < ``settings.toml`` < environment variables.

Secrets (API keys, passwords) are read from the environment or the OS keyring only; they are
never read from or written to the settings file.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from aladdin_studio.errors import AladdinError, ErrorKind

__all__ = [
    "ENV_VARS",
    "PROVIDERS",
    "SECRET_FIELDS",
    "ConfigError",
    "Settings",
    "Source",
    "load_settings",
    "save_settings",
]

log = logging.getLogger(__name__)

Source = Literal["default", "file", "env", "keyring"]
PROVIDERS = ("auto", "fal", "local")


class ConfigError(AladdinError):
    """A setting has an invalid value, or the settings file cannot be read. ``field`` names
    the setting (attribute name) when one is to blame."""

    kind = ErrorKind.INVALID_INPUT

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _opt(
    default: Any,
    *env: str,
    secret: bool = False,
    bound: Literal["positive", "non-negative", "port"] | None = None,
    kind: Literal["url", "http_url", "resolution", "provider"] | None = None,
) -> Any:
    """Declare a setting: its environment variable(s) and validation rules."""
    meta = {"env": env, "type": type(default), "secret": secret, "bound": bound, "kind": kind}
    return field(default=default, metadata=meta)


@dataclass
class Settings:
    """All user-configurable settings. Empty strings mean "not set"."""

    fal_api_key: str = _opt("", "FAL_API_KEY", "FAL_KEY", secret=True)
    elevenlabs_api_key: str = _opt("", "ELEVENLABS_API_KEY", secret=True)
    r2_account_id: str = _opt("", "R2_ACCOUNT_ID")
    r2_access_key_id: str = _opt("", "R2_ACCESS_KEY_ID")
    r2_secret_access_key: str = _opt("", "R2_SECRET_ACCESS_KEY", secret=True)
    r2_bucket_name: str = _opt("aladdin-media", "R2_BUCKET_NAME")
    r2_public_domain: str = _opt("", "R2_PUBLIC_DOMAIN")
    r2_endpoint_url: str = _opt("", "R2_ENDPOINT_URL", kind="http_url")
    redis_url: str = _opt("", "REDIS_URL", kind="url")
    mongodb_uri: str = _opt("", "MONGODB_URI", kind="url")
    neo4j_uri: str = _opt("", "NEO4J_URI", kind="url")
    neo4j_user: str = _opt("neo4j", "NEO4J_USER")
    neo4j_password: str = _opt("", "NEO4J_PASSWORD", secret=True)
    video_default_duration: float = _opt(7.0, "VIDEO_DEFAULT_DURATION", bound="positive")
    video_default_fps: int = _opt(24, "VIDEO_DEFAULT_FPS", bound="positive")
    video_default_resolution: str = _opt("1920x1080", "VIDEO_DEFAULT_RESOLUTION", kind="resolution")
    video_max_size_mb: int = _opt(50, "VIDEO_MAX_SIZE_MB", bound="positive")
    video_generation_timeout_ms: int = _opt(
        300_000, "VIDEO_GENERATION_TIMEOUT_MS", bound="positive"  # issue 6: 5 min per generation
    )
    ffmpeg_timeout_ms: int = _opt(120_000, "FFMPEG_TIMEOUT_MS", bound="positive")
    max_clips_per_scene: int = _opt(10, "ALADDIN_MAX_CLIPS_PER_SCENE", bound="positive")
    # 1: manual edits in the editor are refused past the clip limit too (0: a warning).
    enforce_clip_limit: int = _opt(0, "ALADDIN_ENFORCE_CLIP_LIMIT", bound="non-negative")
    max_concurrent_generations: int = _opt(
        5, "ALADDIN_MAX_CONCURRENT_GENERATIONS", bound="positive"
    )
    max_generations_per_hour: int = _opt(50, "ALADDIN_MAX_GENERATIONS_PER_HOUR", bound="positive")
    # Seconds after the last edit before the recovery file is written; 0 disables autosave /
    # keeps no backups.
    autosave_interval_s: int = _opt(3, "ALADDIN_AUTOSAVE_INTERVAL", bound="non-negative")
    backups_kept: int = _opt(5, "ALADDIN_BACKUPS_KEPT", bound="non-negative")
    provider: str = _opt("auto", "ALADDIN_PROVIDER", kind="provider")
    webhook_url: str = _opt("", "ALADDIN_WEBHOOK_URL", kind="http_url")
    # Quality verification (issue 15): overall pass mark, "check=weight, ..." over the
    # defaults, automatic regenerations of a failing clip, an optional embedding model file.
    quality_threshold: float = _opt(0.7, "ALADDIN_QUALITY_THRESHOLD", bound="positive")
    quality_weights: str = _opt("", "ALADDIN_QUALITY_WEIGHTS")
    quality_auto_regenerate: int = _opt(1, "ALADDIN_QUALITY_AUTO_REGENERATE",
                                        bound="non-negative")
    quality_embedding_model: str = _opt("", "ALADDIN_QUALITY_EMBEDDING_MODEL")
    # The automation API the editor serves (Settings ▸ Automation; its token stays in the
    # keyring): 1 = started with the editor, and its port on 127.0.0.1.
    api_autostart: int = _opt(0, "ALADDIN_API_AUTOSTART", bound="non-negative")
    api_port: int = _opt(8765, "ALADDIN_API_PORT", bound="port")

    # Where each value came from (filled by load_settings); not a setting itself.
    _sources: dict[str, Source] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Values the settings file held, so save_settings can keep them for env-overridden fields.
    _file_values: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _env_values: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def resolution(self) -> tuple[int, int]:
        """``video_default_resolution`` as ``(width, height)``."""
        return _parse_resolution(self.video_default_resolution)

    def source(self, name: str) -> Source:
        """Where setting ``name`` was loaded from: "default", "file", "env" or "keyring"."""
        if name not in _FIELDS:
            raise KeyError(f"unknown setting {name!r}")
        return self._sources.get(name, "default")

    def set_secret_value(self, name: str, value: str | None) -> None:
        """Record a secret just stored in (``value``) or removed from (None) the keyring."""
        if name not in SECRET_FIELDS:
            raise KeyError(f"{name!r} is not a secret setting")
        setattr(self, name, value or "")
        if value:
            self._sources[name] = "keyring"
        else:
            self._sources.pop(name, None)

    def secrets(self) -> list[str]:
        """Non-empty secret values, incl. passwords embedded in URLs (for log redaction)."""
        found: list[str] = []
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            if value and value not in found:
                found.append(value)
        for name in _URL_FIELDS:
            password = _url_password(getattr(self, name)) or ""
            for value in (password, unquote(password)):
                if value and value not in found:
                    found.append(value)
        return found

    def __repr__(self) -> str:
        from aladdin_studio.secrets import mask

        parts = []
        for name, fdef in _FIELDS.items():
            value = getattr(self, name)
            if fdef.metadata["secret"]:
                value = mask(value)
            elif name in _URL_FIELDS:
                value = _mask_url_password(value)
            parts.append(f"{name}={value!r}")
        return f"Settings({', '.join(parts)})"


_FIELDS: dict[str, dataclasses.Field[Any]] = {
    f.name: f for f in dataclasses.fields(Settings) if f.init
}
SECRET_FIELDS: tuple[str, ...] = tuple(n for n, f in _FIELDS.items() if f.metadata["secret"])
ENV_VARS: Mapping[str, tuple[str, ...]] = {n: f.metadata["env"] for n, f in _FIELDS.items()}
_URL_FIELDS = tuple(n for n, f in _FIELDS.items() if f.metadata["kind"] in ("url", "http_url"))


# --- validation ---------------------------------------------------------------------------


def _parse_resolution(text: str) -> tuple[int, int]:
    width, sep, height = text.strip().lower().partition("x")
    if not sep:
        raise ValueError("expected WIDTHxHEIGHT, e.g. 1920x1080")
    try:
        size = int(width), int(height)
    except ValueError:
        raise ValueError("expected WIDTHxHEIGHT, e.g. 1920x1080") from None
    if min(size) < 1:
        raise ValueError("width and height must be positive")
    return size


_URL_USERINFO = re.compile(r"//[^@\s]*@")


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password if url else None
    except ValueError:
        return None


def _mask_url_password(url: str) -> str:
    password = _url_password(url)
    return url.replace(f":{password}@", ":***@", 1) if password else url


def _convert(fdef: dataclasses.Field[Any], raw: Any) -> Any:
    """Convert ``raw`` (str from env, or a TOML value) to the field's type; ValueError if bad."""
    meta = fdef.metadata
    if meta["type"] is str:
        if not isinstance(raw, str):
            raise ValueError("expected a string")
        value = raw.strip()
        if meta["secret"] and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("contains control characters")
        kind = meta["kind"]
        if kind == "provider":
            value = value.lower()
            if value not in PROVIDERS:
                raise ValueError(f"expected one of {', '.join(PROVIDERS)}")
        elif kind == "resolution":
            value = "{}x{}".format(*_parse_resolution(value))
        elif kind and value:
            scheme, netloc = urlsplit(value)[:2]
            if kind == "http_url" and scheme not in ("http", "https"):
                raise ValueError("expected an http:// or https:// URL")
            if not scheme or not netloc:
                raise ValueError("expected a URL such as scheme://host")
        return value

    is_int = meta["type"] is int
    expected = "an integer" if is_int else "a number"
    if isinstance(raw, str):
        try:
            value = int(raw.strip()) if is_int else float(raw.strip())
        except ValueError:
            raise ValueError(f"expected {expected}") from None
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        if is_int and isinstance(raw, float) and not raw.is_integer():
            raise ValueError(f"expected {expected}")
        value = int(raw) if is_int else float(raw)
    else:
        raise ValueError(f"expected {expected}")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    bound = meta["bound"]
    if bound == "positive" and value <= 0:
        raise ValueError("must be greater than 0")
    if bound == "non-negative" and value < 0:
        raise ValueError("must not be negative")
    if bound == "port" and not 1 <= value <= 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def _error(where: str, fdef: dataclasses.Field[Any], raw: Any, reason: str) -> ConfigError:
    """Build a ConfigError naming ``where``; secret values (and URL passwords) are not shown."""
    if fdef.metadata["secret"]:
        shown = "<hidden>"
    elif isinstance(raw, str) and fdef.metadata["kind"] in ("url", "http_url"):
        shown = repr(_URL_USERINFO.sub("//***@", raw))
    else:
        shown = repr(raw)
    return ConfigError(f"{where}: invalid value {shown}: {reason}", field=fdef.name)


# --- loading ------------------------------------------------------------------------------


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:  # message ends with "(at line N, column M)"
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: malformed TOML: file is not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file: {exc.strerror or exc}") from None

    values: dict[str, Any] = {}
    for key, raw in data.items():
        fdef = _FIELDS.get(key)
        if fdef is None:
            log.warning("%s: ignoring unknown setting %r", path, key)
        elif fdef.metadata["secret"]:
            log.warning(
                "%s: ignoring %s; secrets belong in the environment or the OS keyring", path, key
            )
        else:
            try:
                values[key] = _convert(fdef, raw)
            except ValueError as exc:
                raise _error(f"{path}: {key}", fdef, raw, str(exc)) from None
    return values


def _read_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, fdef in _FIELDS.items():
        for var in fdef.metadata["env"]:
            raw = env.get(var)
            if raw is None or not raw.strip():  # VAR= (empty) counts as unset
                continue
            try:
                values[name] = _convert(fdef, raw)
            except ValueError as exc:
                raise _error(var, fdef, raw, str(exc)) from None
            break
    return values


def _read_keyring(missing: Iterable[str], env: Mapping[str, str]) -> dict[str, Any]:
    # Imported here: aladdin_studio.secrets must stay importable without this module.
    from aladdin_studio import secrets as secret_store

    values: dict[str, Any] = {}
    for name in missing:
        fdef = _FIELDS[name]
        var = fdef.metadata["env"][0]
        raw = secret_store.get_secret(var, env)
        if raw:
            try:
                values[name] = _convert(fdef, raw)
            except ValueError as exc:
                raise _error(f"keyring entry {var}", fdef, raw, str(exc)) from None
    return values


def load_settings(
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    *,
    use_keyring: bool = True,
) -> Settings:
    """Load settings: defaults < TOML file (``path`` or ``paths.settings_file()``) < ``env``.

    ``env`` defaults to ``os.environ``. Secret fields the environment leaves empty are looked up
    in the OS keyring unless ``use_keyring`` is False. Raises ConfigError on invalid values.
    """
    if env is None:
        env = os.environ
    if path is None:
        from aladdin_studio import paths

        path = paths.settings_file()

    file_values = _read_file(Path(path))
    env_values = _read_env(env)
    settings = Settings()
    sources: dict[str, Source] = {}
    layers: tuple[tuple[Source, dict[str, Any]], ...] = (("file", file_values), ("env", env_values))
    for layer, values in layers:
        for name, value in values.items():
            setattr(settings, name, value)
            sources[name] = layer
    if use_keyring:
        missing = (n for n in SECRET_FIELDS if not getattr(settings, n))
        for name, value in _read_keyring(missing, env).items():
            setattr(settings, name, value)
            sources[name] = "keyring"
    settings._sources = sources
    settings._file_values = file_values
    settings._env_values = env_values
    return settings


# --- saving -------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in ('"', "\\"):
                out.append("\\" + ch)
            elif ord(ch) < 32 or ord(ch) == 127:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


_MISSING = object()


def _values_to_save(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, fdef in _FIELDS.items():
        if fdef.metadata["secret"]:
            continue
        value = getattr(settings, name)
        try:
            value = _convert(fdef, value)
        except ValueError as exc:
            raise _error(name, fdef, value, str(exc)) from None
        env_value = settings._env_values.get(name, _MISSING)
        if value == env_value:
            # Unchanged value from the environment: don't bake it into the file; keep whatever
            # the file held before.
            if name in settings._file_values:
                out[name] = settings._file_values[name]
        elif value != fdef.default:
            out[name] = value
    return out


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Atomically write the non-secret, non-default settings to TOML; return the path.

    Secret fields are never written. Values that came from environment variables and were not
    changed are not written either (the file keeps its previous value for them, if any).
    """
    if path is None:
        from aladdin_studio import paths

        path = paths.settings_file()
    path = Path(path)
    lines = [
        "# Aladdin Studio settings (written by the app; unknown keys are ignored).",
        "# API keys and passwords are never stored here: use environment variables or the",
        "# OS keyring.",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in _values_to_save(settings).items()]
    data = ("\n".join(lines) + "\n").encode("utf-8")

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)
    return path
