"""A small layer composer for composite-to-video: character reference images placed over a
location reference (drag to move, mouse wheel to scale), rendered to one PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

__all__ = ["DEFAULT_CANVAS", "Layer", "LayerComposer"]

DEFAULT_CANVAS = (1280, 720)  # the canvas without a location image
MIN_SIDE, MAX_SIDE = 360, 4096  # what the rendered PNG is scaled into
WHEEL_STEP = 1.1


@dataclass(frozen=True)
class Layer:
    """A character image at ``(x, y)`` (its top-left, canvas pixels) scaled by ``scale``."""

    path: Path
    x: float
    y: float
    scale: float


class LayerComposer(QGraphicsView):
    """The location image fills the canvas; character layers sit on top of it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layer-composer")
        self.gscene = QGraphicsScene(self)
        self.setScene(self.gscene)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform
                            | QPainter.RenderHint.Antialiasing)
        self.setBackgroundBrush(QColor("#1b1c1f"))
        self.setMinimumSize(320, 160)
        self.setAcceptDrops(False)  # the dialog's buttons add images
        self.background_path: Path | None = None
        self._background: QGraphicsPixmapItem | None = None
        self._layers: list[tuple[Path, QGraphicsPixmapItem]] = []
        self._canvas = QRectF(0, 0, *DEFAULT_CANVAS)
        self.gscene.setSceneRect(self._canvas)
        self._frame = self.gscene.addRect(self._canvas, QColor("#5a5f69"))
        self._frame.setZValue(-1)

    # ------------------------------------------------------------------ content

    @property
    def canvas(self) -> QRectF:
        return QRectF(self._canvas)

    def is_empty(self) -> bool:
        return self._background is None and not self._layers

    def set_background(self, path: str | Path | None) -> None:
        """Use ``path`` as the location (the canvas takes its size); None removes it."""
        if self._background is not None:
            self.gscene.removeItem(self._background)
            self._background = None
        self.background_path = None
        if path is not None:
            pixmap = QPixmap(str(path))
            if pixmap.isNull():
                raise ValueError(f"{Path(path).name} is not a readable image.")
            self.background_path = Path(path)
            self._background = self.gscene.addPixmap(pixmap)
            self._background.setZValue(0)
            self._background.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._canvas = QRectF(0, 0, pixmap.width(), pixmap.height())
        else:
            self._canvas = QRectF(0, 0, *DEFAULT_CANVAS)
        self._frame.setRect(self._canvas)
        self.gscene.setSceneRect(self._canvas)
        self._fit()
        self.changed.emit()

    def add_layer(self, path: str | Path, x: float | None = None, y: float | None = None,
                  scale: float | None = None) -> QGraphicsPixmapItem:
        """Add a character image; by default centred and scaled to half the canvas height."""
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            raise ValueError(f"{Path(path).name} is not a readable image.")
        item = self.gscene.addPixmap(pixmap)
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        item.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        item.setZValue(1 + len(self._layers))
        if scale is None:
            scale = min(1.0, self._canvas.height() * 0.5 / max(1, pixmap.height()))
        item.setScale(scale)
        if x is None or y is None:
            x = self._canvas.center().x() - pixmap.width() * scale / 2
            y = self._canvas.bottom() - pixmap.height() * scale - self._canvas.height() * 0.05
        item.setPos(x, y)
        self._layers.append((Path(path), item))
        self.changed.emit()
        return item

    def remove_selected(self) -> None:
        kept = []
        for path, item in self._layers:
            if item.isSelected():
                self.gscene.removeItem(item)
            else:
                kept.append((path, item))
        self._layers = kept
        self.changed.emit()

    def clear(self) -> None:
        for _path, item in self._layers:
            self.gscene.removeItem(item)
        self._layers = []
        self.set_background(None)

    def layers(self) -> list[Layer]:
        return [Layer(path, item.pos().x(), item.pos().y(), item.scale())
                for path, item in self._layers]

    def layer_items(self) -> list[QGraphicsPixmapItem]:
        return [item for _path, item in self._layers]

    # ------------------------------------------------------------------ output

    def output_size(self) -> tuple[int, int]:
        """The PNG size: the canvas scaled into [MIN_SIDE, MAX_SIDE] px a side; even."""
        w, h = self._canvas.width(), self._canvas.height()
        scale = max(1.0, MIN_SIDE / min(w, h))
        scale = min(scale, MAX_SIDE / max(w, h))
        w, h = int(round(w * scale)), int(round(h * scale))
        return w - w % 2, h - h % 2

    def render_image(self) -> QImage:
        w, h = self.output_size()
        image = QImage(w, h, QImage.Format.Format_RGB888)
        image.fill(QColor("black"))
        selected = [item for _p, item in self._layers if item.isSelected()]
        for item in selected:  # no selection outline in the output
            item.setSelected(False)
        self._frame.hide()
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform
                               | QPainter.RenderHint.Antialiasing)
        self.gscene.render(painter, QRectF(0, 0, w, h), self._canvas)
        painter.end()
        self._frame.show()
        for item in selected:
            item.setSelected(True)
        return image

    def render_png(self, path: str | Path) -> Path:
        """Write the composite to ``path`` (atomically) and return it."""
        from ..files import atomic_path

        image = self.render_image()
        with atomic_path(path) as tmp:
            if not image.save(str(tmp), "PNG"):
                raise OSError(f"Could not write {path}")
        return Path(path)

    # ------------------------------------------------------------------ interaction

    def item_at(self, pos: QPointF) -> QGraphicsPixmapItem | None:
        """The top character layer under viewport position ``pos``."""
        scene_pos = self.mapToScene(pos.toPoint())
        for _path, item in sorted(self._layers, key=lambda pi: -pi[1].zValue()):
            if item.sceneBoundingRect().contains(scene_pos):
                return item
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        item = self.item_at(event.position())
        if item is None:
            selected = [i for _p, i in self._layers if i.isSelected()]
            item = selected[0] if selected else None
        delta = event.angleDelta().y()
        if item is None or not delta:
            event.ignore()
            return
        self.scale_layer(item, WHEEL_STEP ** (delta / 120.0))
        event.accept()

    def scale_layer(self, item: QGraphicsPixmapItem, factor: float) -> None:
        """Scale ``item`` by ``factor`` about its centre (0.05…10× of the image)."""
        center = item.sceneBoundingRect().center()
        item.setScale(min(10.0, max(0.05, item.scale() * factor)))
        item.setPos(item.pos() + center - item.sceneBoundingRect().center())
        self.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        super().mouseReleaseEvent(event)
        self.changed.emit()  # a layer may have been dragged

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.fitInView(self._canvas, Qt.AspectRatioMode.KeepAspectRatio)
