"""The source monitor: a bin item shown in the player's Source mode, its own in/out, and the
three-point edit (Insert ``,`` / Overwrite ``.``) at the timeline playhead.

The player renders the item as a one-clip scene built in memory (``timeline.source_edit``)
through the same preview and render thread as the program; the Program/Source tabs switch
what the player shows. Playhead and in/out of the program are untouched in Source mode.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QDrag, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QTabBar, QToolButton, QWidget

from ..timeline.errors import TimelineError
from ..timeline.layout import item_frames
from ..timeline.probe import MediaProbeError
from ..timeline.source_edit import source_media, three_point_edit
from .timecode import format_timecode
from .timeline_view.drops import source_mime

if TYPE_CHECKING:
    from .player import PlayerWidget

PROGRAM, SOURCE = 0, 1


class SourceMonitor(QObject):
    """Owns the player's Program/Source tabs and the Insert/Overwrite actions."""

    def __init__(self, player: PlayerWidget) -> None:
        super().__init__(player)
        self.player = player
        self.ctx = player.ctx
        self.last: Any = None  # the SourceMedia last opened (the Source tab returns to it)
        self.kept_in_out: tuple[int, int] | None = None  # its in/out while the program shows
        #: Returns the timeline's target track (the main window sets it); None = the first
        #: track of the right kind.
        self.target_track: Callable[[], Any] = lambda: None

        self.tabs = QTabBar(player)
        self.tabs.setObjectName("player-mode")
        self.tabs.addTab("Program")
        self.tabs.addTab("Source")
        self.tabs.setTabEnabled(SOURCE, False)
        self.tabs.setTabToolTip(SOURCE, "Double-click a media bin item to view it here")
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.setDrawBase(False)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.insert_action = self._make_action("insert", "Insert from Source", ",",
                                               lambda: self.edit(insert=True))
        self.overwrite_action = self._make_action("overwrite", "Overwrite from Source", ".",
                                                  lambda: self.edit(insert=False))
        row = QWidget(player)
        bar = QHBoxLayout(row)
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.tabs)
        bar.addStretch(1)
        for action in (self.insert_action, self.overwrite_action):
            button = QToolButton(row)
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoRaise(True)
            bar.addWidget(button)
        player.layout().insertWidget(0, row)
        player.source_changed.connect(self._on_source_changed)
        self.ctx.project_replaced.connect(self._forget)  # another project's media
        self._press: QPoint | None = None
        player.view.installEventFilter(self)  # drag the picture onto the timeline
        self._on_source_changed(None)

    def _forget(self, _project: Any = None) -> None:
        self.last = self.kept_in_out = None
        self._on_source_changed(self.player.source)

    def _make_action(self, name: str, text: str, key: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self.player)
        action.setObjectName(f"source_{name}")
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{text}: the source's in/out at the timeline playhead ({key})")
        action.setIconText(text.split()[0])
        action.triggered.connect(lambda _=False: slot())
        self.player.addAction(action)
        return action

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """In Source mode, dragging the picture carries the item and its in/out span to
        the timeline (dropped there: the same three-point edit, at the drop point)."""
        if self.player.source is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent) \
                and event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent) \
                and self._press is not None \
                and event.buttons() & Qt.MouseButton.LeftButton:
            moved = (event.position().toPoint() - self._press).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._press = None
                self.start_drag()
                return True
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        return False

    def drag_data(self) -> Any:
        source = self.player.source
        return source_mime(source.path, source.url, self.player.source_in_out)

    def start_drag(self) -> None:
        drag = QDrag(self.player.view)
        drag.setMimeData(self.drag_data())
        drag.exec(Qt.DropAction.CopyAction)

    def actions(self) -> list[QAction]:
        return [self.insert_action, self.overwrite_action]

    # ------------------------------------------------------------------ showing

    def open(self, path: str | Path, url: str = "") -> bool:
        """Show a media file in Source mode (a bin item's double-click)."""
        scene = self.ctx.scene
        if scene is None:
            self.ctx.error.emit("Open a scene before viewing media in the source monitor.")
            return False
        try:
            source = source_media(self.ctx.project, scene, path, url)
        except (MediaProbeError, TimelineError, OSError) as exc:
            self.ctx.error.emit(str(exc))
            return False
        same = self.last is not None and self.last.path == source.path
        self.last = source
        self.player.set_source(source)
        if same and self.kept_in_out is not None:
            self.player.set_in_out(self.kept_in_out)
        return True

    def show_program(self) -> None:
        self.player.set_source(None)

    def _tab_changed(self, index: int) -> None:
        if index == SOURCE and self.last is not None:
            self.open(self.last.path, self.last.url)  # again: the scene may have changed
        elif index == PROGRAM:
            self.kept_in_out = self.player.source_in_out
            self.player.set_source(None)

    def _on_source_changed(self, source: Any) -> None:
        if source is not None:
            self.tabs.setTabEnabled(SOURCE, True)
            self.tabs.setTabText(SOURCE, f"Source: {source.path.name}")
        if self.last is None:
            self.tabs.setTabEnabled(SOURCE, False)
            self.tabs.setTabText(SOURCE, "Source")
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(SOURCE if source is not None else PROGRAM)
        self.tabs.blockSignals(False)
        for action in self.actions():
            action.setEnabled(source is not None)

    # ------------------------------------------------------------------ editing

    def edit(self, insert: bool) -> bool:
        """The three-point edit: the source's in/out (all of it when unset) at the timeline
        playhead on the target track. Moves the playhead to the end of the new clip."""
        source, scene = self.player.source, self.ctx.scene
        if source is None or scene is None:
            self.ctx.error.emit("Double-click a media bin item to load it in the source "
                                "monitor first.")
            return False
        at = self.ctx.playhead
        try:
            command = three_point_edit(self.ctx.project, scene, source,
                                       self.player.source_in_out, at, self.target_track(),
                                       insert=insert)
        except TimelineError as exc:
            self.ctx.error.emit(str(exc))
            return False
        if not self.ctx.push(command):
            return False
        length = item_frames(command.clip, self.ctx.rate)
        self.ctx.set_playhead(at + length)
        verb = "Inserted" if insert else "Overwrote with"
        rate = self.ctx.rate
        self.ctx.message.emit(f"{verb} '{source.path.name}' ({format_timecode(length, rate)}) "
                              f"at {format_timecode(at, rate)} on '{command.track.name}'.")
        return True
