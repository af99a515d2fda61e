"""Character Voices talks to ElevenLabs off the GUI thread: with the emulator made slow,
saving the chosen preview (``text_to_voice.create``) and listing the account's voices keep
the editor's event loop running (a QTimer keeps firing), disable the buttons with a busy
note, land their result; an error is one line; closing the dialog drops a late answer."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from aladdin_studio.config import Settings
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.generation_controller import GenerationController
from aladdin_studio.ui.voice_controller import VoiceController
from aladdin_studio.ui.voice_dialogs import CharacterVoicesDialog
from aladdin_studio.voice.library import VoiceLibrary

WAIT_MS = 30_000
SLOW_S = 2.5  # the emulator holds the answer this long
MAX_GUI_GAP_S = 1.0  # the event loop never stalls this long meanwhile (blocking: >= SLOW_S)


@pytest.fixture
def el_ui(qtbot, tmp_path, project, elevenlabs):
    from elevenlabs_emulator import DEFAULT_KEY as EL_KEY

    settings = Settings(provider="local", max_generations_per_hour=500,
                        elevenlabs_api_key=EL_KEY)
    ctx = EditorContext(project_io.load(project), settings=settings)
    generation = GenerationController(
        ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp_path / "queue.sqlite3"), poll_ms=50)
    ctx.generation = generation
    controller = VoiceController(ctx, generation, library=VoiceLibrary(tmp_path / "v.json"))
    dialog = CharacterVoicesDialog(ctx, controller)
    qtbot.addWidget(dialog)
    dialog.show()
    errors: list[str] = []
    ctx.error.connect(errors.append)
    yield SimpleNamespace(ctx=ctx, controller=controller, dialog=dialog, errors=errors,
                          emulator=elevenlabs)
    generation.close()
    ctx.close()


def _ticking() -> tuple[QTimer, list[float]]:
    """A 20 ms GUI timer and the times at which it fired."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    return timer, ticks


def _worker_gone(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while any(t.name == "voice-dialog" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the dialog's provider call never returned"
        time.sleep(0.02)


def test_saving_a_voice_on_a_slow_elevenlabs_keeps_the_editor_running(qtbot, el_ui):
    from elevenlabs_emulator import slow

    dialog, emulator = el_ui.dialog, el_ui.emulator
    dialog.name_edit.setText("Genie")
    dialog.description_edit.setText("a booming, playful spirit of the lamp")
    dialog.design_button.click()
    qtbot.waitUntil(lambda: len(dialog.previews) == 3, timeout=WAIT_MS)
    dialog.preview_choices[1].setChecked(True)

    emulator.inject("voice_create", slow(SLOW_S))
    timer, ticks = _ticking()
    clicked = time.monotonic()
    dialog.save_button.click()
    # the click returned before ElevenLabs answered: busy, buttons off
    assert dialog.saved is None and dialog.busy
    assert dialog.status.text() == "Saving voice 'Genie'…"
    assert not dialog.save_button.isEnabled() and not dialog.design_button.isEnabled()
    assert not dialog.account_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=WAIT_MS)
    landed = time.monotonic()
    timer.stop()
    assert landed - clicked >= SLOW_S * 0.9  # the request really was slow ...
    during = [t for t in ticks if clicked <= t <= landed] + [landed]
    gaps = [b - a for a, b in zip([clicked, *during], during, strict=False)]
    assert len(during) > 5 and max(gaps) < MAX_GUI_GAP_S, max(gaps)  # ... the GUI ran on
    (create,) = emulator.calls("voice_create")
    assert dialog.saved.voice_id == create.body["generated_voice_id"] == \
        dialog.previews[1].generated_voice_id
    assert el_ui.controller.library.get("Genie").voice_id == dialog.saved.voice_id
    assert dialog.assign_button.isEnabled() and dialog.save_button.isEnabled()
    assert not dialog.busy and dialog.status.text().startswith("Saved voice 'Genie'")
    dialog.assign_button.click()
    from aladdin_studio.voice.library import characters

    (genie,) = characters(el_ui.ctx.project)
    assert genie.voice.voice_id == dialog.saved.voice_id and el_ui.errors == []


def test_account_voices_error_is_one_line_and_close_drops_a_late_answer(qtbot, el_ui):
    from elevenlabs_emulator import invalid_key, slow

    dialog, emulator = el_ui.dialog, el_ui.emulator
    emulator.inject("voices_search", invalid_key())
    before = dialog.library_box.count()
    dialog.account_button.click()
    assert dialog.busy and not dialog.account_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    text = dialog.status.text()
    assert "rejected the API key" in text and "\n" not in text, text
    assert el_ui.errors == [text] and dialog.account_button.isEnabled()
    assert dialog.library_box.count() == before

    emulator.inject("voices_search", slow(SLOW_S))  # listed, but too late: dialog closed
    dialog.account_button.click()
    assert dialog.busy
    dialog.close()
    assert not dialog.busy and dialog.status.text() == "Cancelled."
    assert dialog.account_button.isEnabled()
    _worker_gone()
    for _ in range(3):
        QApplication.processEvents()
    assert len(emulator.calls("voices_search")) == 2  # the slow call did answer ...
    assert dialog.library_box.count() == before  # ... and nothing landed
    assert dialog.status.text() == "Cancelled." and len(el_ui.errors) == 1
    dialog.show()  # reopened: the account's voices come this time
    dialog.account_button.click()
    qtbot.waitUntil(lambda: dialog.library_box.count() > before, timeout=WAIT_MS)
