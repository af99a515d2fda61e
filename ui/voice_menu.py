"""The Voice menu of the main window: Character Voices, Dialogue, Generate Sound Effect,
Subtitles and the Audio Integrator. Windows are made on first use and kept."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from aladdin_studio.errors import AladdinError
from aladdin_studio.timeline.errors import TimelineError

__all__ = ["VoiceMenu"]


class VoiceMenu:
    def __init__(self, window: Any, menu: QMenu) -> None:
        self.window = window
        self.ctx = window.ctx
        self._controller: Any = None
        self.windows: dict[str, Any] = {}
        for text, slot in (("&Character Voices…", self.character_voices),
                           ("&Dialogue…", self.dialogue),
                           ("Generate &Sound Effect…", self.sfx),
                           ("S&ubtitles…", self.subtitles)):
            action = QAction(text, window)
            action.triggered.connect(lambda _=False, s=slot: s())
            menu.addAction(action)
        action = QAction("&Regenerate Selected Line", window)
        action.triggered.connect(lambda _=False: self.regenerate_selected())
        menu.addAction(action)
        menu.addSeparator()
        action = QAction("&Integrate Audio (Scene)", window)
        action.setToolTip("Level dialogue, set music under it (ducked in the mix), level "
                          "sound effects: one undo step")
        action.triggered.connect(lambda _=False: self.integrate())
        menu.addAction(action)

        # after every other slot (the controller first forgets the old project's lines)
        self.ctx.project_replaced.connect(
            lambda _project: QTimer.singleShot(0, self._adopt_queued))
        self._adopt_queued()

    def _adopt_queued(self) -> None:
        """Dialogue queued from the CLI without --wait lands once its lines are made."""
        from aladdin_studio.voice import pending

        if pending.queued(self.ctx.project) and getattr(self.ctx, "generation", None):
            self.controller.adopt_queued()

    def regenerate_selected(self) -> None:
        from aladdin_studio.voice.placement import line_record

        lines = [c for c in self.ctx.selection if line_record(c)]
        if not lines:
            self.ctx.error.emit("Select a generated dialogue clip to regenerate.")
            return
        for clip in lines:
            try:
                self.controller.regenerate(clip)
            except (AladdinError, TimelineError) as exc:
                self.ctx.error.emit(str(exc))
                return
        self.ctx.message.emit(f"Regenerating {len(lines)} line(s); each becomes a new take.")

    @property
    def controller(self) -> Any:
        if self._controller is None:
            from .voice_controller import VoiceController

            self._controller = VoiceController(self.ctx)
            self._controller.failed.connect(self.ctx.error.emit)
        return self._controller

    def _show(self, key: str, make: Any) -> Any:
        dialog = self.windows.get(key)
        if dialog is None:
            dialog = self.windows[key] = make()
        elif hasattr(dialog, "refresh"):
            dialog.refresh()
        dialog.show()
        dialog.raise_()
        return dialog

    def character_voices(self) -> Any:
        from .voice_dialogs import CharacterVoicesDialog

        return self._show("voices", lambda: CharacterVoicesDialog(self.ctx, self.controller,
                                                                  self.window))

    def dialogue(self) -> Any:
        from .voice_dialogs import DialoguePanel

        return self._show("dialogue", lambda: DialoguePanel(self.ctx, self.controller,
                                                            self.window))

    def sfx(self) -> Any:
        from .voice_dialogs import SfxDialog

        dialog = SfxDialog(self.ctx, self.controller, self.window)
        dialog.show()
        return dialog

    def subtitles(self) -> Any:
        from .voice_dialogs import SubtitlesDialog

        self.windows.pop("subtitles", None)  # always the current scene
        return self._show("subtitles", lambda: SubtitlesDialog(self.ctx, self.window))

    def integrate(self) -> None:
        from aladdin_studio.voice.integrate import integrate_audio_command

        try:
            macro, report = integrate_audio_command(self.ctx.project, self.ctx.scene)
        except (AladdinError, TimelineError) as exc:
            self.ctx.error.emit(str(exc))
            return
        if self.ctx.push(macro):
            self.ctx.message.emit(report.summary())
