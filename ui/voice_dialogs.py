"""Voice windows: Character Voices (profiles, design with 3 playable previews, save, assign),
the Dialogue panel (script → table → one undo step on the dialogue track; play and
regenerate lines), Generate Sound Effect and Subtitles (view/edit, export, burn-in). They only
turn gestures into voice service calls (``aladdin_studio.voice``) through the
:class:`VoiceController`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aladdin_studio.errors import AladdinError
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import TimelineError
from aladdin_studio.timeline.layout import slot_of
from aladdin_studio.timeline.subtitles import (
    POSITIONS,
    Cue,
    SetCues,
    SetSubtitleStyle,
    clip_cues,
    scene_cues,
    subtitle_style,
    take_cues,
)
from aladdin_studio.timeline.titles import FONTS
from aladdin_studio.voice.errors import VoiceInputError
from aladdin_studio.voice.library import characters, find_character
from aladdin_studio.voice.placement import dialogue_clips, media_path
from aladdin_studio.voice.profiles import AGES, GENDERS, TTSSettings, VoiceProfile
from aladdin_studio.voice.providers.base import Preview, SoundRequest
from aladdin_studio.voice.script import format_settings, parse_script, with_line_overrides
from aladdin_studio.voice.subtitles import export_cues

from .dialog_dirs import remember_dir, start_dir
from .voice_controller import PendingBatch, VoiceController

__all__ = ["CharacterVoicesDialog", "DialoguePanel", "SfxDialog", "SubtitlesDialog",
           "play_file"]

log = logging.getLogger(__name__)

_player: Any = None
MODELS = ("eleven_multilingual_v2", "eleven_v3", "eleven_flash_v2_5", "eleven_turbo_v2_5")


def _unit_spin(value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 1.0)
    spin.setSingleStep(0.05)
    spin.setValue(value)
    return spin


def play_file(path: str | Path) -> None:
    """Play a WAV preview (QSoundEffect; silent where there is no audio device)."""
    global _player
    try:
        from PySide6.QtMultimedia import QSoundEffect
    except ImportError:  # a build without QtMultimedia: nothing to play with
        return
    if _player is None:
        _player = QSoundEffect()
    _player.stop()
    _player.setSource(QUrl.fromLocalFile(str(path)))
    _player.play()


class _TaskRelay(QObject):
    """Carries one background call's answer to the GUI thread. Parentless, held by the
    dialog until the answer is in (and by the worker's closure), so a dialog deleted
    meanwhile leaves nothing dangling: Qt drops the connection to the gone dialog."""

    done = Signal(int, object, object)  # (task serial, result, error)


def one_line(exc: BaseException) -> str:
    """An error as one line for the status bar and the error signal."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


# --------------------------------------------------------------------------- voices


class CharacterVoicesDialog(QDialog):
    """Characters of the project and their voices: design → 3 previews → save → assign."""

    def __init__(self, ctx: Any, controller: VoiceController, parent: QWidget | None = None,
                 *, background: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Character Voices")
        self.setObjectName("character-voices")
        self.ctx, self.controller, self.background = ctx, controller, background
        self.previews: list[Preview] = []
        self.saved: VoiceProfile | None = None
        self.played: list[str] = []
        self.description_used = ""
        self.busy = ""  # the note of the provider call in flight ("" when idle)
        self._serial = 0  # the task whose answer is awaited; a higher one makes it stale
        self._landing: Callable[[Any], None] | None = None
        self._relays: dict[int, _TaskRelay] = {}  # calls in flight, by serial

        self.character_list = QListWidget()
        self.character_list.currentTextChanged.connect(self._pick_character)
        self.name_edit = QLineEdit()
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("e.g. a street-smart dreamer, quick-witted")
        self.gender_box = QComboBox()
        self.gender_box.addItems(GENDERS)
        self.age_box = QComboBox()
        self.age_box.addItems(AGES)
        self.age_box.setCurrentText("middle_aged")
        self.accent_edit = QLineEdit("american")
        self.style_edit = QLineEdit()
        self.style_edit.setPlaceholderText("confident, soft, …")
        form = QFormLayout()
        for label, widget in (("Name", self.name_edit), ("Description", self.description_edit),
                              ("Gender", self.gender_box), ("Age", self.age_box),
                              ("Accent", self.accent_edit), ("Style", self.style_edit)):
            form.addRow(label, widget)
        # Delivery: the character's TTS settings (a line may override them)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.addItems(MODELS)
        self.stability_spin = _unit_spin(0.5)
        self.similarity_spin = _unit_spin(0.75)
        self.style_spin = _unit_spin(0.0)
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setRange(0.7, 1.2)
        self.speed_spin.setSingleStep(0.05)
        self.speed_spin.setValue(1.0)
        self.boost_box = QCheckBox("Speaker boost")
        self.boost_box.setChecked(True)
        self.seed_edit = QLineEdit()
        self.seed_edit.setPlaceholderText("random")
        delivery = QHBoxLayout()
        for label, widget in (("Stability", self.stability_spin),
                              ("Similarity", self.similarity_spin),
                              ("Style", self.style_spin), ("Speed", self.speed_spin)):
            delivery.addWidget(QLabel(label))
            delivery.addWidget(widget)
        form.addRow("Model", self.model_box)
        form.addRow(delivery)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.boost_box)
        seed_row.addWidget(QLabel("Seed"))
        seed_row.addWidget(self.seed_edit)
        form.addRow(seed_row)
        self.design_button = QPushButton("Design 3 Previews")
        self.design_button.clicked.connect(self.design)
        self.preview_box = QVBoxLayout()
        self.preview_choices: list[QRadioButton] = []
        self.save_button = QPushButton("Save Chosen Voice")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_voice)
        self.assign_button = QPushButton("Assign to Character")
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self.assign)
        self.library_box = QComboBox()
        self.assign_existing = QPushButton("Assign Saved Voice")
        self.assign_existing.clicked.connect(self.assign_saved)
        self.account_button = QPushButton("Account Voices")
        self.account_button.setToolTip("List the provider's voices (ElevenLabs: your account)")
        self.account_button.clicked.connect(self.load_account_voices)
        self.delivery_button = QPushButton("Save Delivery")
        self.delivery_button.setToolTip("Keep the voice; save model and settings for the "
                                        "character's lines")
        self.delivery_button.clicked.connect(self.save_delivery)
        self.account_voices: dict[str, VoiceProfile] = {}
        self.status = QLabel(f"Provider: {controller.service().provider_name}")
        self.status.setWordWrap(True)

        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.design_button)
        right.addLayout(self.preview_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.assign_button)
        right.addLayout(buttons)
        existing = QHBoxLayout()
        existing.addWidget(QLabel("Saved voices"))
        existing.addWidget(self.library_box, 1)
        existing.addWidget(self.assign_existing)
        existing.addWidget(self.account_button)
        right.addLayout(existing)
        right.addWidget(self.delivery_button)
        right.addWidget(self.status)
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(QLabel("Characters"))
        left.addWidget(self.character_list)
        layout.addLayout(left, 1)
        layout.addLayout(right, 2)
        self.refresh()

    def refresh(self) -> None:
        self.character_list.clear()
        for c in characters(self.ctx.project):
            self.character_list.addItem(c.name)
        self.library_box.clear()
        for v in self.controller.library.voices():
            self.library_box.addItem(f"{v.name} ({v.provider})", v.voice_id)

    def _pick_character(self, name: str) -> None:
        character = next((c for c in characters(self.ctx.project) if c.name == name), None)
        if character is None:
            return
        self.name_edit.setText(character.name)
        self.description_edit.setText(character.description)
        tts = character.tts
        self.model_box.setCurrentText(tts.model)
        self.stability_spin.setValue(tts.stability)
        self.similarity_spin.setValue(tts.similarity_boost)
        self.style_spin.setValue(tts.style)
        self.speed_spin.setValue(tts.speed)
        self.boost_box.setChecked(tts.speaker_boost)
        self.seed_edit.setText("" if tts.seed is None else str(tts.seed))
        if character.voice:
            v = character.voice
            self.gender_box.setCurrentText(v.gender)
            self.age_box.setCurrentText(v.age)
            self.accent_edit.setText(v.accent)
            self.style_edit.setText(v.style)
            self.status.setText(f"{character.name} speaks with '{v.name}' ({v.voice_id}).")

    def profile(self) -> VoiceProfile:
        return VoiceProfile(self.name_edit.text().strip(), self.description_edit.text().strip(),
                            self.gender_box.currentText(), self.age_box.currentText(),
                            self.accent_edit.text().strip(), self.style_edit.text().strip())

    def tts(self) -> TTSSettings:
        seed = self.seed_edit.text().strip()
        if seed and not seed.isdigit():
            raise VoiceInputError("A seed is a whole number (or empty for random).")
        return TTSSettings(self.model_box.currentText().strip() or TTSSettings.model,
                           round(self.stability_spin.value(), 3),
                           round(self.similarity_spin.value(), 3),
                           round(self.style_spin.value(), 3), self.boost_box.isChecked(),
                           round(self.speed_spin.value(), 3), int(seed) if seed else None)

    def _fail(self, exc: BaseException) -> None:
        self.status.setText(one_line(exc))
        self.ctx.error.emit(one_line(exc))

    # --- provider calls off the GUI thread ----------------------------------------------

    def _update_buttons(self) -> None:
        idle = not self.busy
        self.design_button.setEnabled(idle)
        self.save_button.setEnabled(idle and bool(self.previews))
        self.assign_button.setEnabled(idle and self.saved is not None)
        for button in (self.account_button, self.assign_existing, self.delivery_button):
            button.setEnabled(idle)

    def _in_background(self, note: str, work: Callable[[], Any],
                       landed: Callable[[Any], None]) -> None:
        """Run ``work`` (a provider call: ElevenLabs may be slow or down) on a worker
        thread with the buttons disabled and ``note`` shown; ``landed(result)`` runs on the
        GUI thread when it answers, an error shows as one line. Closing the dialog cancels
        the wait: a late answer is dropped (what the provider made by then, e.g. a created
        voice, is kept by the service in the voice library)."""
        self._serial += 1
        serial = self._serial
        self.busy = note
        self._landing = landed
        self.status.setText(note)
        self._update_buttons()
        relay = _TaskRelay()
        relay.done.connect(self._task_done)
        self._relays[serial] = relay

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:  # noqa: BLE001 - shown to the user as one line
                result, error = None, exc
            try:
                relay.done.emit(serial, result, error)
            except RuntimeError:  # the application is gone
                pass

        if self.background:
            threading.Thread(target=run, name="voice-dialog", daemon=True).start()
        else:
            run()

    def _task_done(self, serial: int, result: Any, error: Any) -> None:
        self._relays.pop(serial, None)
        if serial != self._serial or not self.busy:
            log.info("voice dialog: a cancelled call answered (%s)", error or "ok")
            return
        landed, self._landing, self.busy = self._landing, None, ""
        self._update_buttons()
        if error is not None:
            self._fail(error)
            return
        if landed is not None:
            landed(result)

    def cancel_pending(self) -> None:
        """Stop waiting for the provider call in flight (the dialog is closing)."""
        if self.busy:
            self._serial += 1
            self.busy = ""
            self._landing = None
            self.status.setText("Cancelled.")
            self._update_buttons()

    def done(self, result: int) -> None:  # accept, reject, Escape and the close button
        self.cancel_pending()
        super().done(result)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.cancel_pending()
        super().closeEvent(event)

    # --- design, save, assign ------------------------------------------------------------

    def design(self) -> None:
        try:
            profile = self.profile()
        except AladdinError as exc:
            self._fail(exc)
            return
        service = self.controller.service()
        self._in_background("Designing three voices…", lambda: service.design(profile),
                            self._designed)

    def _designed(self, result: Any) -> None:
        self.description_used, self.previews = result
        while self.preview_box.count():
            item = self.preview_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
            elif item.layout() is not None:
                while item.layout().count():
                    w = item.layout().takeAt(0).widget()
                    if w is not None:
                        w.deleteLater()
        self.preview_choices = []
        for i, preview in enumerate(self.previews, 1):
            row = QHBoxLayout()
            choice = QRadioButton(f"Preview {i} ({preview.duration:.1f} s)")
            play = QPushButton("Play")
            play.setObjectName(f"play-preview-{i}")
            play.clicked.connect(lambda _=False, p=preview: self.play(p.path))
            row.addWidget(choice, 1)
            row.addWidget(play)
            self.preview_box.addLayout(row)
            self.preview_choices.append(choice)
        if self.preview_choices:
            self.preview_choices[0].setChecked(True)
        self._update_buttons()
        self.status.setText(f"Voice description: {self.description_used}")

    def play(self, path: str | Path) -> None:
        self.played.append(str(path))
        play_file(path)

    def chosen(self) -> Preview | None:
        for choice, preview in zip(self.preview_choices, self.previews, strict=False):
            if choice.isChecked():
                return preview
        return None

    def save_voice(self) -> None:
        """Create the chosen preview as a voice (ElevenLabs ``text_to_voice.create``) in the
        background; the saved voice can then be assigned."""
        preview = self.chosen()
        if preview is None or self.busy:
            return
        try:
            profile = self.profile()
        except AladdinError as exc:
            self._fail(exc)
            return
        keep = None
        if self.ctx.project.location is not None:
            keep = self.ctx.project.location.media_dir
        service = self.controller.service()
        self._in_background(f"Saving voice '{profile.name or 'unnamed'}'…",
                            lambda: service.save_designed(profile, preview, keep), self._saved)

    def _saved(self, voice: VoiceProfile) -> None:
        self.saved = voice
        self._update_buttons()
        self.status.setText(f"Saved voice '{voice.name}' ({voice.voice_id}).")
        self.refresh()

    def assign(self) -> None:
        if self.saved is not None:
            self._assign(self.saved)

    def assign_saved(self) -> None:
        voice_id = self.library_box.currentData()
        voice = self.account_voices.get(voice_id) or next(
            (v for v in self.controller.library.voices() if v.voice_id == voice_id), None)
        if voice is not None:
            self._assign(voice)

    def load_account_voices(self) -> None:
        """Add the provider's voices (an ElevenLabs account's, or the offline variants),
        listed in the background."""
        if self.busy:
            return
        service = self.controller.service()
        self._in_background(f"Listing the voices of {service.provider_name}…",
                            service.list_voices, self._listed)

    def _listed(self, voices: list[VoiceProfile]) -> None:
        for voice in voices:
            if voice.voice_id not in self.account_voices:
                self.account_voices[voice.voice_id] = voice
                self.library_box.addItem(f"{voice.name} ({voice.provider} account)",
                                         voice.voice_id)
        where = voices[0].provider if voices else "the provider"
        self.status.setText(f"{len(voices)} voice(s) from {where}.")

    def save_delivery(self) -> None:
        self._assign(None)

    def _assign(self, voice: VoiceProfile | None) -> None:
        name = self.name_edit.text().strip() or (voice.name if voice else "")
        try:
            if not name:
                raise VoiceInputError("Give the character a name.")
            command = self.controller.service().assign_command(
                self.ctx.project, name, voice, self.description_edit.text().strip(),
                self.tts())
        except AladdinError as exc:
            self._fail(exc)
            return
        if self.ctx.push(command):
            said = f"now speaks with '{voice.name}'" if voice else "has new delivery settings"
            self.status.setText(f"'{name}' {said}.")
            self.refresh()


# --------------------------------------------------------------------------- dialogue

COLUMNS = ("Character", "Line", "Emotion", "Status", "Duration", "Play", "Regenerate",
           "Settings")
SETTINGS_COL = 7


class DialoguePanel(QDialog):
    """Paste or load a script, generate it onto the dialogue track, play and regenerate."""

    def __init__(self, ctx: Any, controller: VoiceController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dialogue")
        self.setObjectName("dialogue-panel")
        self.ctx, self.controller = ctx, controller
        self.pending: PendingBatch | None = None
        self.lines: list[Any] = []
        self.script_edit = QPlainTextEdit()
        self.script_edit.setPlaceholderText("ALADDIN: We leave at dawn.\n"
                                            "JASMINE (worried): Not a minute later?")
        self.script_edit.textChanged.connect(self.parse)
        self.load_button = QPushButton("Load Script…")
        self.load_button.clicked.connect(self.load)
        self.start_spin = QDoubleSpinBox()
        self.start_spin.setRange(0, 36000)
        self.start_spin.setDecimals(2)
        self.start_spin.setSuffix(" s")
        self.start_spin.setValue(ctx.playhead / ctx.rate if ctx.rate else 0.0)
        self.gap_spin = QDoubleSpinBox()
        self.gap_spin.setRange(0, 10)
        self.gap_spin.setSingleStep(0.1)
        self.gap_spin.setValue(0.3)
        self.gap_spin.setSuffix(" s")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setEnabled(False)
        self.generate_button.clicked.connect(self.generate)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setColumnWidth(1, 260)
        self.table.setColumnWidth(3, 90)
        self.table.setColumnWidth(4, 70)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.line_settings: Any = None  # the open Line Settings dialog
        self.status = QLabel()
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.load_button)
        top.addWidget(QLabel("Start"))
        top.addWidget(self.start_spin)
        top.addWidget(QLabel("Gap"))
        top.addWidget(self.gap_spin)
        top.addStretch(1)
        top.addWidget(self.generate_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.script_edit, 1)
        layout.addLayout(top)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.status)
        controller.batch_updated.connect(self._batch_updated)
        controller.take_added.connect(self._take_added)
        controller.failed.connect(self.status.setText)
        self.resize(1000, 600)

    def load(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Load Script",
                                              start_dir(self.ctx.project, "scripts"),
                                              "Scripts (*.txt *.fountain);;All files (*)")
        if name:
            remember_dir("scripts", name)
            self.script_edit.setPlainText(Path(name).read_text(encoding="utf-8"))

    def parse(self) -> None:
        text = self.script_edit.toPlainText()
        try:
            self.lines = parse_script(text) if text.strip() else []
            self.status.setText(f"{len(self.lines)} line(s)." if self.lines else "")
        except AladdinError as exc:
            self.lines = []
            self.status.setText(str(exc))
        self.pending = None
        self.table.setRowCount(len(self.lines))
        for row, line in enumerate(self.lines):
            for col, value in enumerate((line.character, line.text, line.emotion, "", "")):
                item = QTableWidgetItem(value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
            for col, label in ((5, "Play"), (6, "Regenerate")):
                button = QPushButton(label)
                button.setEnabled(False)
                button.clicked.connect(lambda _=False, r=row, c=col: self._row_action(r, c))
                self.table.setCellWidget(row, col, button)
            own = format_settings(line.settings)
            button = QPushButton("Custom…" if own else "Character's…")
            button.setObjectName(f"line-settings-{row}")
            button.setToolTip(f"This line: {own}" if own else
                              "The character's settings; click to give this line its own")
            button.clicked.connect(lambda _=False, r=row: self.edit_line_settings(r))
            self.table.setCellWidget(row, SETTINGS_COL, button)
        self.generate_button.setEnabled(bool(self.lines))

    # --- one line's delivery ----------------------------------------------------------

    def _table_menu(self, pos: QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row < 0:
            return
        menu = QMenu(self)
        menu.addAction("Line Settings…", lambda: self.edit_line_settings(row))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def edit_line_settings(self, row: int) -> Any:
        """Open Line Settings for ``row`` (emotion and TTS overrides); OK writes them into
        the script line's ``(emotion) {…}`` block, undoable in the script editor."""
        from .voice_line_settings import LineSettingsDialog

        if not 0 <= row < len(self.lines):
            return None
        line = self.lines[row]
        character = find_character(self.ctx.project, line.character)
        inherited = character.tts if character is not None else TTSSettings()
        dialog = LineSettingsDialog(line, inherited, self)
        dialog.accepted.connect(lambda: self.set_line_settings(
            row, dialog.result_emotion, dialog.result_settings))
        self.line_settings = dialog
        dialog.open()
        return dialog

    def set_line_settings(self, row: int, emotion: str, settings: dict[str, Any]) -> bool:
        """Rewrite script line ``row`` with this emotion and these overrides (one edit of
        the script text: Ctrl+Z in the script undoes it); the next Generate uses them."""
        try:
            number, text = with_line_overrides(self.script_edit.toPlainText(), row, emotion,
                                               settings)
        except AladdinError as exc:
            self.status.setText(str(exc))
            return False
        block = self.script_edit.document().findBlockByNumber(number)
        cursor = QTextCursor(block)
        cursor.beginEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock,
                            QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        cursor.endEditBlock()
        what = ", ".join(filter(None, (emotion.strip(), format_settings(settings))))
        self.status.setText(f"Line {row + 1}: {what or 'the character’s delivery'}.")
        return True

    def generate(self) -> None:
        if not self.lines:
            return
        try:
            self.pending = self.controller.generate_script(
                self.lines, start=self.start_spin.value(), gap=self.gap_spin.value())
        except (AladdinError, TimelineError) as exc:
            self.status.setText(str(exc))
            self.ctx.error.emit(str(exc))
            return
        self.generate_button.setEnabled(False)
        self._set_status("queued")
        self.status.setText("Generating…")

    def _set_status(self, text: str, row: int | None = None) -> None:
        rows = range(self.table.rowCount()) if row is None else (row,)
        for r in rows:
            self.table.item(r, 3).setText(text)

    def _batch_updated(self, pending: PendingBatch) -> None:
        if pending is not self.pending:
            return
        for row, job in enumerate(pending.jobs[:self.table.rowCount()]):
            status = "cached" if job.cached_from and job.status == "succeeded" else job.status
            self._set_status(status, row)
            info = job.info or {}
            if "lines" in info and pending.batch is not None:  # one multi-speaker request
                info = info["lines"][pending.batch.lines[row].line_index]
            seconds = info.get("duration")
            if seconds:
                self.table.item(row, 4).setText(f"{float(seconds):.2f} s")
        if pending.placed:
            for row in range(self.table.rowCount()):
                self._set_status("on timeline", row)
                for col in (5, 6):
                    self.table.cellWidget(row, col).setEnabled(True)
            self.status.setText(f"{len(pending.clips)} line(s) on the dialogue track "
                                f"({pending.placed_after:.1f} s). Undo removes them all.")
            self.generate_button.setEnabled(True)
        elif pending.failed:
            self.status.setText(f"Failed: {pending.failed}")
            self.generate_button.setEnabled(True)

    def clip_of(self, row: int) -> Any:
        if self.pending is None or row >= len(self.pending.clips):
            return None
        return self.pending.clips[row]

    def _row_action(self, row: int, col: int) -> None:
        clip = self.clip_of(row)
        if clip is None:
            return
        if col == 5:
            path = media_path(self.ctx.project, clip)
            if path is not None:
                play_file(path)
            return
        try:
            self.controller.regenerate(clip)
        except AladdinError as exc:
            self.status.setText(str(exc))
            return
        self._set_status("regenerating", row)

    def _take_added(self, clip: Any) -> None:
        if self.pending is None:
            return
        for row, placed in enumerate(self.pending.clips):
            if placed is clip:
                self._set_status(f"take {len(clip.media_references())}", row)


# --------------------------------------------------------------------------- sfx


class SfxDialog(QDialog):
    """A sound effect from a prompt, placed on the sfx track at the playhead when ready."""

    def __init__(self, ctx: Any, controller: VoiceController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generate Sound Effect")
        self.ctx, self.controller = ctx, controller
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("a heavy wooden door slams")
        self.duration_spin = QDoubleSpinBox()
        self.duration_spin.setRange(0.5, 30)
        self.duration_spin.setValue(2.0)
        self.influence_spin = QDoubleSpinBox()
        self.influence_spin.setRange(0, 1)
        self.influence_spin.setSingleStep(0.1)
        self.influence_spin.setValue(0.3)
        self.loop_box = QCheckBox("Loop")
        self.status = QLabel()
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        form = QFormLayout(self)
        form.addRow("Prompt", self.prompt_edit)
        form.addRow("Duration (s)", self.duration_spin)
        form.addRow("Prompt influence", self.influence_spin)
        form.addRow("", self.loop_box)
        form.addRow(self.status)
        form.addRow(self.generate_button)

    def generate(self) -> str | None:
        prompt = self.prompt_edit.text().strip()
        if not prompt:
            self.status.setText("Describe the sound effect.")
            return None
        request = SoundRequest(prompt, self.duration_spin.value(), self.influence_spin.value(),
                               self.loop_box.isChecked())
        try:
            job_id = self.controller.generate_sfx(request, self.ctx.playhead / self.ctx.rate)
        except AladdinError as exc:
            self.status.setText(str(exc))
            return None
        self.ctx.message.emit(f"Generating '{prompt}'; it lands on the SFX track at the "
                              "playhead.")
        self.accept()
        return job_id


# --------------------------------------------------------------------------- subtitles


class SubtitlesDialog(QDialog):
    """The scene's cues (text editable), export as SRT/VTT, burn-in and its style."""

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Subtitles")
        self.setObjectName("subtitles-dialog")
        self.ctx = ctx
        self.rows: list[tuple[Any, int, int]] = []  # (clip, cue index on its take, start frame)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(("Start", "End", "Text"))
        self.table.setColumnWidth(2, 420)
        self.table.itemChanged.connect(self._edited)
        style = subtitle_style(ctx.scene)
        self.burn_box = QCheckBox("Burn into renders (preview and export)")
        self.burn_box.setChecked(bool(style["burn_in"]))
        self.burn_box.toggled.connect(lambda on: self._style(burn_in=on))
        self.size_spin = QSpinBox()
        self.size_spin.setRange(8, 200)
        self.size_spin.setValue(int(style["size"]))
        self.size_spin.editingFinished.connect(lambda: self._style(size=self.size_spin.value()))
        self.position_box = QComboBox()
        self.position_box.addItems(list(POSITIONS))
        self.position_box.setCurrentText(str(style["position"]))
        self.position_box.currentTextChanged.connect(lambda p: self._style(position=p))
        self.font_box = QComboBox()
        self.font_box.addItems(list(FONTS))
        self.font_box.setCurrentText(str(style["font"]))
        self.font_box.currentTextChanged.connect(lambda f: self._style(font=f))
        self.outline_spin = QSpinBox()
        self.outline_spin.setRange(0, 20)
        self.outline_spin.setValue(int(style["outline"]))
        self.outline_spin.editingFinished.connect(
            lambda: self._style(outline=self.outline_spin.value()))
        self.export_button = QPushButton("Export SRT/VTT…")
        self.export_button.clicked.connect(self.export_dialog)
        self.status = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.burn_box)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.size_spin)
        row.addWidget(QLabel("Position"))
        row.addWidget(self.position_box)
        row.addWidget(QLabel("Font"))
        row.addWidget(self.font_box)
        row.addWidget(QLabel("Outline"))
        row.addWidget(self.outline_spin)
        row.addStretch(1)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.resize(900, 480)
        self.refresh()

    def refresh(self) -> None:
        scene = self.ctx.scene
        rate = S.scene_rate(scene)
        self.rows = []
        shown: list[Cue] = []
        for clip in dialogue_clips(scene):
            track = clip.parent()
            if track is None:
                continue
            start = slot_of(track, clip, rate).start
            visible = clip_cues(clip, start, rate)
            stored = take_cues(clip.media_reference)
            for cue in visible:
                index = next((i for i, c in enumerate(stored) if c.text == cue.text), 0)
                self.rows.append((clip, index, start))
                shown.append(cue)
        self.table.blockSignals(True)
        self.table.setRowCount(len(shown))
        for r, cue in enumerate(shown):
            for col, value in enumerate((f"{cue.start:.2f}", f"{cue.end:.2f}", cue.text)):
                item = QTableWidgetItem(value.replace("\n", " / ") if col == 2 else value)
                self.table.setItem(r, col, item)
        self.table.blockSignals(False)
        self.status.setText(f"{len(shown)} subtitle(s) in scene '{scene.name}'. Edit the "
                            "text (' / ' breaks the line) or the times (seconds).")

    def _edited(self, item: QTableWidgetItem) -> None:
        if item.row() >= len(self.rows):
            return
        clip, index, start_frame = self.rows[item.row()]
        cues = take_cues(clip.media_reference)
        cue = cues[index]
        if item.column() == 2:
            text = "\n".join(part.strip() for part in item.text().split("/") if part.strip())
            cues[index] = Cue(cue.start, cue.end, text)
        else:  # a time on the scene → the take's media time
            try:
                seconds = float(item.text().replace(",", "."))
            except ValueError:
                self.status.setText(f"'{item.text()}' is not a time in seconds.")
                self.refresh()
                return
            rate = S.scene_rate(self.ctx.scene)
            media_in = S.frames_exact(clip.source_range.start_time, rate) / rate
            media_t = round(media_in + (seconds - start_frame / rate) * S.clip_speed(clip), 3)
            cues[index] = (Cue(media_t, cue.end, cue.text) if item.column() == 0
                           else Cue(cue.start, media_t, cue.text))
        if not self.ctx.push(SetCues(clip, cues)):
            self.status.setText("That subtitle edit was refused; see the status bar.")
        self.refresh()

    def _style(self, **changes: Any) -> None:
        self.ctx.push(SetSubtitleStyle(self.ctx.scene, **changes))

    def export(self, path: str | Path) -> Path | None:
        cues = scene_cues(self.ctx.scene)
        try:
            out = export_cues(cues, path)
        except AladdinError as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText(f"Wrote {len(cues)} subtitle(s) to {out}.")
        return out

    def export_dialog(self) -> None:
        folder = start_dir(self.ctx.project, "subtitles")
        name, _ = QFileDialog.getSaveFileName(self, "Export Subtitles",
                                              str(Path(folder) / "subtitles.srt"),
                                              "SubRip (*.srt);;WebVTT (*.vtt)")
        if name:
            remember_dir("subtitles", name)
            self.export(name)
