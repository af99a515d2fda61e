"""Settings ▸ Automation: the editor serves the automation API in-process; a job submitted
over HTTP lands on the open timeline and in the Jobs dock like the Generate dialog's."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import keyring
import pytest
from memory_keyring import MemoryKeyring

from aladdin_studio import project_registry
from aladdin_studio.api.server import free_port
from aladdin_studio.config import Settings
from aladdin_studio.generation import placement
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.automation_panel import AutomationPanel
from aladdin_studio.ui.generation_controller import GenerationController

WAIT_MS = 90_000


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("ALADDIN_API_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # QSettings: fresh prefs
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def window(qtbot, tmp_path, sample_project, memory_keyring):
    from aladdin_studio.ui.main_window import MainWindow

    settings = Settings(provider="local")

    def make_controller(ctx):
        return GenerationController(
            ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
            huey=make_huey(settings, path=tmp_path / "queue.sqlite3"),
            provider_factory=lambda name: LocalProvider(tmp_path / "r", short_side=180),
            consumer_options={"tick": 0.05})

    win = MainWindow(project_io.load(sample_project), settings=settings, ask_recovery=False,
                     generation=make_controller)
    qtbot.addWidget(win)
    yield win
    win.close()


def _request(method: str, url: str, out: dict, **kwargs) -> threading.Thread:
    """An HTTP request from another thread (the GUI thread must keep running to serve it)."""
    def run() -> None:
        try:
            out["response"] = httpx.request(method, url, timeout=30, **kwargs)
        except Exception as exc:  # reported by the test
            out["error"] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_settings_automation_serves_the_open_project_live(qtbot, window, sample_project):
    dialog = window.settings_dialog()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs[-1] == "Automation"
    panel = dialog.tabs.widget(dialog.tabs.count() - 1)
    assert isinstance(panel, AutomationPanel)
    assert not window.automation.running and panel.status.text() == "Off"
    port = free_port()
    panel.port.setValue(port)
    panel.enabled.setChecked(True)
    assert window.automation.running, window.automation.error
    assert f"http://127.0.0.1:{port}/api/v1" in panel.status.text()
    token = window.automation.token()
    assert panel.token.text() == token
    assert panel.token.echoMode() == panel.token.EchoMode.Password
    panel.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == token

    pid = project_registry.find_path(sample_project).id
    base = f"http://127.0.0.1:{port}/api/v1/projects/{pid}"
    out: dict = {}
    thread = _request("POST", f"{base}/videos/generate", out,
                      headers={"Authorization": f"Bearer {token}"},
                      json={"method": "text-to-video", "input": {"prompt": "api dawn"},
                            "parameters": {"duration": 1, "quality": "draft"},
                            "placement": {"track": "V1", "at": 0.5}})
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=WAIT_MS)
    assert "error" not in out, out.get("error")
    assert out["response"].status_code == 202, out["response"].text
    job_id = out["response"].json()["jobId"]
    # in the open document (one undo step), in the Jobs dock, then the take lands
    clips = {j: c for c, j in placement.find_generation_clips(window.ctx.project)}
    stack = window.ctx.undo.stack
    assert job_id in clips and stack.undoText() == "Generate Clip", stack.undoText()
    qtbot.waitUntil(lambda: any(j.id == job_id for j in window.generation.jobs),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not placement.is_placeholder(clips[job_id]), timeout=WAIT_MS)
    assert window.ctx.project.dirty  # an edit of the open document, saved by the user
    assert stack.undoText() == "Generated Take"  # one undo step, like the dialog's

    panel.enabled.setChecked(False)
    assert not window.automation.running and panel.status.text() == "Off"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/scenes", timeout=2)
    dialog.reject()


def test_toggling_the_panel_writes_settings_toml(qtbot, window):
    """Serving, the port and the webhook are the app's settings (settings.toml), not
    QSettings; the token never goes there."""
    from aladdin_studio.config import load_settings
    from aladdin_studio.paths import settings_file

    dialog = window.settings_dialog()
    panel = dialog.tabs.widget(dialog.tabs.count() - 1)
    port = free_port()
    panel.port.setValue(port)
    panel.enabled.setChecked(True)
    assert window.automation.running, window.automation.error
    saved = load_settings(path=settings_file(), use_keyring=False)
    assert (saved.api_autostart, saved.api_port) == (1, port)
    assert window.automation.token() not in settings_file().read_text()
    panel.webhook.setText("ftp://nowhere")
    panel.webhook.editingFinished.emit()
    assert panel.webhook_error.isVisibleTo(panel) and "http" in panel.webhook_error.text()
    panel.webhook.setText("http://127.0.0.1:9/hook")
    panel.webhook.editingFinished.emit()
    assert not panel.webhook_error.isVisibleTo(panel)
    assert window.ctx.settings.webhook_url == "http://127.0.0.1:9/hook"  # live
    panel.enabled.setChecked(False)
    saved = load_settings(path=settings_file(), use_keyring=False)
    assert (saved.api_autostart, saved.api_port) == (0, port)
    assert saved.webhook_url == "http://127.0.0.1:9/hook"
    dialog.reject()


def test_qsettings_values_of_earlier_versions_move_to_settings_toml_once(qtbot, tmp_path):
    from types import SimpleNamespace

    from PySide6.QtCore import QSettings

    from aladdin_studio.config import load_settings
    from aladdin_studio.ui.editor_api import EditorApi

    toml = tmp_path / "settings.toml"
    ini = str(tmp_path / "prefs.ini")
    prefs = QSettings(ini, QSettings.Format.IniFormat)
    prefs.setValue("automation/enabled", "true")
    prefs.setValue("automation/port", 9123)
    prefs.sync()
    api = EditorApi(SimpleNamespace(settings=None), qsettings=prefs, settings_path=toml)
    assert (api.enabled, api.port) == (True, 9123)
    saved = load_settings(path=toml, use_keyring=False)
    assert (saved.api_autostart, saved.api_port) == (1, 9123)
    again = QSettings(ini, QSettings.Format.IniFormat)
    assert not again.contains("automation/enabled") and not again.contains("automation/port")
    assert EditorApi(SimpleNamespace(settings=None), qsettings=again,
                     settings_path=toml).migrate_qsettings() == {}  # once

    # what the settings file already says wins over an old QSettings value
    toml.write_text("api_port = 9200\n")
    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue("automation/port", 9300)
    old.setValue("automation/enabled", "false")
    api = EditorApi(SimpleNamespace(settings=None), qsettings=old, settings_path=toml)
    assert (api.enabled, api.port) == (False, 9200)
    assert not old.contains("automation/port")
    assert load_settings(path=toml, use_keyring=False).api_port == 9200


def test_assemble_with_spoken_lines_lands_in_the_open_editor(qtbot, window, sample_project):
    """An assembly sent to the editor's API: the scene is built on the editor's undo stack and
    saved (the job renders the saved scene), the line is spoken and placed on its dialogue
    track in the open document."""
    from aladdin_studio.api.views import media_id
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.voice.service import VoiceService

    window.ctx.session.push(VoiceService(settings=Settings()).assign_command(
        window.ctx.project, "Ann", None))
    assert window.automation.start(free_port()), window.automation.error
    token = window.automation.token()
    pid = project_registry.find_path(sample_project).id
    clip = media_id("media/pattern-1.mp4")
    out: dict = {}
    thread = _request("POST", f"{window.automation.url}/projects/{pid}/videos/assemble", out,
                      headers={"Authorization": f"Bearer {token}"},
                      json={"sceneId": "Spoken", "preset": "draft",
                            "clips": [{"clipId": clip, "sequence": 1, "trimEnd": 5.5}],
                            "audio": [{"type": "dialogue", "characterId": "Ann",
                                       "text": "Right on time.", "startTime": 0.25}]})
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=WAIT_MS)
    assert "error" not in out, out.get("error")
    assert out["response"].status_code == 202, out["response"].text
    job_id = out["response"].json()["jobId"]
    assert "Spoken" in [s.name for s in project_io.load(sample_project).scenes]  # saved
    store = window.generation.queue.store
    qtbot.waitUntil(lambda: store.get(job_id).done, timeout=WAIT_MS)
    job = store.get(job_id)
    assert job.status == "succeeded", job.error_message
    scene = next(s for s in window.ctx.project.scenes if s.name == "Spoken")
    dialogue = next(t for t in scene.tracks if S.is_audio(t)
                    and S.track_role(t) == S.TrackRole.DIALOGUE)
    [line] = [c for c in dialogue.find_clips()]
    rate = S.scene_rate(scene)
    assert line.range_in_parent().start_time.to_frames() == S.seconds_to_frames(0.25, rate)
    assert Path(job.output_path).is_file()
    window.automation.stop()
