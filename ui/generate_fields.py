"""Input widgets of the Generate dialog: image slots (browse, drop, grab a timeline frame)
and the frame grabber that renders timeline frames to PNG files off the GUI thread.

A timeline frame is flattened on the GUI thread (``build_plan``, cheap) and composited in a
``QThreadPool`` worker (``Compositor`` + ``to_rgb``); the PNG goes to the project's cache dir
(``<cache>/frames``). Generation models want images of at least 300 px a side, so frames of
small scenes are rendered larger (short side :data:`GRAB_MIN_SIDE`).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..timeline import schema as S
from .dialog_dirs import remember_dir, start_dir
from .timeline_view.drops import MEDIA_MIME, dropped_paths

__all__ = ["GRAB_MIN_SIDE", "IMAGE_FILTER", "FrameGrabber", "ImageField", "grab_size"]

GRAB_MIN_SIDE = 360  # > the 300 px minimum of the hosted image-to-video models
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"
THUMB_H = 54
_tokens = itertools.count(1)


def grab_size(size: tuple[int, int], min_side: int = GRAB_MIN_SIDE) -> tuple[int, int]:
    """``size`` scaled up (never down) so its short side is at least ``min_side``; even."""
    w, h = size
    scale = max(1.0, min_side / max(1, min(w, h)))
    w, h = math.ceil(w * scale), math.ceil(h * scale)
    return w + w % 2, h + h % 2


class _GrabSignals(QObject):
    done = Signal(int, int, str)  # token, frame, png path
    failed = Signal(int, str)  # token, message


_SIGNALS: _GrabSignals | None = None


def _shared_signals() -> _GrabSignals:
    """One relay for every grab, living on the GUI thread for the life of the app (a grab
    may finish after the dialog that asked for it is gone)."""
    global _SIGNALS
    if _SIGNALS is None:
        _SIGNALS = _GrabSignals()
    return _SIGNALS


class _GrabJob(QRunnable):
    def __init__(self, plan: Any, frame: int, size: tuple[int, int], out: Path,
                 cache_dir: Path | None, token: int, signals: _GrabSignals) -> None:
        super().__init__()
        self.plan, self.frame, self.size, self.out = plan, frame, size, out
        self.cache_dir, self.token, self.signals = cache_dir, token, signals

    def run(self) -> None:
        from PIL import Image

        from ..files import atomic_path
        from ..render.compositor import Compositor, to_rgb

        try:
            comp = Compositor(self.plan, self.size, cache_dir=self.cache_dir)
            try:
                rgb = to_rgb(comp.frame(self.frame))
            finally:
                comp.close()
            with atomic_path(self.out) as tmp:
                Image.fromarray(rgb).save(tmp, format="PNG")
        except Exception as exc:  # noqa: BLE001 - reported to the user, never raised in Qt
            self.signals.failed.emit(self.token, f"Could not grab frame {self.frame}: {exc}")
            return
        self.signals.done.emit(self.token, self.frame, str(self.out))


class FrameGrabber(QObject):
    """Renders frames of the current scene to PNGs in a worker thread.

    ``grab(frame)`` returns a token; ``grabbed(token, frame, path)`` or ``failed(token,
    message)`` follows on the GUI thread.
    """

    grabbed = Signal(int, int, str)
    failed = Signal(int, str)

    def __init__(self, ctx: Any, parent: QObject | None = None,
                 pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pool = pool or QThreadPool.globalInstance()
        self._signals = _shared_signals()
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.pending: set[int] = set()

    def _done(self, token: int, frame: int, path: str) -> None:
        if token in self.pending:
            self.pending.discard(token)
            self.grabbed.emit(token, frame, path)

    def _failed(self, token: int, message: str) -> None:
        if token in self.pending:
            self.pending.discard(token)
            self.failed.emit(token, message)

    def cache_dir(self) -> Path:
        cache = getattr(self.ctx, "media_cache", None)
        if cache is not None:
            return Path(cache.root)
        from .. import paths

        return paths.cache_dir() / "unsaved-project"

    def grab(self, frame: int, scene: Any = None) -> int:
        from ..render.plan import build_plan

        scene = scene if scene is not None else self.ctx.scene
        token = next(_tokens)
        self.pending.add(token)
        if scene is None:
            self._signals.failed.emit(token, "There is no scene to grab a frame from.")
            return token
        frame = max(0, int(frame))
        plan = build_plan(scene, self.ctx.project.resolve_media)
        size = grab_size(S.scene_size(scene))
        name = f"{S.get(scene, 'id', '') or 'scene'}-{frame:06d}-{token}.png"
        out = self.cache_dir() / "frames" / name
        self.pool.start(_GrabJob(plan, frame, size, out, self.cache_dir(), token,
                                 self._signals))
        return token


class ImageField(QWidget):
    """One image input: a thumbnail, the path, Browse…, Grab frame, Clear; accepts drops of
    image files or media-bin items (``application/x-aladdin-media``)."""

    changed = Signal(object)  # Path | None
    grab_requested = Signal()

    def __init__(self, label: str, *, grab: bool = True, project: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.project = project  # resolves media-bin entries given by url
        self._path: Path | None = None
        self.setAcceptDrops(True)
        self.thumb = QLabel()
        self.thumb.setFixedSize(int(THUMB_H * 16 / 9), THUMB_H)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("QLabel { background: #202226; color: #8a8f98; }")
        self.thumb.setText("drop\nimage")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(f"{label}: drop an image, browse or grab a frame")
        self.edit.editingFinished.connect(lambda: self.set_path(self.edit.text().strip() or None))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        self.grab_button = QPushButton("Grab frame from timeline")
        self.grab_button.setVisible(grab)
        self.grab_button.clicked.connect(self.grab_requested)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(lambda: self.set_path(None))
        self.buttons = buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.browse_button, self.grab_button, self.clear_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.edit)
        right.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.thumb)
        row.addLayout(right, 1)

    def path(self) -> Path | None:
        return self._path

    def set_path(self, path: str | Path | None) -> None:
        new = Path(path) if path else None
        self.edit.setText(str(new) if new else "")
        if new == self._path:
            return
        self._path = new
        pixmap = QPixmap(str(new)) if new is not None and new.is_file() else QPixmap()
        if pixmap.isNull():
            self.thumb.setPixmap(QPixmap())
            self.thumb.setText("drop\nimage" if new is None else "?")
        else:
            self.thumb.setPixmap(pixmap.scaled(self.thumb.size(),
                                               Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))
        self.changed.emit(new)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.label}",
                                              start_dir(None, "images"), IMAGE_FILTER)
        if path:
            remember_dir("images", path)
            self.set_path(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        if mime.hasFormat(MEDIA_MIME) or mime.hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        paths = dropped_paths(event.mimeData(), self.project)
        if paths:
            self.set_path(paths[0])
            event.acceptProposedAction()
