"""Tests for aladdin_studio.secrets (environment + OS keyring)."""

from __future__ import annotations

import logging

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from memory_keyring import MemoryKeyring

from aladdin_studio import secrets
from aladdin_studio.secrets import SecretStoreError, delete_secret, get_secret, mask, set_secret


class BrokenKeyring(KeyringBackend):
    """Backend failing like a locked keyring / dead D-Bus session."""

    priority = -1

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("dbus went away")


@pytest.fixture
def use_keyring():
    """Install a keyring backend for the test and restore the previous one afterwards."""
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_keyring) -> MemoryKeyring:
    return use_keyring(MemoryKeyring())


def test_env_wins_over_keyring(memory: MemoryKeyring) -> None:
    memory.set_password("aladdin-studio", "FAL_API_KEY", "from-keyring")
    assert get_secret("FAL_API_KEY", {"FAL_API_KEY": "from-env"}) == "from-env"


def test_keyring_used_when_env_missing_or_empty(memory: MemoryKeyring) -> None:
    memory.set_password("aladdin-studio", "FAL_API_KEY", "from-keyring")
    assert get_secret("FAL_API_KEY", {}) == "from-keyring"
    assert get_secret("FAL_API_KEY", {"FAL_API_KEY": "  "}) == "from-keyring"


def test_defaults_to_os_environ(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", " el-key \n")
    assert get_secret("ELEVENLABS_API_KEY") == "el-key"
    monkeypatch.delenv("ELEVENLABS_API_KEY")
    assert get_secret("ELEVENLABS_API_KEY") is None


def test_missing_everywhere_is_none(memory: MemoryKeyring) -> None:
    assert get_secret("NEO4J_PASSWORD", {}) is None


@pytest.mark.parametrize("backend", [BrokenKeyring, fail.Keyring, null.Keyring])
def test_keyring_errors_give_none(
    use_keyring, backend: type[KeyringBackend], caplog: pytest.LogCaptureFixture
) -> None:
    use_keyring(backend())
    with caplog.at_level(logging.DEBUG, logger="aladdin_studio.secrets"):
        assert get_secret("FAL_API_KEY", {}) is None
    if backend is not null.Keyring:
        assert "FAL_API_KEY" in caplog.text


def test_set_and_delete_roundtrip(memory: MemoryKeyring) -> None:
    set_secret("FAL_API_KEY", "sk-0123456789abcdef")
    assert memory.store == {("aladdin-studio", "FAL_API_KEY"): "sk-0123456789abcdef"}
    assert get_secret("FAL_API_KEY", {}) == "sk-0123456789abcdef"
    assert delete_secret("FAL_API_KEY") is True
    assert delete_secret("FAL_API_KEY") is False
    assert get_secret("FAL_API_KEY", {}) is None


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_set_without_usable_backend(use_keyring, backend: type[KeyringBackend]) -> None:
    use_keyring(backend())
    with pytest.raises(SecretStoreError) as exc:
        set_secret("FAL_API_KEY", "sk-0123456789abcdef")
    message = str(exc.value)
    assert "FAL_API_KEY" in message and "environment variable" in message
    assert "sk-0123456789abcdef" not in message
    with pytest.raises(SecretStoreError):
        delete_secret("FAL_API_KEY")


def test_backend_failure_does_not_leak_value(use_keyring) -> None:
    use_keyring(BrokenKeyring())
    with pytest.raises(SecretStoreError) as exc:
        set_secret("NEO4J_PASSWORD", "hunter2-very-secret")
    assert "hunter2-very-secret" not in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__
    with pytest.raises(SecretStoreError):
        delete_secret("NEO4J_PASSWORD")


def test_set_rejects_empty(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError):
        set_secret("FAL_API_KEY", "")
    with pytest.raises(ValueError):
        get_secret("", {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("abc", "****"),
        ("short-pass1", "****"),
        ("sk-proj-abcdef0123457f3a", "sk-…7f3a"),
        ("sk_0123456789abcdef7f3a", "sk_…7f3a"),
        ("0e9a2c1b-1234-4cde:0123456789ab7f3a", "…7f3a"),
    ],
)
def test_mask(value: str | None, expected: str) -> None:
    assert mask(value) == expected


def test_mask_never_shows_more_than_last_four() -> None:
    value = "abcdefghijklmnopqrstuvwxyz"
    masked = mask(value)
    assert masked.endswith("wxyz")
    assert "abcd" not in masked and "vwxyz" not in masked


def test_service_name() -> None:
    assert secrets.SERVICE == "aladdin-studio"
