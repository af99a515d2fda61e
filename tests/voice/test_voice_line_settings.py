"""One dialogue line's own delivery from the Dialogue panel's table: Line Settings writes
the emotion and TTS overrides into the script line's ``(emotion) {…}`` block (undoable in
the script editor), bad values are one line and change nothing, and the next Generate
voices that line with them (pytest-qt, offline provider, the real queue)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from aladdin_studio.config import Settings
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.generation_controller import GenerationController
from aladdin_studio.ui.voice_controller import VoiceController
from aladdin_studio.ui.voice_dialogs import SETTINGS_COL, DialoguePanel
from aladdin_studio.voice.errors import VoiceInputError
from aladdin_studio.voice.library import VoiceLibrary
from aladdin_studio.voice.profiles import TTSSettings
from aladdin_studio.voice.script import parse_script, with_line_overrides

WAIT_MS = 30_000
SCRIPT = """ALADDIN: We leave at dawn.
JASMINE (worried): Not a minute later?
# a note
GENIE {model=eleven_v3}: (laughing) You two and your schedules!
"""


def test_with_line_overrides_rewrites_one_line_and_parses_back() -> None:
    number, line = with_line_overrides(SCRIPT, 1, "angry",
                                       {"stability": 0.3, "speed": 1.15, "seed": 7})
    assert number == 1
    assert line == "JASMINE (angry) {stability=0.3, speed=1.15, seed=7}: Not a minute later?"
    number, line = with_line_overrides(SCRIPT, 2, "laughing",
                                       {"model": "eleven_v3", "similarity_boost": 0.9})
    assert number == 3  # the comment line is not a dialogue line
    assert line == "GENIE (laughing) {model=eleven_v3, similarity=0.9}: You two and your " \
        "schedules!"
    rows = SCRIPT.splitlines()
    rows[3] = line
    parsed = parse_script("\n".join(rows))[2]
    assert (parsed.emotion, parsed.settings, parsed.text) == \
        ("laughing", {"model": "eleven_v3", "similarity_boost": 0.9},
         "You two and your schedules!")
    assert with_line_overrides(SCRIPT, 1, "", {}) == (1, "JASMINE: Not a minute later?")
    with pytest.raises(VoiceInputError, match="Stability must be between 0 and 1"):
        with_line_overrides(SCRIPT, 0, "", {"stability": 1.5})
    with pytest.raises(VoiceInputError, match="no dialogue line 4"):
        with_line_overrides(SCRIPT, 3, "", {})
    with pytest.raises(VoiceInputError, match="without brackets"):
        with_line_overrides(SCRIPT, 0, "sad) {speed=2", {})
    with pytest.raises(VoiceInputError, match="fountain-style"):
        with_line_overrides("ALADDIN\nWe leave at dawn.\n", 0, "", {})


@pytest.fixture
def ui(qtbot, tmp_path, project, monkeypatch):
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    settings = Settings(provider="local", max_generations_per_hour=500)
    ctx = EditorContext(project_io.load(project), settings=settings)
    generation = GenerationController(
        ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp_path / "queue.sqlite3"), poll_ms=50,
        queue_options={"poll_interval": 0.02, "backoff_base": 0.01},
        consumer_options={"tick": 0.05})
    ctx.generation = generation
    controller = VoiceController(ctx, generation, library=VoiceLibrary(tmp_path / "v.json"),
                                 poll_ms=50)
    yield SimpleNamespace(ctx=ctx, controller=controller, generation=generation)
    generation.close()
    ctx.close()


def test_line_settings_from_the_table_are_written_undone_and_used_by_generate(qtbot, ui):
    # Jasmine's own delivery: the line inherits it unless it overrides a setting
    ui.ctx.push(ui.controller.service().assign_command(
        ui.ctx.project, "Jasmine", None, "a princess", TTSSettings(stability=0.4)))
    panel = DialoguePanel(ui.ctx, ui.controller)
    qtbot.addWidget(panel)
    panel.show()
    panel.script_edit.setPlainText(SCRIPT)
    assert panel.table.rowCount() == 3
    button = panel.table.cellWidget(1, SETTINGS_COL)
    assert button.text() == "Character's…"
    assert panel.table.cellWidget(2, SETTINGS_COL).text() == "Custom…"  # model=eleven_v3
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = panel.line_settings
    assert dialog is not None and dialog.isVisible()
    assert dialog.spins["stability"].value() == pytest.approx(0.4)  # the character's
    assert not dialog.spins["stability"].isEnabled()
    assert dialog.emotion_edit.text() == "worried"

    # a bad seed: one line in the dialog, the script untouched
    dialog.seed_check.setChecked(True)
    dialog.seed_edit.setText("soon")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "seed is a whole number" in dialog.message.text()
    assert "\n" not in dialog.message.text()
    assert panel.script_edit.toPlainText() == SCRIPT

    dialog.seed_edit.setText("7")
    dialog.checks["stability"].setChecked(True)
    dialog.spins["stability"].setValue(0.3)
    dialog.checks["speed"].setChecked(True)
    dialog.spins["speed"].setValue(1.15)
    dialog.emotion_edit.setText("angry")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    edited = panel.script_edit.toPlainText().splitlines()
    assert edited[1] == "JASMINE (angry) {stability=0.3, speed=1.15, seed=7}: Not a minute later?"
    assert edited[0] == "ALADDIN: We leave at dawn." and edited[2] == "# a note"
    assert panel.table.item(1, 2).text() == "angry"
    assert panel.lines[1].settings == {"stability": 0.3, "speed": 1.15, "seed": 7}
    assert panel.table.cellWidget(1, SETTINGS_COL).text() == "Custom…"

    panel.script_edit.undo()  # one edit of the script: undone in one step
    assert panel.script_edit.toPlainText() == SCRIPT
    assert panel.lines[1].settings == {} and panel.table.item(1, 2).text() == "worried"
    panel.script_edit.redo()
    assert panel.lines[1].settings == {"stability": 0.3, "speed": 1.15, "seed": 7}

    # the context menu offers the same editor; unticking goes back to the character's
    dialog = panel.edit_line_settings(2)
    dialog.emotion_edit.setText("")
    dialog.accept()
    assert panel.script_edit.toPlainText().splitlines()[3] == \
        "GENIE {model=eleven_v3}: You two and your schedules!"  # model kept, emotion gone

    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.pending is not None and panel.pending.placed,
                    timeout=WAIT_MS)
    jobs = {j.payload["request"]["text"]: j.payload["request"]
            for j in ui.generation.queue.store.list(limit=20, kind="voice")}
    jasmine = jobs["Not a minute later?"]
    assert jasmine["emotion"] == "angry"
    assert (jasmine["settings"]["stability"], jasmine["settings"]["speed"],
            jasmine["settings"]["seed"]) == (0.3, 1.15, 7)
    assert jasmine["settings"]["similarity_boost"] == 0.75  # not overridden: the character's
    aladdin = jobs["We leave at dawn."]
    assert (aladdin["settings"]["stability"], aladdin["settings"]["speed"]) == (0.5, 1.0)
    genie = jobs["You two and your schedules!"]
    assert genie["emotion"] == "" and genie["settings"]["model"] == "eleven_v3"
