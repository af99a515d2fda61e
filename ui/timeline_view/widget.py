"""``TimelineWidget``: toolbar, ruler, track headers and the timeline view around one
:class:`~aladdin_studio.ui.editor_context.EditorContext`.

Keyboard commands are ``QAction``\\ s with window-wide shortcuts (the main window puts
:meth:`TimelineWidget.actions_for_menu` in its Timeline menu); they are also added to this
widget so they work when it is used on its own.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QGridLayout,
    QLabel,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ...timeline import commands as C
from ...timeline import schema as S
from ..timecode import format_timecode
from .geometry import HEADER_WIDTH, RULER_HEIGHT
from .headers import HeaderColumn
from .palette import TransitionPalette
from .previews import MediaPreviews
from .ruler import Ruler
from .tools import ROLL, SELECT, SLIP, TOOLS
from .view import TimelineView

ZOOM_STEP = 1.5
TOOL_LABELS = {SELECT: "Select", SLIP: "Slip", ROLL: "Roll"}
TOOL_TIPS = {
    SELECT: "Select, move (Ctrl: insert), trim edges (Shift: ripple), volume and fades",
    SLIP: "Slip: drag inside a clip to show other media in it",
    ROLL: "Roll: drag a cut between two clips to move it",
}


class _KeysToFocusedList(QObject):
    """Installed on the Delete actions: pressed while an item view outside the timeline has
    the focus (the media bin's list), the key goes to that view instead of lifting clips.

    Window-wide shortcuts beat a focused widget's own key handling unless it claims the key
    first; lists don't, so this does it for them. Menu clicks are not affected.
    """

    def __init__(self, timeline: QWidget) -> None:
        super().__init__(timeline)
        self.timeline = timeline

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Shortcut:
            return False
        focus = QApplication.focusWidget()
        if not isinstance(focus, QAbstractItemView) or self.timeline.isAncestorOf(focus):
            return False
        combo = event.key()[0]  # type: ignore[attr-defined]
        # Straight to the widget: through QApplication a synthetic key press would be
        # offered to the shortcuts again (and come back here).
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            focus.event(QKeyEvent(kind, combo.key(), combo.keyboardModifiers()))
        return True


class TimelineWidget(QWidget):
    """The timeline editor. ``previews=False`` skips filmstrips and waveforms (tests)."""

    tool_changed = Signal(str)
    zoom_changed = Signal(float)  # pixels per second

    def __init__(self, ctx: Any, parent: QWidget | None = None, *,
                 previews: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.ctx = ctx
        self._project: Any = None
        self._fitted = False
        self.previews = MediaPreviews(ctx, enabled=previews, parent=self)
        self.view = TimelineView(ctx, self.previews, self)
        self.ruler = Ruler(self.view, self)
        self.headers = HeaderColumn(self.view, self)
        self.palette = TransitionPalette(self)
        self.named_actions: dict[str, QAction] = {}
        self.yielded_shortcuts: dict[str, list[str]] = {}
        self._build_actions()
        self.toolbar = self._build_toolbar()
        self.timecode = QLabel("00:00:00:00")
        self.timecode.setObjectName("timeline-timecode")
        self.timecode.setFixedSize(HEADER_WIDTH, RULER_HEIGHT)
        self.timecode.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.timecode.font()
        font.setBold(True)
        self.timecode.setFont(font)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(0)
        grid.addWidget(self.timecode, 0, 0)
        grid.addWidget(self.ruler, 0, 1)
        grid.addWidget(self.headers, 1, 0)
        grid.addWidget(self.view, 1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.toolbar)
        outer.addLayout(grid, 1)

        self.view.zoomed.connect(self.zoom_changed)
        self.previews.updated.connect(self._preview_ready)
        ctx.project_replaced.connect(self._on_project_replaced)
        ctx.document_changed.connect(self.view.on_project_changed)
        ctx.scene_changed.connect(self._on_scene_changed)
        ctx.playhead_moved.connect(self._on_playhead)
        ctx.selection_changed.connect(self.view.on_selection)
        ctx.in_out_changed.connect(self.view.on_in_out)
        generation = getattr(ctx, "generation", None)  # ui.generation_controller, if any
        if generation is not None:
            generation.jobs_updated.connect(self.view.on_jobs_updated)
        self._on_project_replaced(ctx.project)
        self.view.rebuild()

    # ------------------------------------------------------------------ construction

    def _action(self, key: str, text: str, slot: Any, shortcuts: list | None = None,
                tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"timeline-{key}")
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        self.named_actions[key] = action
        return action

    def _build_actions(self) -> None:
        a = self._action
        a("split", "Split at Playhead", self.split_at_playhead, ["S"],
          "Split the selected clip (or the clip under the playhead) at the playhead")
        a("ripple_delete", "Ripple Delete", self.ripple_delete, ["Shift+Delete"],
          "Remove the selection and close the gap")
        a("lift", "Lift", self.lift, ["Delete"], "Remove the selection and leave a gap")
        keys_to_lists = _KeysToFocusedList(self)
        for key in ("lift", "ripple_delete"):
            self.named_actions[key].installEventFilter(keys_to_lists)
        a("marker", "Add Marker", self.add_marker, ["M"], "Add a marker at the playhead")
        a("zoom_in", "Zoom In", self.zoom_in, ["+", "=", "Ctrl+="])
        a("zoom_out", "Zoom Out", self.zoom_out, ["-", "Ctrl+-"])
        a("zoom_fit", "Zoom to Fit", self.zoom_fit, ["\\"], "Show the whole scene")
        for key, text in (("zoom_in", "+"), ("zoom_out", "−"), ("zoom_fit", "Fit")):
            self.named_actions[key].setIconText(text)
        a("go_start", "Go to Start", lambda: self.ctx.set_playhead(0), ["Home"])
        a("go_end", "Go to End", self.go_end, ["End"], "Playhead to the last frame")
        snap = a("snapping", "Snapping", self.set_snapping, [], checkable=True,
                 tip="Snap drags to clip edges, markers and the playhead")
        snap.setChecked(True)
        a("follow", "Follow Playhead", self.set_follow_playhead, [], checkable=True,
          tip="Scroll to keep the playhead in view during playback").setIconText("Follow")
        group = QActionGroup(self)
        group.setExclusive(True)
        for tool in TOOLS:
            act = a(f"tool_{tool}", f"{TOOL_LABELS[tool]} Tool",
                    lambda _=False, t=tool: self.set_tool(t), [], TOOL_TIPS[tool], True)
            act.setIconText(TOOL_LABELS[tool])
            group.addAction(act)
        self.named_actions[f"tool_{SELECT}"].setChecked(True)

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Timeline")
        bar.setObjectName("timeline-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for tool in TOOLS:
            bar.addAction(self.named_actions[f"tool_{tool}"])
        bar.addSeparator()
        bar.addAction(self.named_actions["snapping"])
        bar.addAction(self.named_actions["follow"])
        bar.addSeparator()
        bar.addAction(self.named_actions["zoom_out"])
        bar.addAction(self.named_actions["zoom_fit"])
        bar.addAction(self.named_actions["zoom_in"])
        bar.addSeparator()
        bar.addWidget(QLabel(" Transitions: "))
        bar.addWidget(self.palette)
        return bar

    def actions_for_menu(self) -> list[QAction]:
        """Actions for the main window's Timeline menu (with separators)."""
        def sep() -> QAction:
            s = QAction(self)
            s.setSeparator(True)
            return s

        k = self.named_actions
        return [k["split"], k["ripple_delete"], k["lift"], k["marker"], sep(),
                k["zoom_in"], k["zoom_out"], k["zoom_fit"], sep(), k["go_start"], k["go_end"],
                sep(), k["snapping"], k["follow"], sep(),
                *(k[f"tool_{t}"] for t in TOOLS)]

    # ------------------------------------------------------------------ state

    @property
    def tool(self) -> str:
        return self.view.tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"tool must be one of {TOOLS}")
        self.view.cancel_drag()
        self.view.tool = tool
        self.named_actions[f"tool_{tool}"].setChecked(True)
        self.tool_changed.emit(tool)

    @property
    def snapping(self) -> bool:
        return self.view.snapping

    def set_snapping(self, on: bool) -> None:
        self.view.snapping = bool(on)
        self.named_actions["snapping"].setChecked(bool(on))

    @property
    def follow_playhead(self) -> bool:
        return self.view.follow_playhead

    @follow_playhead.setter
    def follow_playhead(self, on: bool) -> None:
        self.set_follow_playhead(on)

    def set_follow_playhead(self, on: bool) -> None:
        self.view.follow_playhead = bool(on)
        self.named_actions["follow"].setChecked(bool(on))
        if on:
            self.view.ensure_visible_frame(self.ctx.playhead)

    @property
    def pixels_per_second(self) -> float:
        return self.view.pps

    def set_zoom(self, pixels_per_second: float, anchor: int | None = None) -> None:
        self.view.set_zoom(pixels_per_second, anchor)

    def zoom_in(self) -> None:
        self.view.set_zoom(self.view.pps * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.view.set_zoom(self.view.pps / ZOOM_STEP)

    def zoom_fit(self) -> None:
        self.view.zoom_fit()

    def go_end(self) -> None:
        self.ctx.set_playhead(max(0, self.ctx.duration_frames - 1))

    # ------------------------------------------------------------------ edits

    def _selected(self, kinds: tuple[type, ...]) -> list[Any]:
        return [i for i in self.ctx.selection if isinstance(i, kinds)
                and isinstance(i.parent(), otio.schema.Track)]

    def split_at_playhead(self) -> None:
        """Split the selected clips at the playhead, else the clip under it on the current
        track, else on the first video track."""
        at = int(self.ctx.playhead)
        tracks: list[otio.schema.Track] = []
        for clip in self._selected((otio.schema.Clip,)):
            row = self.view.row_for(clip.parent())
            item = row.items.get(id(clip)) if row is not None else None
            if item is not None and item.start < at < item.end and \
                    not any(t is row.track for t in tracks):
                tracks.append(row.track)
        if not tracks:
            candidates = [self.view.current_row]
            scene = self.view.scene_tl
            if scene is not None:
                candidates += [self.view.row_for(t) for t in scene.tracks if not S.is_audio(t)]
            for row in candidates:
                clip = row.clip_at(at) if row is not None else None
                if clip is not None and clip.start < at:
                    tracks.append(row.track)
                    break
        if not tracks:
            self.ctx.error.emit("There is no clip under the playhead to split.")
            return
        commands: list[C.Command] = [C.Split(t, at) for t in tracks]
        self.ctx.push(commands[0] if len(commands) == 1 else C.Macro("Split", commands))

    def lift(self) -> None:
        """Delete: lift selected clips (leaving gaps) and remove selected transitions."""
        commands: list[C.Command] = [C.Lift(c) for c in self._selected((otio.schema.Clip,))]
        commands += [C.RemoveTransition(t)
                     for t in self._selected((otio.schema.Transition,))]
        self._push_all("Lift", commands)

    def ripple_delete(self) -> None:
        commands: list[C.Command] = [C.RippleDelete(i) for i in self._selected(
            (otio.schema.Clip, otio.schema.Transition))]
        self._push_all("Ripple Delete", commands)

    def _push_all(self, text: str, commands: list[C.Command]) -> None:
        if not commands:
            self.ctx.error.emit("Select a clip or transition first.")
            return
        self.ctx.push(commands[0] if len(commands) == 1 else C.Macro(text, commands))

    def add_marker(self) -> None:
        scene = self.view.scene_tl
        if scene is None:
            return
        self.ctx.push(C.AddMarker(scene, int(self.ctx.playhead)))

    # ------------------------------------------------------------------ signals

    def _on_project_replaced(self, project: Any) -> None:
        self._project = project
        self.previews.clear()

    def _on_scene_changed(self, _scene: Any) -> None:
        self.view.rebuild()
        if self.isVisible():
            self.view.zoom_fit()

    def _on_playhead(self, frame: int) -> None:
        self.view.on_playhead(frame)
        self.timecode.setText(format_timecode(frame, self.view.rate))

    def _preview_ready(self, _src: str) -> None:
        self.view.viewport().update()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self.yield_shortcuts()
            self.view.zoom_fit()

    def yield_shortcuts(self) -> dict[str, list[str]]:
        """Drop shortcuts that another window-wide action of this window already has.

        Qt fires neither of two actions sharing a shortcut ("ambiguous overload"); in the
        main window the player owns Home/End (to the same effect), so the timeline gives
        way. Returns (and keeps in ``yielded_shortcuts``) what was dropped, per action.
        """
        window = self.window()
        mine = set(map(id, self.named_actions.values()))
        taken: set[str] = set()
        if window is not self:
            for action in window.findChildren(QAction):
                if id(action) in mine or action.shortcutContext() not in (
                        Qt.ShortcutContext.WindowShortcut,
                        Qt.ShortcutContext.ApplicationShortcut):
                    continue
                taken.update(k.toString() for k in action.shortcuts() if not k.isEmpty())
        for key, action in self.named_actions.items():
            keep = [k for k in action.shortcuts() if k.toString() not in taken]
            dropped = [k.toString() for k in action.shortcuts() if k.toString() in taken]
            if dropped:
                action.setShortcuts(keep)
                self.yielded_shortcuts[key] = dropped
        return self.yielded_shortcuts

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.previews.close()
        super().closeEvent(event)
