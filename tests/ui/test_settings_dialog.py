"""Settings dialog: keys go to the keyring (masked, never in files), env values are read-only."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from memory_keyring import MemoryKeyring
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit

from aladdin_studio import paths
from aladdin_studio.config import ENV_VARS, load_settings
from aladdin_studio.secrets import mask
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.settings_dialog import SettingsDialog

SECRETS = {
    "fal_api_key": "fal-0123456789-abcdefXYZ",
    "elevenlabs_api_key": "sk_eleven_0123456789abcd",
    "r2_secret_access_key": "r2-secret-9876543210zyxw",
    "neo4j_password": "hunter2pw",  # short: masked completely
}
SERVICE = "aladdin-studio"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Private XDG dirs, no settings from the developer's environment, a memory keyring."""
    for var in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{var}_HOME", str(tmp_path / "xdg" / var.lower()))
    for names in ENV_VARS.values():
        for var in names:
            monkeypatch.delenv(var, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def open_dialog(qtbot, settings=None) -> SettingsDialog:
    dlg = SettingsDialog(settings)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def shown_texts(dlg: SettingsDialog) -> str:
    parts = [w.text() for w in dlg.findChildren(QLabel)]
    for edit in dlg.findChildren(QLineEdit):
        parts += [edit.text(), edit.placeholderText(), edit.toolTip()]
    return "\n".join(parts)


def test_keys_go_to_the_keyring_masked_and_never_into_files(qtbot, isolated, sample_project,
                                                            caplog):
    caplog.set_level(logging.DEBUG)
    dlg = open_dialog(qtbot)
    for name, value in SECRETS.items():
        edit = dlg.fields[name]
        assert edit.echoMode() == QLineEdit.EchoMode.Password and edit.text() == ""
        edit.setText(value)
    dlg.fields["neo4j_user"].setText("editor")
    assert dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted

    stored = {name: isolated.store.get((SERVICE, ENV_VARS[name][0])) for name in SECRETS}
    assert stored == SECRETS
    assert dlg.settings.fal_api_key == SECRETS["fal_api_key"]  # live settings updated
    settings_text = paths.settings_file().read_text()
    assert 'neo4j_user = "editor"' in settings_text
    for value in SECRETS.values():
        assert value not in settings_text
        assert value not in caplog.text

    # Reopened: the stored keys are shown masked only, never put into a widget.
    settings = load_settings()
    assert all(settings.source(name) == "keyring" for name in SECRETS)
    again = open_dialog(qtbot, settings)
    for name, value in SECRETS.items():
        edit = again.fields[name]
        assert edit.text() == "" and edit.placeholderText().startswith(mask(value))
    assert again.fields["neo4j_password"].placeholderText().startswith("****")
    assert again.fields["fal_api_key"].placeholderText().startswith("…fXYZ")
    texts = shown_texts(again)
    assert not any(value in texts for value in SECRETS.values())

    # A project saved while the keys are set holds none of them.
    project = project_io.load(sample_project)
    from aladdin_studio.ui.editor_context import EditorContext

    ctx = EditorContext(project, settings=settings)
    try:
        ctx.push(C.RenameItem(project.scene(), "With keys"))
        written = project_io.save(project)
    finally:
        ctx.close()
    assert "With keys" in written.read_text()
    for path in sample_project.rglob("*"):
        if path.is_file() and path.suffix in {".otio", ".json", ".toml", ".txt", ""}:
            data = path.read_bytes()
            assert not any(v.encode() in data for v in SECRETS.values()), path


def test_empty_field_keeps_the_key_and_remove_deletes_it(qtbot, isolated):
    isolated.set_password(SERVICE, "FAL_API_KEY", SECRETS["fal_api_key"])
    isolated.set_password(SERVICE, "NEO4J_PASSWORD", SECRETS["neo4j_password"])
    dlg = open_dialog(qtbot, load_settings())
    assert dlg.clear_boxes["fal_api_key"].isEnabled()
    dlg.clear_boxes["neo4j_password"].setChecked(True)
    assert dlg.save()
    assert isolated.store == {(SERVICE, "FAL_API_KEY"): SECRETS["fal_api_key"]}
    assert dlg.settings.neo4j_password == ""


def test_environment_values_are_read_only_with_a_note(qtbot, isolated, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:pw-in-url@env-host:6379/0")
    monkeypatch.setenv("FAL_KEY", "env-fal-key-abcdefgh1234")
    monkeypatch.setenv("VIDEO_DEFAULT_FPS", "30")
    monkeypatch.setenv("ALADDIN_PROVIDER", "local")
    dlg = open_dialog(qtbot, load_settings())

    assert dlg.fields["redis_url"].isReadOnly()
    assert dlg.fields["redis_url"].text() == "redis://:***@env-host:6379/0"
    assert dlg.notes["redis_url"].text() == (
        "set by $REDIS_URL (environment variables take precedence)")
    assert dlg.fields["fal_api_key"].isReadOnly()
    assert dlg.notes["fal_api_key"].text() == (
        "set by $FAL_KEY (environment variables take precedence)")
    assert dlg.fields["fal_api_key"].text() == ""
    assert "env-fal-key-abcdefgh1234" not in shown_texts(dlg)
    assert "pw-in-url" not in shown_texts(dlg)
    assert dlg.fields["video_default_fps"].isReadOnly()
    assert dlg.fields["video_default_fps"].value() == 30
    assert not dlg.fields["provider"].isEnabled()
    assert dlg.fields["provider"].currentData() == "local"
    assert "environment" in dlg.notes["provider"].text()
    assert not dlg.fields["mongodb_uri"].isReadOnly()
    assert not dlg.notes["mongodb_uri"].isVisibleTo(dlg)

    dlg.fields["mongodb_uri"].setText("mongodb://db.local:27017")
    assert dlg.save()
    text = paths.settings_file().read_text()
    assert 'mongodb_uri = "mongodb://db.local:27017"' in text
    assert "env-host" not in text and "pw-in-url" not in text
    assert "video_default_fps" not in text
    assert "provider" not in text and "env-fal-key" not in text
    assert isolated.store == {}


def test_other_settings_are_saved_to_the_file(qtbot):
    dlg = open_dialog(qtbot)
    dlg.fields["provider"].setCurrentIndex(dlg.fields["provider"].findData("fal"))
    dlg.fields["video_default_resolution"].setCurrentText("1280x720")
    dlg.fields["video_default_fps"].setValue(30)
    dlg.fields["autosave_interval_s"].setValue(0)
    dlg.fields["r2_bucket_name"].setText("clips")
    dlg.fields["r2_endpoint_url"].setText("https://acct.r2.cloudflarestorage.com")
    dlg.fields["neo4j_uri"].setText("neo4j://graph:7687")
    assert dlg.save()
    s = load_settings()
    assert (s.provider, s.video_default_resolution, s.video_default_fps) == ("fal", "1280x720", 30)
    assert s.autosave_interval_s == 0 and s.r2_bucket_name == "clips"
    assert s.r2_endpoint_url == "https://acct.r2.cloudflarestorage.com"
    assert s.neo4j_uri == "neo4j://graph:7687" and s.source("neo4j_uri") == "file"


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("redis_url", "not a url", "expected a URL"),
    ("r2_endpoint_url", "ftp://x.example", "http:// or https://"),
    ("video_default_resolution", "huge", "WIDTHxHEIGHT"),
])
def test_invalid_values_are_shown_inline(qtbot, name, value, reason):
    dlg = open_dialog(qtbot)
    editor = dlg.fields[name]
    if hasattr(editor, "setCurrentText"):
        editor.setCurrentText(value)
    else:
        editor.setText(value)
    assert not dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted and dlg.isVisible()
    error = dlg.errors[name]
    assert error.isVisibleTo(dlg) and reason in error.text() and name in error.text()
    assert dlg.tabs.currentWidget().isAncestorOf(editor)
    assert not paths.settings_file().exists()


def test_control_characters_and_keyring_failures_are_reported(qtbot, isolated):
    dlg = open_dialog(qtbot)
    dlg.fields["fal_api_key"].setText("bad\x07key-0123456789")
    assert not dlg.save()
    assert "control characters" in dlg.errors["fal_api_key"].text()

    keyring.set_keyring(fail.Keyring())
    dlg.fields["fal_api_key"].setText(SECRETS["fal_api_key"])
    assert not dlg.save()
    error = dlg.errors["fal_api_key"].text()
    assert "keyring" in error and SECRETS["fal_api_key"] not in error
    assert dlg.isVisible()
