"""The Voice windows with pytest-qt on the offline provider and the real embedded queue:
Character Voices designs three playable previews, saves one and assigns it; a pasted 5-line
script lands as 5 clips in one undo step; regenerating a line adds a take; subtitles view,
burn-in toggle and export; the main window's Voice menu opens them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from aladdin_studio.config import Settings
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.subtitles import scene_cues, subtitle_style
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.generation_controller import GenerationController
from aladdin_studio.ui.voice_controller import VoiceController
from aladdin_studio.ui.voice_dialogs import CharacterVoicesDialog, DialoguePanel, SubtitlesDialog
from aladdin_studio.voice.library import VoiceLibrary, characters
from aladdin_studio.voice.placement import dialogue_clips
from aladdin_studio.voice.subtitles import read_cues

WAIT_MS = 30_000
SCRIPT = """ALADDIN: We leave at dawn.
JASMINE (worried): Not a minute later?
ALADDIN: Not a second later, I promise.
GENIE (laughing): You two and your schedules!
JASMINE: Then it is settled.
"""


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


def test_design_three_previews_save_and_assign(qtbot, ui):
    dialog = CharacterVoicesDialog(ui.ctx, ui.controller)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Jafar")
    dialog.description_edit.setText("a scheming royal vizier")
    dialog.gender_box.setCurrentText("male")
    dialog.age_box.setCurrentText("old")
    dialog.accent_edit.setText("british")
    qtbot.mouseClick(dialog.design_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialog.previews) == 3, timeout=WAIT_MS)
    assert "vizier" in dialog.description_used and "a British accent" in dialog.description_used
    assert len(dialog.preview_choices) == 3
    play = dialog.findChild(type(dialog.design_button), "play-preview-3")
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert dialog.played == [str(dialog.previews[2].path)]
    dialog.preview_choices[2].setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=WAIT_MS)  # saved off-thread
    assert dialog.saved.voice_id == \
        dialog.previews[2].generated_voice_id
    assert ui.controller.library.get("Jafar").voice_id == dialog.saved.voice_id
    qtbot.mouseClick(dialog.assign_button, Qt.MouseButton.LeftButton)
    (jafar,) = characters(ui.ctx.project)
    assert jafar.voice.voice_id == dialog.saved.voice_id
    assert jafar.description == "a scheming royal vizier"
    assert dialog.character_list.count() == 1
    # delivery settings for the character's lines, keeping the voice
    dialog.model_box.setCurrentText("eleven_v3")
    dialog.stability_spin.setValue(0.3)
    dialog.seed_edit.setText("42")
    qtbot.mouseClick(dialog.delivery_button, Qt.MouseButton.LeftButton)
    (jafar,) = characters(ui.ctx.project)
    assert (jafar.tts.model, jafar.tts.stability, jafar.tts.seed) == ("eleven_v3", 0.3, 42)
    assert jafar.voice.voice_id == dialog.saved.voice_id
    qtbot.mouseClick(dialog.account_button, Qt.MouseButton.LeftButton)  # offline variants
    qtbot.waitUntil(lambda: dialog.library_box.count() > 5, timeout=WAIT_MS)
    ui.ctx.stack.undo()
    ui.ctx.stack.undo()
    assert characters(ui.ctx.project) == []


def test_pasted_script_lands_as_five_clips_in_one_undo_step_and_regenerates(qtbot, ui,
                                                                             tmp_path):
    panel = DialoguePanel(ui.ctx, ui.controller)
    qtbot.addWidget(panel)
    panel.script_edit.setPlainText(SCRIPT)
    assert panel.table.rowCount() == 5 and panel.table.item(1, 2).text() == "worried"
    panel.start_spin.setValue(2.0)
    depth = ui.ctx.stack.count()
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.pending is not None and panel.pending.placed,
                    timeout=WAIT_MS)
    scene = ui.ctx.scene
    assert len(dialogue_clips(scene)) == 5
    assert panel.table.item(0, 3).text() == "on timeline"
    from aladdin_studio.ui.jobs_panel import COST, METHOD, PROMPT, JobsPanel

    jobs = JobsPanel(ui.ctx, ui.generation)  # the lines are jobs of the shared ledger
    qtbot.addWidget(jobs)
    ui.generation.poll()
    rows = {jobs.table.item(r, PROMPT).text(): (jobs.table.item(r, METHOD).text(),
                                                jobs.table.item(r, COST).text())
            for r in range(jobs.table.rowCount())}
    assert rows["Aladdin: We leave at dawn."] == ("voice", "$0.00")
    assert panel.table.item(0, 4).text().endswith(" s")
    assert ui.ctx.stack.count() == depth + 1  # one undo step
    ui.ctx.stack.undo()
    assert dialogue_clips(scene) == []
    ui.ctx.stack.redo()
    assert len(dialogue_clips(scene)) == 5

    clip = panel.clip_of(3)
    regenerate = panel.table.cellWidget(3, 6)
    assert regenerate.isEnabled()
    qtbot.mouseClick(regenerate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(clip.media_references()) == 2, timeout=WAIT_MS)
    assert clip.active_media_reference_key == "take2"
    assert panel.table.item(3, 3).text() == "take 2"
    ui.ctx.stack.undo()
    assert len(clip.media_references()) == 1

    subs = SubtitlesDialog(ui.ctx)
    qtbot.addWidget(subs)
    assert subs.table.rowCount() >= 5
    subs.burn_box.setChecked(True)
    assert subtitle_style(scene)["burn_in"] is True
    subs.font_box.setCurrentText("DejaVu Serif")
    assert subtitle_style(scene)["font"] == "DejaVu Serif"
    ui.ctx.stack.undo()  # the font
    subs.table.item(0, 2).setText("We ride at dawn.")
    assert "We ride at dawn." in [c.text for c in read_cues(subs.export(tmp_path / "s.srt"))]
    first = scene_cues(scene)[0]
    subs.table.item(0, 1).setText(f"{first.end - 0.3:.2f}")  # end the first cue earlier
    assert scene_cues(scene)[0].end == pytest.approx(first.end - 0.3, abs=0.01)
    subs.table.item(0, 1).setText("0.1")  # before its start: refused, nothing changes
    assert scene_cues(scene)[0].end == pytest.approx(first.end - 0.3, abs=0.01)
    ui.ctx.stack.undo()  # the timing edit
    assert scene_cues(scene)[0].end == pytest.approx(first.end, abs=0.01)
    ui.ctx.stack.undo()  # the text edit
    assert "We leave at dawn." in [c.text for c in read_cues(subs.export(tmp_path / "t.vtt"))]


def test_main_window_voice_menu_opens_the_windows(qtbot, tmp_path, project, monkeypatch):
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    from aladdin_studio.ui.main_window import MainWindow

    window = MainWindow(project_io.load(project), settings=Settings(provider="local"),
                        ask_recovery=False)
    qtbot.addWidget(window)
    voice = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Voice")
    texts = [a.text() for a in voice.actions() if a.text()]
    assert texts[:4] == ["&Character Voices…", "&Dialogue…", "Generate &Sound Effect…",
                         "S&ubtitles…"]
    assert isinstance(window.voice_menu.character_voices(), CharacterVoicesDialog)
    assert isinstance(window.voice_menu.dialogue(), DialoguePanel)
    errors: list[str] = []
    window.ctx.error.connect(errors.append)
    window.voice_menu.integrate()  # nothing to integrate in an empty scene: said clearly
    assert errors and "no dialogue, music or sound-effect clips" in errors[-1]
    window.generation.close()


def test_dialogue_queued_from_the_cli_lands_when_the_editor_opens(qtbot, tmp_path, project,
                                                                  monkeypatch):
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    from aladdin_studio import cli
    from aladdin_studio.ui.main_window import MainWindow
    from aladdin_studio.voice import pending

    script = tmp_path / "s.txt"
    script.write_text("NARRATOR: The sun sets.\nNARRATOR: The city sleeps.\n")
    assert cli.main(["dialogue", str(project), "--script", str(script)]) == 0
    window = MainWindow(project_io.load(project), settings=Settings(provider="local"),
                        ask_recovery=False)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(dialogue_clips(window.ctx.scene)) == 2, timeout=WAIT_MS)
    assert pending.queued(window.ctx.project) == []
    assert window.ctx.stack.count() == 1  # one step: the lines in, the queue entry out
    window.ctx.select(dialogue_clips(window.ctx.scene)[:1])
    window.voice_menu.regenerate_selected()
    clip = dialogue_clips(window.ctx.scene)[0]
    qtbot.waitUntil(lambda: len(clip.media_references()) == 2, timeout=WAIT_MS)
    window.generation.close()


def test_through_elevenlabs_design_and_a_clear_quota_message(qtbot, tmp_path, project,
                                                             elevenlabs):
    from elevenlabs_emulator import DEFAULT_KEY as EL_KEY

    settings = Settings(provider="local", max_generations_per_hour=500,
                        elevenlabs_api_key=EL_KEY)
    ctx = EditorContext(project_io.load(project), settings=settings)
    generation = GenerationController(
        ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp_path / "queue.sqlite3"), poll_ms=50,
        queue_options={"poll_interval": 0.02, "backoff_base": 0.01},
        consumer_options={"tick": 0.05})
    ctx.generation = generation
    controller = VoiceController(ctx, generation, library=VoiceLibrary(tmp_path / "v.json"),
                                 poll_ms=50)
    try:
        dialog = CharacterVoicesDialog(ctx, controller)
        qtbot.addWidget(dialog)
        assert "elevenlabs" in dialog.status.text()
        dialog.name_edit.setText("Genie")
        dialog.description_edit.setText("a booming, playful spirit of the lamp")
        qtbot.mouseClick(dialog.design_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(dialog.previews) == 3, timeout=WAIT_MS)
        assert len(elevenlabs.calls("previews")) == 1
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.saved is not None, timeout=WAIT_MS)
        qtbot.mouseClick(dialog.assign_button, Qt.MouseButton.LeftButton)
        (genie,) = characters(ctx.project)
        assert genie.voice.provider == "elevenlabs"
        assert genie.voice.voice_id == elevenlabs.calls("voice_create")[0].body[
            "generated_voice_id"]

        elevenlabs.character_limit = elevenlabs.character_count + 10  # nearly used up
        panel = DialoguePanel(ctx, controller)
        qtbot.addWidget(panel)
        panel.script_edit.setPlainText("GENIE: Ten thousand years will give you such a crick "
                                       "in the neck!")
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.pending is not None and bool(panel.pending.failed),
                        timeout=WAIT_MS)
        assert "quota exceeded" in panel.status.text()
        assert panel.table.item(0, 3).text() == "failed"
        assert dialogue_clips(ctx.scene) == []
    finally:
        generation.close()
        ctx.close()


def test_generate_sound_effect_lands_at_the_playhead(qtbot, ui):
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.timeline.layout import layout
    from aladdin_studio.ui.voice_dialogs import SfxDialog

    ui.ctx.set_playhead(int(ui.ctx.rate * 2))
    dialog = SfxDialog(ui.ctx, ui.controller)
    qtbot.addWidget(dialog)
    dialog.prompt_edit.setText("a short whoosh past the camera")
    dialog.duration_spin.setValue(1.0)
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    placed: list = []
    ui.controller.sfx_placed.connect(placed.append)
    qtbot.waitUntil(lambda: bool(placed), timeout=WAIT_MS)
    track = next(t for t in ui.ctx.scene.tracks
                 if S.is_audio(t) and S.track_role(t) == "sfx")
    (slot,) = [s for s in layout(track, ui.ctx.rate) if s.is_clip]
    assert slot.start == int(ui.ctx.rate * 2) and slot.item is placed[0]
    ui.ctx.stack.undo()
    assert not any(S.is_audio(t) and S.track_role(t) == "sfx" for t in ui.ctx.scene.tracks)
