"""The Library dock: the media collection of the open project, searched by character,
location, method, quality and date, newest first, with thumbnails; results drag onto the
timeline like media-bin items. Queries run on a worker thread (MongoDB may be remote)."""

from __future__ import annotations

import datetime as _dt
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..library.media import MediaDocument, MediaQuery
from .timeline_view.drops import media_mime

__all__ = ["LibraryPanel"]

# One worker thread for every instance (editors and tests create many; lookups are short).
_POOL = ThreadPoolExecutor(1, thread_name_prefix="library")

THUMB = QSize(128, 72)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
METHODS = ("", "text-to-video", "image-to-video", "first-last-frame", "composite-to-video",
           "render", "import")


class _Relay(QObject):
    results = Signal(int, object)  # token, list[MediaDocument] | Exception
    thumbnail = Signal(str, object)  # path, strip path | None


class _ResultList(QListWidget):
    """Drags carry the local files, the way the media bin's do."""

    def mimeData(self, items: list[QListWidgetItem]) -> Any:  # noqa: N802 - Qt's name
        paths = [item.data(PATH_ROLE) for item in items if item.data(PATH_ROLE)]
        return media_mime([p for p in paths if Path(p).is_file()])


class LibraryPanel(QWidget):
    searched = Signal(int)  # number of results shown

    def __init__(self, ctx: Any, parent: QWidget | None = None, *, settings: Any = None,
                 repo: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("library-panel")
        self.ctx = ctx
        self._settings = settings
        self._repo = repo
        self._pool = _POOL
        self._relay = _Relay()
        self._relay.results.connect(self._show)
        self._relay.thumbnail.connect(self._on_thumbnail)
        self._token = 0
        self.docs: list[MediaDocument] = []

        self.character = QComboBox()
        self.character.setEditable(True)
        self.location = QComboBox()
        self.location.setEditable(True)
        self.method = QComboBox()
        for m in METHODS:
            self.method.addItem(m or "any", m or None)
        self.quality = QDoubleSpinBox()
        self.quality.setRange(0.0, 1.0)
        self.quality.setSingleStep(0.05)
        self.quality.setSpecialValueText("any")
        self.use_since = QCheckBox("since")
        self.since = QDateEdit(QDate.currentDate().addDays(-30))
        self.since.setCalendarPopup(True)
        search = QPushButton("Search")
        search.setObjectName("library-search")
        search.clicked.connect(self.search)
        form = QFormLayout()
        form.addRow("Character", self.character)
        form.addRow("Location", self.location)
        form.addRow("Method", self.method)
        form.addRow("Min quality", self.quality)
        when = QHBoxLayout()
        when.addWidget(self.use_since)
        when.addWidget(self.since)
        form.addRow("Date", when)
        self.results = _ResultList()
        self.results.setObjectName("library-results")
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setIconSize(THUMB)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 52))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(True)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setDragEnabled(True)
        self.results.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.status = QLabel("")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        ctx.project_replaced.connect(lambda _p: self.reset())
        self.reset()

    # ------------------------------------------------------------------ the query

    def reset(self) -> None:
        """New project: the reference names as suggestions, no results yet."""
        from ..generation.references import references

        for combo, kind in ((self.character, "character"), (self.location, "location")):
            combo.clear()
            combo.addItem("")
            try:
                names = sorted({e.get("name") for e in references(self.ctx.project, kind)})
            except Exception:  # noqa: BLE001 - suggestions only
                names = []
            combo.addItems([n for n in names if n])
        self.results.clear()
        self.docs = []

    def query(self) -> MediaQuery:
        from ..library.record import project_id

        since = None
        if self.use_since.isChecked():
            d = self.since.date()
            since = _dt.datetime(d.year(), d.month(), d.day(), tzinfo=_dt.UTC)
        return MediaQuery(project_id=project_id(self.ctx.project),
                          character=self.character.currentText().strip() or None,
                          location=self.location.currentText().strip() or None,
                          method=self.method.currentData(),
                          min_quality=self.quality.value() or None, since=since, limit=200)

    def _repository(self) -> Any:
        if self._repo is None:
            from ..library.backends import open_media

            self._repo = open_media(self._settings or getattr(self.ctx, "settings", None))
        return self._repo

    def search(self) -> Future:
        """Run the query on the worker thread; results arrive in ``_show``."""
        self._token += 1
        token = self._token
        query = self.query()
        self.status.setText("Searching…")
        relay = self._relay

        def run() -> None:
            try:
                relay.results.emit(token, self._repository().find(query))
            except Exception as exc:  # noqa: BLE001 - shown in the panel
                relay.results.emit(token, exc)

        return self._pool.submit(run)

    def _show(self, token: int, outcome: Any) -> None:
        if token != self._token:
            return  # an older search
        self.results.clear()
        if isinstance(outcome, Exception):
            self.docs = []
            self.status.setText(str(outcome))
            return
        self.docs = list(outcome)
        for doc in self.docs:
            m = doc.metadata
            who = ", ".join(filter(None, [m.get("characterName"), *(m.get("characters") or [])]))
            label = f"{m.get('name') or doc.id}\n{m.get('method', '')}"
            if who:
                label += f" · {who}"
            item = QListWidgetItem(label)
            item.setData(PATH_ROLE, m.get("path"))
            item.setToolTip(f"{doc.url}\n{doc.created_at:%Y-%m-%d %H:%M} · "
                            f"{doc.size or 0} bytes")
            self.results.addItem(item)
            self._request_thumbnail(m.get("path"), doc.type)
        self.status.setText(f"{len(self.docs)} result(s)")
        self.searched.emit(len(self.docs))

    # ------------------------------------------------------------------ thumbnails

    def _request_thumbnail(self, path: str | None, kind: str) -> None:
        background = getattr(self.ctx, "background", None)
        if not path or kind != "video" or background is None or not Path(path).is_file():
            return
        try:
            future = background.request("thumbnails", path, count=1, height=THUMB.height())
        except RuntimeError:
            return
        relay = self._relay
        future.add_done_callback(lambda f: relay.thumbnail.emit(
            path, None if f.cancelled() or f.exception() else f.result()))

    def _on_thumbnail(self, path: str, strip: Any) -> None:
        if strip is None:
            return
        pixmap = QPixmap(str(strip))
        if pixmap.isNull():
            return
        for i in range(self.results.count()):
            item = self.results.item(i)
            if item.data(PATH_ROLE) == path:
                item.setIcon(QIcon(pixmap))

    def has_thumbnail(self, row: int) -> bool:
        return not self.results.item(row).icon().isNull()

    def close_pool(self) -> None:
        self._token += 1  # results still queued for this widget are dropped
        if self._repo is not None:
            self._repo.close()
