"""Tests for aladdin_studio.config and aladdin_studio.paths."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import keyring
import keyring.errors
import pytest
from memory_keyring import MemoryKeyring

from aladdin_studio import config, paths
from aladdin_studio.config import (
    ENV_VARS,
    SECRET_FIELDS,
    ConfigError,
    Settings,
    load_settings,
    save_settings,
)

SECRETS = {
    "fal_api_key": "fal-0e9a2c1b:SECRET-fal-7f3a",
    "elevenlabs_api_key": "sk_SECRET_elevenlabs_1234",
    "r2_secret_access_key": "SECRET-r2-abcdef0123456789",
    "neo4j_password": "SECRET-neo4j-pw",
}


@pytest.fixture(autouse=True)
def memory_keyring():
    """Never touch the developer's real keyring."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{var}_HOME", str(tmp_path / var.lower()))
    return tmp_path


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.toml"


# --- paths --------------------------------------------------------------------------------


def test_paths_follow_xdg_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.config_dir() == tmp_path / "config" / "aladdin-studio"
    assert paths.data_dir() == tmp_path / "data" / "aladdin-studio"
    assert paths.state_dir() == tmp_path / "state" / "aladdin-studio"
    assert paths.cache_dir() == tmp_path / "cache" / "aladdin-studio"
    assert paths.log_dir() == tmp_path / "state" / "aladdin-studio" / "logs"
    assert paths.settings_file() == tmp_path / "config" / "aladdin-studio" / "settings.toml"
    for d in (paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.log_dir()):
        assert d.is_dir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    assert paths.config_dir() == tmp_path / "elsewhere" / "aladdin-studio"


# --- loading ------------------------------------------------------------------------------


def test_defaults(settings_path: Path) -> None:
    s = load_settings(env={}, path=settings_path)
    assert s == Settings()
    assert s.r2_bucket_name == "aladdin-media"
    assert s.neo4j_user == "neo4j"
    assert s.video_default_duration == 7.0 and isinstance(s.video_default_duration, float)
    assert (s.video_default_fps, s.video_max_size_mb) == (24, 50)
    assert (s.video_generation_timeout_ms, s.ffmpeg_timeout_ms) == (300_000, 120_000)
    assert (s.max_clips_per_scene, s.max_concurrent_generations) == (10, 5)
    assert (s.max_generations_per_hour, s.autosave_interval_s, s.backups_kept) == (50, 3, 5)
    assert s.provider == "auto"
    assert s.resolution == (1920, 1080)
    assert all(s.source(name) == "default" for name in ENV_VARS)


def test_precedence_default_file_env(settings_path: Path) -> None:
    settings_path.write_text(
        'video_default_fps = 30\nprovider = "fal"\nneo4j_user = "admin"\n'
        'video_default_resolution = "1280x720"\n',
        encoding="utf-8",
    )
    env = {"VIDEO_DEFAULT_FPS": "60", "REDIS_URL": "redis://localhost:6379/0"}
    s = load_settings(env=env, path=settings_path)
    assert s.video_default_fps == 60
    assert s.source("video_default_fps") == "env"
    assert s.provider == "fal" and s.source("provider") == "file"
    assert s.neo4j_user == "admin" and s.source("neo4j_user") == "file"
    assert s.resolution == (1280, 720)
    assert s.redis_url == "redis://localhost:6379/0" and s.source("redis_url") == "env"
    assert s.backups_kept == 5 and s.source("backups_kept") == "default"


def test_default_path_is_xdg_settings_file(xdg: Path) -> None:
    paths.settings_file().write_text("max_clips_per_scene = 3\n", encoding="utf-8")
    s = load_settings(env={})
    assert s.max_clips_per_scene == 3 and s.source("max_clips_per_scene") == "file"


def test_reads_os_environ_by_default(settings_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALADDIN_PROVIDER", "LOCAL")
    s = load_settings(path=settings_path)
    assert s.provider == "local" and s.source("provider") == "env"


def test_fal_key_alias(settings_path: Path) -> None:
    assert load_settings({"FAL_KEY": "k-alias-1234"}, settings_path).fal_api_key == "k-alias-1234"
    both = {"FAL_KEY": "k-alias-1234", "FAL_API_KEY": "k-main-5678"}
    s = load_settings(both, settings_path)
    assert s.fal_api_key == "k-main-5678" and s.source("fal_api_key") == "env"
    # an empty primary variable does not hide the alias
    s = load_settings({"FAL_API_KEY": "", "FAL_KEY": "k-alias-1234"}, settings_path)
    assert s.fal_api_key == "k-alias-1234"


def test_empty_env_var_counts_as_unset(settings_path: Path) -> None:
    settings_path.write_text("video_default_fps = 30\n", encoding="utf-8")
    s = load_settings({"VIDEO_DEFAULT_FPS": "  "}, settings_path)
    assert s.video_default_fps == 30 and s.source("video_default_fps") == "file"


def test_values_are_normalised(settings_path: Path) -> None:
    env = {
        "VIDEO_DEFAULT_RESOLUTION": " 1280X720 ",
        "VIDEO_DEFAULT_DURATION": "2.5",
        "ALADDIN_AUTOSAVE_INTERVAL": "0",
    }
    s = load_settings(env, settings_path)
    assert s.video_default_resolution == "1280x720" and s.resolution == (1280, 720)
    assert s.video_default_duration == 2.5
    assert s.autosave_interval_s == 0


def test_source_unknown_field() -> None:
    with pytest.raises(KeyError):
        Settings().source("nope")


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("VIDEO_DEFAULT_FPS", "abc"),
        ("VIDEO_DEFAULT_FPS", "24.5"),
        ("VIDEO_DEFAULT_FPS", "0"),
        ("VIDEO_DEFAULT_RESOLUTION", "12x"),
        ("VIDEO_DEFAULT_RESOLUTION", "1920*1080"),
        ("VIDEO_DEFAULT_RESOLUTION", "-1920x1080"),
        ("VIDEO_DEFAULT_DURATION", "-3"),
        ("VIDEO_DEFAULT_DURATION", "nan"),
        ("VIDEO_MAX_SIZE_MB", "-50"),
        ("FFMPEG_TIMEOUT_MS", "soon"),
        ("ALADDIN_MAX_CONCURRENT_GENERATIONS", "-1"),
        ("ALADDIN_BACKUPS_KEPT", "-1"),
        ("ALADDIN_PROVIDER", "openai"),
        ("ALADDIN_WEBHOOK_URL", "ftp://example.com/hook"),
        ("R2_ENDPOINT_URL", "localhost:9000"),
    ],
)
def test_bad_env_value_names_variable_and_value(settings_path: Path, var: str, value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({var: value}, settings_path)
    assert var in str(exc.value)
    assert repr(value) in str(exc.value)


def test_bad_secret_value_is_not_echoed(settings_path: Path) -> None:
    secret = "fal-SECRET-\x1b[31m-1234"
    with pytest.raises(ConfigError) as exc:
        load_settings({"FAL_API_KEY": secret}, settings_path)
    message = str(exc.value)
    assert "FAL_API_KEY" in message
    assert "SECRET" not in message


def test_bad_url_does_not_echo_embedded_password(settings_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({"MONGODB_URI": "mongodb//user:SECRET-pw@db"}, settings_path)
    assert "MONGODB_URI" in str(exc.value) and "SECRET" not in str(exc.value)


def test_bad_file_value_names_file_and_key(settings_path: Path) -> None:
    settings_path.write_text('video_default_fps = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings({}, settings_path)
    message = str(exc.value)
    assert str(settings_path) in message and "video_default_fps" in message and "'abc'" in message


def test_negative_file_value_rejected(settings_path: Path) -> None:
    settings_path.write_text("backups_kept = -2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="backups_kept"):
        load_settings({}, settings_path)


def test_malformed_toml_names_file_and_line(settings_path: Path) -> None:
    settings_path.write_text('provider = "fal"\nvideo_default_fps = = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings({}, settings_path)
    assert str(settings_path) in str(exc.value)
    assert "line 2" in str(exc.value)


def test_file_accepts_native_toml_types(settings_path: Path) -> None:
    settings_path.write_text(
        "video_default_duration = 3\nvideo_default_fps = 25.0\nbackups_kept = 0\n"
        "unknown_future_key = true\n",
        encoding="utf-8",
    )
    s = load_settings({}, settings_path)
    assert s.video_default_duration == 3.0 and isinstance(s.video_default_duration, float)
    assert s.video_default_fps == 25 and isinstance(s.video_default_fps, int)
    assert s.backups_kept == 0


def test_secrets_in_file_are_ignored(settings_path: Path) -> None:
    settings_path.write_text('fal_api_key = "from-file-1234"\n', encoding="utf-8")
    s = load_settings({}, settings_path)
    assert s.fal_api_key == "" and s.source("fal_api_key") == "default"


def test_secrets_from_keyring(settings_path: Path, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("aladdin-studio", "FAL_API_KEY", "kr-fal-12345678")
    memory_keyring.set_password("aladdin-studio", "NEO4J_PASSWORD", "kr-neo4j-pw")
    s = load_settings({"NEO4J_PASSWORD": "env-neo4j-pw"}, settings_path)
    assert s.fal_api_key == "kr-fal-12345678" and s.source("fal_api_key") == "keyring"
    assert s.neo4j_password == "env-neo4j-pw" and s.source("neo4j_password") == "env"
    # FAL_KEY in the environment beats the keyring too
    s = load_settings({"FAL_KEY": "env-alias-1234"}, settings_path)
    assert s.fal_api_key == "env-alias-1234"
    s = load_settings({}, settings_path, use_keyring=False)
    assert s.fal_api_key == "" and s.source("fal_api_key") == "default"


def test_broken_keyring_is_not_fatal(settings_path: Path) -> None:
    class Locked(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("locked")

    keyring.set_keyring(Locked())
    assert load_settings({}, settings_path).fal_api_key == ""


# --- secrets handling ---------------------------------------------------------------------


def test_secret_fields() -> None:
    assert set(SECRET_FIELDS) == set(SECRETS)
    names = [f.name for f in dataclasses.fields(Settings) if f.init]
    for name in names:
        is_secret = any(word in name for word in ("api_key", "secret", "password"))
        assert (name in SECRET_FIELDS) == is_secret


def test_secrets_list_and_repr_mask() -> None:
    s = Settings(**SECRETS, redis_url="redis://:SECRET%2Fredis@cache:6379/0")
    found = s.secrets()
    assert set(SECRETS.values()) <= set(found)
    assert "SECRET%2Fredis" in found and "SECRET/redis" in found
    assert Settings().secrets() == []
    text = repr(s)
    assert "SECRET" not in text
    assert "fal_api_key='…7f3a'" in text
    assert "redis://:***@cache:6379/0" in text


# --- saving -------------------------------------------------------------------------------


def test_save_never_writes_secrets(settings_path: Path) -> None:
    s = Settings(**SECRETS, video_default_fps=30, provider="local")
    save_settings(s, settings_path)
    text = settings_path.read_text(encoding="utf-8")
    for name, value in SECRETS.items():
        assert value not in text
        assert f"{name} =" not in text
    assert "SECRET" not in text
    loaded = load_settings({}, settings_path, use_keyring=False)
    assert loaded.video_default_fps == 30 and loaded.provider == "local"
    assert loaded.fal_api_key == ""


def test_save_writes_only_non_defaults(settings_path: Path) -> None:
    save_settings(Settings(), settings_path)
    assert tomllib.loads(settings_path.read_text(encoding="utf-8")) == {}
    save_settings(Settings(backups_kept=0, video_default_duration=2.5), settings_path)
    data = tomllib.loads(settings_path.read_text(encoding="utf-8"))
    assert data == {"backups_kept": 0, "video_default_duration": 2.5}


def test_save_roundtrip_with_escaping(settings_path: Path) -> None:
    s = Settings(
        r2_public_domain='cdn "quoted" \\ back\tslash ünï',
        mongodb_uri="mongodb://db.local:27017/aladdin",
        video_default_resolution="3840x2160",
        video_default_duration=12.75,
    )
    save_settings(s, settings_path)
    loaded = load_settings({}, settings_path)
    assert loaded == s
    assert loaded.source("r2_public_domain") == "file"


def test_save_default_path_and_no_temp_files(xdg: Path) -> None:
    path = save_settings(Settings(max_clips_per_scene=4))
    assert path == paths.settings_file()
    save_settings(Settings(max_clips_per_scene=5))
    assert load_settings({}).max_clips_per_scene == 5
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.toml"]


def test_save_is_atomic_on_failure(settings_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(video_default_fps=30), settings_path)
    before = settings_path.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_settings(Settings(video_default_fps=60), settings_path)
    assert settings_path.read_bytes() == before
    assert [p.name for p in settings_path.parent.iterdir()] == ["settings.toml"]


def test_save_validates_before_writing(settings_path: Path) -> None:
    save_settings(Settings(video_default_fps=30), settings_path)
    before = settings_path.read_bytes()
    with pytest.raises(ConfigError, match="video_default_fps"):
        save_settings(Settings(video_default_fps=-1), settings_path)
    assert settings_path.read_bytes() == before


def test_save_does_not_bake_in_env_values(settings_path: Path) -> None:
    settings_path.write_text(
        'redis_url = "redis://file-host"\nvideo_default_fps = 30\n', encoding="utf-8"
    )
    env = {"REDIS_URL": "redis://env-host", "NEO4J_URI": "neo4j://env-host", "FAL_KEY": "x" * 20}
    s = load_settings(env, settings_path)
    s.max_clips_per_scene = 2
    save_settings(s, settings_path)
    data = tomllib.loads(settings_path.read_text(encoding="utf-8"))
    # env-provided values stay out of the file; the file's own value is preserved
    assert data == {
        "redis_url": "redis://file-host",
        "video_default_fps": 30,
        "max_clips_per_scene": 2,
    }
    # a value the user changed away from the env value is saved
    s.neo4j_uri = "neo4j://ui-host"
    save_settings(s, settings_path)
    assert (
        tomllib.loads(settings_path.read_text(encoding="utf-8"))["neo4j_uri"] == "neo4j://ui-host"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saved_file_is_private(settings_path: Path) -> None:
    save_settings(Settings(video_default_fps=30), settings_path)
    assert settings_path.stat().st_mode & 0o077 == 0
