"""The preview player dock: picture, transport (Space, J/K/L, arrows, I/O), timecode.

Threads: all rendering happens on the :class:`~.frame_server.FrameServer` thread (the only
caller of ``ctx.preview``); frames come back through a queued signal. The GUI thread only
builds the scene plan (a walk of the OTIO scene, which only the GUI thread may read while
edits happen: after an edit a :class:`~..render.plan_memo.PlanMemo` reuses every track and
clip without a recorded change, ~4-15 ms on 1,000 clips instead of ~200 ms), wraps finished
RGB arrays in ``QImage`` and paints them. Frames of requests made before the latest re-plan
are dropped, so nothing rendered from the document before an edit shows after it.

Clock: at 1× forward with a sound device the position is the audio handed to the device
(:class:`~.player_clock.AudioClock`); frames and their samples come from one
``Preview.playback`` iterator, so picture and sound share a clock. At other rates, or with
no device, a :class:`~.player_clock.MonotonicClock` drives the frames and sound is muted.
A 4 ms display timer shows the newest frame whose time has come; older pending frames are
dropped (counted), never shown late.

Behaviour worth knowing:

* Playback stops at the end of the scene (forward) or its first frame (reverse); in/out
  points do not stop it. Playing forward from the last frame starts over from frame 0.
* In/out points are half-open like every range in the code base: ``ctx.in_out = (in, out)``
  covers frames ``in … out - 1``. **I** marks the playhead frame as the first frame,
  **O** marks it as the last (``out = playhead + 1``); Shift+O goes to ``out - 1``.
* J/K/L: L plays forward, again doubles the rate (1×, 2×, 4×, 8×); J the same in reverse;
  K pauses. With K held down, J / L step one frame back / forward.
* Source mode (:mod:`.source_monitor`): a media bin item shown as a one-clip scene with its
  own position and in/out (``source_in_out``); the program's playhead and ``ctx.in_out``
  stay as they were. Audio meters (:mod:`.audio_meters`) get the samples of every frame
  shown or dropped during playback, i.e. what was heard.

Wiring (main window): add :meth:`PlayerWidget.actions_for_menu` to a Playback menu; call
:meth:`PlayerWidget.release_preview` before ``ctx.set_project`` and
:meth:`PlayerWidget.shutdown` before ``ctx.close()``: ``ctx`` closes its preview itself,
and it must not be closed under a frame being rendered. Nothing else may call
``ctx.preview`` (it is not thread-safe and belongs to the player's render thread).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..render.plan import PlanMemo, ScenePlan, build_plan
from .audio_meters import AudioMeters
from .audio_output import AudioOutput
from .editor_context import EditorContext
from .frame_server import FrameServer, RenderedFrame, to_picture
from .player_clock import AudioClock, MonotonicClock
from .timecode import format_timecode, parse_timecode

__all__ = ["RESOLUTIONS", "FrameView", "PlayerWidget", "TimecodeEdit"]

log = logging.getLogger(__name__)

#: Preview resolution choices: label → factor of the scene size.
RESOLUTIONS = {"Full": 1.0, "Half": 0.5, "Quarter": 0.25}
MAX_RATE = 8.0
TICK_MS = 4


def render_size(scene_size: tuple[int, int], factor: float) -> tuple[int, int]:
    """``scene_size × factor`` rounded down to even numbers (at least 2×2)."""
    w, h = (max(2, int(v * factor) // 2 * 2) for v in scene_size)
    return w, h


# --------------------------------------------------------------------------- widgets


class FrameView(QWidget):
    """Paints the latest frame scaled to fit (letterboxed), a status text or a badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.array: np.ndarray | None = None  # keeps the QImage's buffer alive
        self.qimage: QImage | None = None
        self.status = ""
        self.badge = ""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 270)

    def set_image(self, array: np.ndarray | None, picture: QImage | None = None) -> None:
        """Show ``array`` (RGB); ``picture`` is its RGB32 copy when the render thread made
        one (see ``frame_server.to_picture``), else it is made here."""
        self.array = array
        self.qimage = None if array is None else picture or to_picture(array)
        self.update()

    def set_status(self, text: str) -> None:
        if text != self.status:
            self.status = text
            self.update()

    def set_badge(self, text: str) -> None:
        if text != self.badge:
            self.badge = text
            self.update()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn: the largest rect of its aspect that fits, centred."""
        if self.qimage is None:
            return QRectF()
        w, h = self.qimage.width(), self.qimage.height()
        scale = min(self.width() / w, self.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.qimage is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(self.image_rect(), self.qimage)
        if self.status:
            p.setPen(QColor(220, 220, 220))
            p.drawText(self.rect().adjusted(12, 12, -12, -12),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.status)
        if self.badge:
            font = QFont(p.font())
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
            p.setFont(font)
            rect = p.fontMetrics().boundingRect(self.badge).adjusted(-6, -3, 6, 3)
            rect.moveTopRight(self.rect().topRight() + QPoint(-8, 8))
            p.fillRect(rect, QColor(0, 0, 0, 160))
            p.setPen(QColor(255, 210, 90))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.badge)
        p.end()


class TimecodeEdit(QLineEdit):
    """Shows the playhead's timecode; type one and press Enter to go there, Esc to cancel."""

    entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # never take J/K/L by tabbing in
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("-00:00:00:00") + 24)
        self.setToolTip("Timecode (HH:MM:SS:FF). Type a timecode or +/- offset, Enter to go.")
        self.returnPressed.connect(lambda: self.entered.emit(self.text()))
        self._shown = ""

    def show_timecode(self, text: str) -> None:
        """Display ``text`` unless the user is typing."""
        self._shown = text
        if not self.isModified():
            self.setText(text)

    def revert(self) -> None:
        self.setText(self._shown)  # also clears the modified flag

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.revert()
            if self.parentWidget() is not None:
                self.parentWidget().setFocus()
            else:
                self.clearFocus()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.revert()


class _KeyWatcher(QObject):
    """Tracks whether the K shortcut key is still held down (for K+J / K+L steps).

    Installed on the K action: when the action fires from its shortcut (a ``Shortcut``
    event, not a menu click) K counts as down, and an application-wide filter watches for
    its release (or the application losing focus), then removes itself. No event is
    consumed, and nothing is filtered while K is up.
    """

    def __init__(self, key: Qt.Key) -> None:
        super().__init__()
        self.key = key
        self.down = False

    def _set_down(self, down: bool) -> None:
        app = QApplication.instance()
        if down != self.down and app is not None:
            if down:
                app.installEventFilter(self)
            else:
                app.removeEventFilter(self)
        self.down = down

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        t = event.type()
        if t == QEvent.Type.Shortcut and isinstance(obj, QAction):
            self._set_down(True)
        elif self.down and t == QEvent.Type.KeyRelease:
            if event.key() == self.key and not event.isAutoRepeat():  # type: ignore[attr-defined]
                self._set_down(False)
        elif self.down and t == QEvent.Type.ApplicationDeactivate:
            self._set_down(False)
        return False

    def release(self) -> None:
        self._set_down(False)


# --------------------------------------------------------------------------- player


class PlayerWidget(QWidget):
    """The preview player for ``ctx.scene`` (see the module docstring)."""

    rate_changed = Signal(float)  # 0 paused, negative in reverse
    frame_shown = Signal(int)  # the timeline frame now on screen
    source_changed = Signal(object)  # SourceMedia shown in Source mode, or None (Program)

    def __init__(self, ctx: EditorContext, *, audio: AudioOutput | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.audio = audio if audio is not None else AudioOutput()
        self.server = FrameServer()
        self.server.frame_ready.connect(self._on_frame, Qt.ConnectionType.QueuedConnection)
        self.server.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)

        self._plan: ScenePlan | None = None
        self._memo = PlanMemo()  # unchanged clips keep their plans between rebuilds
        self._memo_location: Any = None
        self._factor = 1.0
        self._rate = 0.0
        self._frame = 0  # the position: frame on screen, or being fetched after a seek
        self.displayed_frame = -1  # timeline frame of the image on screen
        self._shown_seq = 0
        self._current_from = 0  # first request seq made with the current plan
        self._seek_times: dict[int, float] = {}
        self.last_seek_ms = 0.0  # request → on screen, for the latest seek shown
        self._own_playhead = False
        self._project: Any = None
        # Source mode (the source monitor): a bin item as a one-clip scene with its own
        # position and in/out; the program's playhead and in/out are left alone.
        self.source: Any = None  # timeline.source_edit.SourceMedia
        self.source_in_out: tuple[int, int] | None = None
        self._closed = False
        # Playback state.
        self._stream_seq = -1
        self._pending: deque[RenderedFrame] = deque()
        self._clock: Any = None
        self._audio_mode = False
        self._stream_ended = False
        self._last_shown_at = 0.0
        self._play_started = 0.0
        self.shown_count = 0
        self.dropped_frames = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

        self._keys = _KeyWatcher(Qt.Key.Key_K)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self._build_ui()
        self.actions_by_name["pause"].installEventFilter(self._keys)
        ctx.project_replaced.connect(self._on_project_replaced)
        ctx.scene_changed.connect(self._on_scene_changed)
        ctx.playhead_moved.connect(self._on_playhead_moved)
        ctx.in_out_changed.connect(self._on_in_out_changed)
        self._project = ctx.project
        ctx.document_changed.connect(self._on_project_changed)
        self._frame = max(0, ctx.playhead)
        self._rebuild_plan(force=True)
        from .source_monitor import SourceMonitor

        self.source_monitor = SourceMonitor(self)
        QTimer.singleShot(0, self._prepare_audio)  # open the device before the first play

    def _prepare_audio(self) -> None:
        if not self._closed:
            self.audio.prepare()

    # ------------------------------------------------------------------ UI

    def _build_ui(self) -> None:
        self.view = FrameView(self)
        self.timecode = TimecodeEdit(self)
        self.timecode.entered.connect(self._on_timecode_entered)
        self.duration_label = QLabel(self)
        self.info_label = QLabel(self)
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.resolution = QComboBox(self)
        self.resolution.addItems(list(RESOLUTIONS))
        self.resolution.setToolTip("Preview resolution (a fraction of the scene size)")
        self.resolution.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.resolution.currentTextChanged.connect(
            lambda text: self.set_resolution(RESOLUTIONS[text]))

        self.actions_by_name = self._make_actions()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.setSpacing(2)
        for name in ("go_start", "go_in", "play_reverse", "prev_frame", "play_pause",
                     "next_frame", "play_forward", "go_out", "go_end", None, "mark_in",
                     "mark_out"):
            if name is None:
                bar.addSpacing(8)
                continue
            button = QToolButton(self)
            button.setDefaultAction(self.actions_by_name[name])
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoRaise(True)
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.timecode)
        bar.addWidget(self.duration_label)
        bar.addSpacing(8)
        bar.addWidget(self.resolution)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        picture = QHBoxLayout()
        picture.setContentsMargins(0, 0, 0, 0)
        picture.setSpacing(0)
        picture.addWidget(self.view, 1)
        self.meters = AudioMeters(self)  # peaks + short-term loudness of what is heard
        picture.addWidget(self.meters)
        layout.addLayout(picture, 1)
        layout.addLayout(bar)
        layout.addWidget(self.info_label)

    def _make_actions(self) -> dict[str, QAction]:
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        specs: list[tuple[str, str, str, Callable[[], Any], Any, bool]] = [
            ("play_pause", "Play/Pause", "Space", self.toggle_play, sp.SP_MediaPlay, False),
            ("play_reverse", "Play Reverse (again: faster)", "J", lambda: self.shuttle(-1),
             sp.SP_MediaSeekBackward, False),
            ("pause", "Pause", "K", lambda: self.shuttle(0), sp.SP_MediaPause, False),
            ("play_forward", "Play Forward (again: faster)", "L", lambda: self.shuttle(1),
             sp.SP_MediaSeekForward, False),
            ("prev_frame", "Previous Frame", "Left", lambda: self.step(-1), sp.SP_ArrowLeft,
             True),
            ("next_frame", "Next Frame", "Right", lambda: self.step(1), sp.SP_ArrowRight, True),
            ("go_start", "Go to Start", "Home", self.go_to_start, sp.SP_MediaSkipBackward,
             False),
            ("go_end", "Go to End", "End", self.go_to_end, sp.SP_MediaSkipForward, False),
            ("mark_in", "Mark In", "I", self.mark_in, None, False),
            ("mark_out", "Mark Out", "O", self.mark_out, None, False),
            ("go_in", "Go to In", "Shift+I", self.go_to_in, None, False),
            ("go_out", "Go to Out", "Shift+O", self.go_to_out, None, False),
            ("clear_in_out", "Clear In and Out", "Alt+X", self.clear_in_out, None, False),
        ]
        short = {"mark_in": "I", "mark_out": "O", "go_in": "⇤I", "go_out": "O⇥",
                 "clear_in_out": "✕"}
        actions: dict[str, QAction] = {}
        for name, text, key, slot, pixmap, repeat in specs:
            action = QAction(text, self)
            action.setObjectName(f"player_{name}")
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(repeat)
            action.setToolTip(f"{text} ({key})")
            if pixmap is not None:
                action.setIcon(icon(pixmap))
            elif name in short:
                action.setIconText(short[name])
            action.triggered.connect(lambda _=False, f=slot: f())
            self.addAction(action)
            actions[name] = action
        return actions

    def actions_for_menu(self) -> list[QAction]:
        """The transport actions, in menu order (shortcuts set, window context)."""
        order = ("play_pause", "play_reverse", "pause", "play_forward", "prev_frame",
                 "next_frame", "go_start", "go_end", "mark_in", "mark_out", "go_in", "go_out",
                 "clear_in_out")
        return [self.actions_by_name[n] for n in order]

    # ------------------------------------------------------------------ properties

    @property
    def rate(self) -> float:
        """Playback rate: 0 paused, 1 normal, 2/4/8 fast, negative in reverse."""
        return self._rate

    @property
    def frame(self) -> int:
        """The player's position (timeline frame)."""
        return self._frame

    @property
    def plan(self) -> ScenePlan | None:
        """The render plan frames are requested from (the scene as it is now)."""
        return self._plan

    @property
    def fps(self) -> float:
        return self._plan.fps if self._plan is not None else self.ctx.rate

    @property
    def frames(self) -> int:
        """Scene length in frames (0 for an empty or missing scene)."""
        return self._plan.frames if self._plan is not None else 0

    @property
    def resolution_factor(self) -> float:
        return self._factor

    @property
    def render_size(self) -> tuple[int, int]:
        size = self._plan.size if self._plan is not None else (320, 180)
        return render_size(size, self._factor)

    @property
    def image(self) -> np.ndarray | None:
        """The RGB frame on screen."""
        return self.view.array

    @property
    def playing_with_audio(self) -> bool:
        """True while the sound device is the clock (1× forward with a device)."""
        return self._rate != 0 and self._audio_mode

    @property
    def achieved_fps(self) -> float:
        """Frames shown per second in the current (or last) playback."""
        elapsed = self._last_shown_at - self._play_started
        return (self.shown_count - 1) / elapsed if self.shown_count > 1 and elapsed > 0 else 0.0

    # ------------------------------------------------------------------ transport

    def play(self) -> None:
        """Play forward at 1× (from the start when at the end)."""
        self._set_rate(1.0)

    def pause(self) -> None:
        self._set_rate(0.0)

    def toggle_play(self) -> None:
        if self._rate:
            self.pause()
        else:
            self.play()

    def shuttle(self, direction: int) -> None:
        """J/K/L: ``-1`` reverse (again: faster), ``0`` pause, ``+1`` forward (again:
        faster); with K held down, ``±1`` steps one frame instead."""
        if direction == 0:
            self.pause()
            return
        direction = 1 if direction > 0 else -1
        if self._keys.down:
            self.step(direction)
            return
        if self._rate * direction > 0:
            self._set_rate(direction * min(MAX_RATE, abs(self._rate) * 2))
        else:
            self._set_rate(float(direction))

    def step(self, n: int) -> None:
        """Pause and move ``n`` frames."""
        self.pause()
        self.seek(self._frame + n)

    def seek(self, frame: int) -> None:
        """Go to ``frame`` (clamped to the scene); keeps playing if playing."""
        self._go(self._clamp(frame), sync_ctx=True)

    def go_to_start(self) -> None:
        self.seek(0)

    def go_to_end(self) -> None:
        self.seek(self.frames - 1)

    def mark_in(self) -> None:
        """Set the in point at the playhead (the out point stays if it is after it)."""
        p = self._frame
        out = self.in_out[1] if self.in_out else self.frames
        self.set_in_out((p, out if out > p else max(p + 1, self.frames)))

    def mark_out(self) -> None:
        """Set the out point just after the playhead frame (half-open range)."""
        p = self._frame
        start = self.in_out[0] if self.in_out else 0
        self.set_in_out((start if start <= p else 0, p + 1))

    def go_to_in(self) -> None:
        if self.in_out:
            self.seek(self.in_out[0])

    def go_to_out(self) -> None:
        if self.in_out:
            self.seek(self.in_out[1] - 1)

    def clear_in_out(self) -> None:
        self.set_in_out(None)

    @property
    def in_out(self) -> tuple[int, int] | None:
        """The in/out points of what is shown: the source's in Source mode."""
        return self.source_in_out if self.source is not None else self.ctx.in_out

    def set_in_out(self, in_out: tuple[int, int] | None) -> None:
        if self.source is not None:
            self.source_in_out = in_out
            self._update_labels()
        else:
            self.ctx.set_in_out(in_out)

    def set_source(self, source: Any) -> None:
        """Show ``source`` (a ``SourceMedia``) in Source mode, or None for the program."""
        if source is self.source:
            return
        self.pause()
        self.source = source
        self.source_in_out = None
        self._frame = 0 if source is not None else max(0, self.ctx.playhead)
        self._rebuild_plan(force=True)
        self.source_changed.emit(source)

    def set_resolution(self, factor: float) -> None:
        """Render at ``factor`` of the scene size (1, 0.5 or 0.25)."""
        if factor == self._factor:
            return
        self._factor = factor
        label = next((k for k, v in RESOLUTIONS.items() if v == factor), None)
        if label is not None and self.resolution.currentText() != label:
            self.resolution.setCurrentText(label)
        self._refresh()

    def release_preview(self, timeout: float = 5.0) -> bool:
        """Pause and wait until the render thread no longer uses ``ctx.preview``.

        Call before ``ctx.set_project`` (which closes the old preview), so the preview is
        never closed while a frame is being rendered from it.
        """
        self.pause()
        return self.server.wait_idle(timeout)

    def shutdown(self) -> None:
        """Stop playback and the render thread (call before ``ctx.close()``)."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self.audio.close()
        self.server.close()
        self._keys.release()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ internals

    def _clamp(self, frame: int) -> int:
        return min(max(0, int(frame)), max(0, self.frames - 1))

    def _set_rate(self, rate: float) -> None:
        if self._plan is None or self.frames == 0 or self.ctx.preview is None:
            rate = 0.0
        if rate == self._rate:
            return
        start = self._frame
        if rate > 0 and start >= self.frames - 1:
            start = 0
        elif rate < 0 and start <= 0:
            rate = 0.0
            if self._rate == 0:
                return
        self._rate = rate
        if rate == 0:
            self._stop_stream()
        else:
            self._start_stream(start)
        self._update_play_action()
        self._update_labels()
        self.rate_changed.emit(rate)

    def _go(self, frame: int, sync_ctx: bool) -> None:
        self._frame = frame
        if sync_ctx:
            self._set_ctx_playhead(frame)
        if self._rate:
            self._start_stream(frame)
        else:
            self._request_seek(frame)
        self._update_labels()

    def _set_ctx_playhead(self, frame: int) -> None:
        if self.source is not None:
            return  # the source's position is its own
        self._own_playhead = True
        try:
            self.ctx.set_playhead(frame)
        finally:
            self._own_playhead = False

    def _request_seek(self, frame: int) -> None:
        if self._plan is None or self.frames == 0 or self.ctx.preview is None:
            return
        seq = self.server.seek(self.ctx.preview, self._plan, frame, self.render_size)
        self._seek_times[seq] = time.perf_counter()

    def _refresh(self) -> None:
        """Show the position again (new plan, size or preview)."""
        if self._rate:
            self._start_stream(self._frame)
        else:
            self._request_seek(self._frame)

    def _start_stream(self, start: int) -> None:
        self.meters.reset()
        plan, preview = self._plan, self.ctx.preview
        if plan is None or preview is None:
            return
        self._stop_stream()
        rate = self._rate
        step = int(round(abs(rate))) * (1 if rate > 0 else -1)
        self._audio_mode = rate == 1.0 and self.audio.start()
        if self._audio_mode:
            self._clock = AudioClock(start, plan.fps, self.audio)
            clock = None
        else:
            self._clock = clock = MonotonicClock(start, rate, plan.fps)
        ahead = max(6, int(0.4 * plan.fps))
        self.server.max_ahead = ahead
        self._stream_seq = self.server.play(preview, plan, start, self.render_size, step,
                                            self._audio_mode, clock)
        self._stream_ended = False
        self._play_started = self._last_shown_at = time.perf_counter()
        self.shown_count = self.dropped_frames = 0
        self._timer.start()

    def _stop_stream(self) -> None:
        self.meters.stopped()
        self._timer.stop()
        self.server.stop()
        self.audio.stop()
        self._pending.clear()
        self._stream_seq = -1
        self._clock = None
        self._audio_mode = False
        self.view.set_badge("")

    # ------------------------------------------------------------------ frames

    def _on_frame(self, rf: RenderedFrame) -> None:
        if rf.seq < self._current_from:
            return  # rendered from a plan older than the document (an edit came since)
        if rf.stream:
            if rf.seq != self._stream_seq:
                return
            if rf.end:
                self._stream_ended = True
            else:
                if self._audio_mode and rf.audio is not None:
                    self.audio.write(rf.audio)
                self._pending.append(rf)
            self._tick()
            return
        if self._rate or rf.seq <= self._shown_seq:
            return  # a seek superseded by playback or by a newer seek
        started = self._seek_times.pop(rf.seq, None)
        for old in [s for s in self._seek_times if s < rf.seq]:
            del self._seek_times[old]
        if started is not None:
            self.last_seek_ms = (time.perf_counter() - started) * 1e3
        self._show(rf)

    def _show(self, rf: RenderedFrame) -> None:
        self._shown_seq = rf.seq
        self.displayed_frame = rf.frame
        self.view.set_status("")
        self.view.set_image(rf.image, rf.picture)
        self.frame_shown.emit(rf.frame)

    def _tick(self) -> None:
        """Show the newest pending frame whose time has come; stop at the end."""
        clock = self._clock
        if not self._rate or clock is None:
            self._timer.stop()
            return
        if self._audio_mode:
            self.audio.pump()
            if self.audio.failed:  # device lost: carry on silently from here
                pos = clock.position()
                self.audio.stop()
                self._audio_mode = False
                self._clock = clock = MonotonicClock(pos, 1.0, clock.fps)
                clock.start()
        pos = clock.position()
        forward = self._rate > 0
        due = 0
        for rf in self._pending:
            if (rf.frame <= pos) if forward else (rf.frame >= pos):
                due += 1
            else:
                break
        now = time.perf_counter()
        if due:
            for _ in range(due - 1):
                self.meters.feed(self._pending.popleft().audio)  # dropped, but heard
            rf = self._pending.popleft()
            self.meters.feed(rf.audio)
            self.server.consumed(self._stream_seq, due)
            self.dropped_frames += due - 1
            if isinstance(clock, MonotonicClock) and not clock.running:
                clock.start()
                pos = clock.position()
            if not self.shown_count:
                self._play_started = now
            self.shown_count += 1
            self._last_shown_at = now
            self._frame = rf.frame
            self._show(rf)
            self._set_ctx_playhead(rf.frame)
            self.timecode.show_timecode(format_timecode(rf.frame, self.fps))
            self.view.set_badge(self._badge_text(buffering=False))
        elif (not self._pending and not self._stream_ended
              and now - self._last_shown_at > 3.0 / max(1.0, self.fps)):
            self.view.set_badge(self._badge_text(buffering=True))
        if self._stream_ended and not self._pending:
            last = self.displayed_frame
            if (pos >= last + 1) if forward else (pos <= last - 1):
                self.pause()

    def _badge_text(self, buffering: bool) -> str:
        rate = self._rate
        parts = [] if rate == 1 else [f"{rate:g}×"]
        if buffering:
            parts.append("buffering…")
        if self.dropped_frames:
            parts.append(f"{self.dropped_frames} dropped")
        return " · ".join(parts)

    def _on_failed(self, seq: int, message: str) -> None:
        if seq == self._stream_seq:
            self.pause()
        if seq >= self._shown_seq and seq >= self._current_from:
            self.view.set_status(f"Can't show this frame: {message}")

    # ------------------------------------------------------------------ context

    def _on_project_replaced(self, project: Any) -> None:
        self.pause()
        self._project = project
        self._drop_source()
        self._rebuild_plan(force=True)

    def _drop_source(self) -> None:
        if self.source is not None:
            self.source = self.source_in_out = None
            self.source_changed.emit(None)

    def _on_scene_changed(self, scene: Any) -> None:
        self.pause()
        self._drop_source()
        self._frame = max(0, self.ctx.playhead)
        self._rebuild_plan(force=True)

    def _on_project_changed(self, change: Any) -> None:
        self._rebuild_plan()

    def _on_in_out_changed(self, in_out: Any) -> None:
        self._update_labels()

    def _on_playhead_moved(self, frame: int) -> None:
        if self._own_playhead or frame == self._frame or self.source is not None:
            return
        self._go(self._clamp(frame), sync_ctx=False)

    def _rebuild_plan(self, force: bool = False) -> None:
        """Re-flatten the scene; re-render if anything the picture depends on changed."""
        scene = self.ctx.scene if self.source is None else self.source.scene
        location = self.ctx.project.location
        if force or location != self._memo_location:  # relative media resolve elsewhere
            self._memo.clear()
            self._memo_location = location
        plan = (build_plan(scene, self.ctx.project.resolve_media, self._memo)
                if scene is not None else None)
        if plan == self._plan and not force:
            return
        self._plan = plan
        self._current_from = self.server.last_seq + 1  # older requests: an older plan
        if plan is None or plan.frames == 0:
            self.pause()
            self.view.set_image(None)
            self.displayed_frame = -1
            self.view.set_status("No scene is open." if plan is None else
                                 "This scene is empty: add clips from the media bin.")
        else:
            self.view.set_status("")
            self._frame = self._clamp(self._frame)
            self._refresh()
        self._update_labels()

    def _on_timecode_entered(self, text: str) -> None:
        try:
            frame = parse_timecode(text, self.fps, current=self._frame)
        except ValueError as exc:
            self.ctx.error.emit(str(exc))
            self.timecode.revert()
            return
        self.timecode.setModified(False)
        self.seek(frame)
        self.view.setFocus()  # hand the keys back to the transport (J/K/L, Space)

    def _update_play_action(self) -> None:
        action = self.actions_by_name["play_pause"]
        sp = QStyle.StandardPixmap
        action.setIcon(self.style().standardIcon(sp.SP_MediaPause if self._rate
                                                 else sp.SP_MediaPlay))

    def _update_labels(self) -> None:
        fps = self.fps
        self.timecode.show_timecode(format_timecode(self._frame, fps))
        self.duration_label.setText(f"/ {format_timecode(self.frames, fps)}")
        parts = []
        if self.in_out:
            a, b = self.in_out
            parts.append(f"In {format_timecode(a, fps)}  Out {format_timecode(b - 1, fps)}")
        if self._rate:
            parts.append(f"{self._rate:g}×" + ("" if self._audio_mode or self._rate != 1
                                               else " (no sound device)"))
        self.info_label.setText("   ".join(parts))
