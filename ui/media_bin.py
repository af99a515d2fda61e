"""The Media Bin dock: the project's imported media, with thumbnails and badges.

Entries live in the project collection's ``bin`` metadata (``timeline.media``); every change
(import, remove, relink) is one ``SetProjectMeta`` command on the undo stack. Files are
probed on a small thread pool and thumbnails come from the render engine's background
cache; both report back to the GUI thread through queued Qt signals.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QFileSystemWatcher,
    QItemSelectionModel,
    QMimeData,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDrag,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..services.media import (  # noqa: F401 - clips_using, media_files_in: used by tests
    MEDIA_EXTENSIONS,
    MediaNotInBin,
    clips_using,
    import_command,
    media_files_in,
    plan_import,
    relink_command,
    remove_command,
    scan_paths,
)
from ..timeline.document import ChangeSet, Project
from ..timeline.media import bin_entries
from ..timeline.probe import MediaInfo, MediaProbeError, probe
from .dialog_dirs import remember_dir, start_dir
from .editor_context import EditorContext

MEDIA_MIME = "application/x-aladdin-media"

URL_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
BADGES_ROLE = Qt.ItemDataRole.UserRole + 3
OFFLINE_ROLE = Qt.ItemDataRole.UserRole + 4

ICON_SIZE = QSize(160, 90)
LIST_ICON_SIZE = QSize(64, 36)
THUMB_COUNT, THUMB_HEIGHT = 10, 72  # the filmstrip requested; its first tile is the icon
OFFLINE_COLOR = QColor("#e05252")


# --------------------------------------------------------------------------- pure helpers

def format_duration(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def entry_badges(entry: dict[str, Any], offline: bool = False) -> list[str]:
    """Badges of a bin entry: duration, WxH and fps for video; "audio" or "image"."""
    media = entry.get("media") or {}
    badges = ["offline"] if offline else []
    size = f"{media.get('width', 0)}×{media.get('height', 0)}"
    if media.get("is_still"):
        return badges + [size, "image"]
    if media.get("duration") is not None:
        badges.append(format_duration(float(media["duration"])))
    if media.get("has_video"):
        badges.append(size)
        if media.get("fps"):
            badges.append(f"{round(float(Fraction(str(media['fps']))), 2):g} fps")
    elif media.get("has_audio"):
        badges.append("audio")
    return badges


def media_mime(items: Iterable[tuple[str, str]]) -> QMimeData:
    """Drag data for ``(absolute path, bin url)`` pairs: Aladdin JSON plus file URLs."""
    pairs = list(items)
    mime = QMimeData()
    payload = [{"path": path, "url": url} for path, url in pairs]
    mime.setData(MEDIA_MIME, json.dumps(payload).encode("utf-8"))
    mime.setUrls([QUrl.fromLocalFile(path) for path, _ in pairs])
    return mime


# --------------------------------------------------------------------------- workers

class _Relay(QObject):
    """Carries worker-thread results to the GUI thread (queued connections)."""

    scanned = Signal(int, object)  # batch id, [Path]
    probed = Signal(int, str, object)  # batch id, path, MediaInfo | MediaProbeError
    thumbnail = Signal(str, object)  # path, filmstrip path | Exception

    def emit_safely(self, signal_name: str, *args: Any) -> None:
        try:
            getattr(self, signal_name).emit(*args)
        except RuntimeError:  # the bin was deleted while the worker ran
            pass


@dataclass
class _Batch:
    project: Project
    files: list[Path] | None = None
    results: dict[str, MediaInfo | Exception] = field(default_factory=dict)


# --------------------------------------------------------------------------- views

class BinList(QListWidget):
    """The entries; drags out media, accepts file drops from outside."""

    files_dropped = Signal(list)  # [str] local paths
    delete_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.set_icon_mode(True)

    def set_icon_mode(self, icons: bool) -> None:
        if icons:
            self.setViewMode(QListView.ViewMode.IconMode)
            self.setIconSize(ICON_SIZE)
            self.setGridSize(QSize(ICON_SIZE.width() + 16, ICON_SIZE.height() + 40))
        else:
            self.setViewMode(QListView.ViewMode.ListMode)
            self.setIconSize(LIST_ICON_SIZE)
            self.setGridSize(QSize())
        # setViewMode resets these; a static layout still drags out and takes drops.
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)

    def is_icon_mode(self) -> bool:
        return self.viewMode() == QListView.ViewMode.IconMode

    # --- drag out
    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt's name
        return [MEDIA_MIME, "text/uri-list"]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # noqa: N802 - Qt's name
        return media_mime((it.data(PATH_ROLE), it.data(URL_ROLE)) for it in items
                          if not it.data(OFFLINE_ROLE))

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt's name
        return Qt.DropAction.CopyAction

    def startDrag(self, actions: Qt.DropAction) -> None:  # noqa: N802 - Qt's name
        items = [it for it in self.selectedItems() if not it.data(OFFLINE_ROLE)]
        if not items:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData(items))
        icon = items[0].icon()
        if not icon.isNull():
            drag.setPixmap(icon.pixmap(LIST_ICON_SIZE))
        drag.exec(Qt.DropAction.CopyAction)

    # --- drops from a file manager
    @staticmethod
    def local_files(mime: QMimeData) -> list[str]:
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]

    def _wants(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        return event.source() is not self and bool(self.local_files(event.mimeData()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if self._wants(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        self.dragEnterEvent(event)  # type: ignore[arg-type]

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        if not self._wants(event):
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.files_dropped.emit(self.local_files(event.mimeData()))

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class MediaBin(QWidget):
    """The Media Bin dock widget for ``ctx``'s project."""

    import_finished = Signal(list)  # bin urls added by one import (possibly empty)
    source_requested = Signal(str, str)  # (path, bin url): a double-click, for the player

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("media-bin")
        self.ctx = ctx
        self._project: Project | None = None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bin-probe")
        pool = self._pool
        self.destroyed.connect(lambda *_: pool.shutdown(wait=False, cancel_futures=True))
        self._relay = _Relay(self)
        self._relay.scanned.connect(self._on_scanned)
        self._relay.probed.connect(self._on_probed)
        self._relay.thumbnail.connect(self._on_thumbnail)
        self._batches: dict[int, _Batch] = {}
        self._batch_ids = itertools.count(1)
        self._thumbs: dict[str, QPixmap] = {}
        self._thumbs_pending: set[str] = set()
        self._thumbs_failed: set[str] = set()
        self._entry_by_url: dict[str, dict[str, Any]] = {}
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda *_: self._refresh_soon.start())
        self._refresh_soon = QTimer(self, singleShot=True, interval=300)
        self._refresh_soon.timeout.connect(self.refresh)
        self._build()
        ctx.project_replaced.connect(self._on_project_replaced)
        ctx.document_changed.connect(self._on_changed)
        self._on_project_replaced(ctx.project)

    # ------------------------------------------------------------------ construction

    def _action(self, text: str, slot: Any, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip or text)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _build(self) -> None:
        bar = QToolBar("Media Bin", self)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_action = self._action("Import…", self.import_dialog, "Import media files")
        self.import_folder_action = self._action("Folder…", self.import_folder_dialog,
                                                 "Import every media file in a folder")
        self.remove_action = self._action("Remove", self.remove_selected,
                                          "Remove from the bin (files stay on disk)")
        self.relink_action = self._action("Relink…", self.relink_dialog,
                                          "Point this entry (and its clips) at another file")
        self.icons_action = QAction("Icons", self, checkable=True, checked=True)
        self.icons_action.setToolTip("Icon view (off: list view)")
        self.icons_action.toggled.connect(self.set_icon_mode)
        self.title_action = self._action("Title", self.add_title,
                                         "Add a title at the playhead (Ctrl+T)")
        for action in (self.import_action, self.import_folder_action, self.remove_action,
                       self.relink_action, self.title_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.icons_action)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search media")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)

        self.view = BinList(self)
        self.view.files_dropped.connect(self.import_paths)
        self.view.delete_pressed.connect(self.remove_selected)
        self.view.itemSelectionChanged.connect(self._update_actions)
        self.view.itemDoubleClicked.connect(self._open_in_source)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.status = QLabel(self)
        self.status.setObjectName("media-bin-status")
        self.status.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(bar)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self._update_actions()

    def _open_in_source(self, item: QListWidgetItem) -> None:
        if item.data(OFFLINE_ROLE):
            self.ctx.error.emit("This file is missing: use Relink… to find it first.")
            return
        self.source_requested.emit(item.data(PATH_ROLE), item.data(URL_ROLE))

    def add_title(self) -> Any:
        """A title clip at the playhead (see ``title_actions.add_title``)."""
        from .title_actions import add_title

        return add_title(self.ctx)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.relink_action, self.remove_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.import_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------ project

    def _on_project_replaced(self, project: Project) -> None:
        self._project = project
        self._batches.clear()  # imports started for the old project are dropped
        self._thumbs_pending.clear()
        self._thumbs_failed.clear()
        self._set_status()
        self.refresh()

    def _on_changed(self, change: ChangeSet) -> None:
        if change.kind == "reset" or change.topics & {"bin", "media"}:
            self.refresh()

    @property
    def entries(self) -> list[dict[str, Any]]:
        return bin_entries(self.ctx.project)

    def path_of(self, url: str) -> str:
        return str(self.ctx.project.resolve_media(url))

    # ------------------------------------------------------------------ showing

    def refresh(self) -> None:
        """Rebuild the items from the document (and re-check which files are offline)."""
        selected = {it.data(URL_ROLE) for it in self.view.selectedItems()}
        current = self.view.currentItem()
        current_url = current.data(URL_ROLE) if current is not None else None
        self.view.clear()
        folders: set[str] = set()
        entries = self.entries
        self._entry_by_url = {e.get("url", ""): e for e in entries}
        for entry in entries:
            url = entry.get("url", "")
            path = self.path_of(url)
            offline = not os.path.exists(path)
            item = QListWidgetItem(self.view)
            item.setData(URL_ROLE, url)
            item.setData(PATH_ROLE, path)
            item.setData(OFFLINE_ROLE, offline)
            item.setData(BADGES_ROLE, entry_badges(entry, offline))
            self._decorate(item, entry)
            if offline:
                flags = item.flags() & ~Qt.ItemFlag.ItemIsDragEnabled
                item.setFlags(flags)
            else:
                folders.add(os.path.dirname(path))
                self._request_thumbnail(entry, path)
            if url in selected:
                item.setSelected(True)
            if url == current_url:
                self.view.setCurrentItem(item, QItemSelectionModel.SelectionFlag.NoUpdate)
        self._watch(folders)
        self._apply_filter(self.search.text())
        self._update_actions()

    def _watch(self, folders: set[str]) -> None:
        existing = set(self._watcher.directories())
        if existing - folders:
            self._watcher.removePaths(sorted(existing - folders))
        if folders - existing:
            self._watcher.addPaths(sorted(folders - existing))

    def _decorate(self, item: QListWidgetItem, entry: dict[str, Any]) -> None:
        name = entry.get("name") or Path(entry.get("url", "")).name
        badges = item.data(BADGES_ROLE)
        offline = bool(item.data(OFFLINE_ROLE))
        icons = self.view.is_icon_mode()
        item.setText(name if icons else f"{name}    {' · '.join(badges)}")
        item.setToolTip(f"{name}\n{item.data(PATH_ROLE)}\n{' · '.join(badges)}"
                        + ("\nThe file is missing: use Relink… to find it." if offline else ""))
        item.setIcon(QIcon(self._icon(entry, item.data(PATH_ROLE), badges, offline, icons)))
        if offline:
            item.setForeground(OFFLINE_COLOR)

    def _icon(self, entry: dict[str, Any], path: str, badges: list[str], offline: bool,
              with_badges: bool) -> QPixmap:
        size = ICON_SIZE if with_badges else LIST_ICON_SIZE
        pixmap = QPixmap(size)
        pixmap.fill(QColor("#202228"))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        thumb = self._thumbs.get(path)
        if thumb is not None and not offline:
            scaled = thumb.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            painter.drawPixmap((size.width() - scaled.width()) // 2,
                               (size.height() - scaled.height()) // 2, scaled)
        else:
            media = entry.get("media") or {}
            glyph = "♪" if not media.get("has_video") else ("▣" if media.get("is_still") else "▶")
            font = QFont()
            font.setPixelSize(size.height() // 2)
            painter.setFont(font)
            painter.setPen(QColor("#6c7080"))
            painter.drawText(QRect(QPoint(0, 0), size), Qt.AlignmentFlag.AlignCenter, glyph)
        if offline:
            painter.setPen(QPen(OFFLINE_COLOR, 3))
            painter.drawRect(pixmap.rect().adjusted(1, 1, -2, -2))
        if with_badges:
            self._paint_badges(painter, size, badges)
        painter.end()
        return pixmap

    @staticmethod
    def _paint_badges(painter: QPainter, size: QSize, badges: list[str]) -> None:
        font = QFont()
        font.setPixelSize(10)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        x, h = 4, metrics.height() + 2
        y = size.height() - h - 4
        for text in badges:
            w = metrics.horizontalAdvance(text) + 8
            if x + w > size.width() - 2 and x > 4:
                break
            rect = QRect(x, y, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(OFFLINE_COLOR if text == "offline" else QColor(0, 0, 0, 170))
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            x += w + 3

    def set_icon_mode(self, icons: bool) -> None:
        """Icon view with thumbnails and badges, or a compact list."""
        if self.icons_action.isChecked() != icons:
            self.icons_action.setChecked(icons)  # comes back here through toggled
            return
        self.view.set_icon_mode(icons)
        self.refresh()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.view.count()):
            item = self.view.item(i)
            haystack = f"{item.text()} {item.data(URL_ROLE)}".lower()
            item.setHidden(bool(needle) and needle not in haystack)

    def visible_urls(self) -> list[str]:
        """Bin urls shown (after the search filter), in order."""
        return [self.view.item(i).data(URL_ROLE) for i in range(self.view.count())
                if not self.view.item(i).isHidden()]

    def item_for(self, url: str) -> QListWidgetItem | None:
        for i in range(self.view.count()):
            if self.view.item(i).data(URL_ROLE) == url:
                return self.view.item(i)
        return None

    def selected_urls(self) -> list[str]:
        return [it.data(URL_ROLE) for it in self.view.selectedItems()]

    def _update_actions(self) -> None:
        selected = self.view.selectedItems()
        self.remove_action.setEnabled(bool(selected))
        self.relink_action.setEnabled(len(selected) == 1)

    # ------------------------------------------------------------------ thumbnails

    def _request_thumbnail(self, entry: dict[str, Any], path: str) -> None:
        media = entry.get("media") or {}
        if (not media.get("has_video") or path in self._thumbs or path in self._thumbs_pending
                or path in self._thumbs_failed or self.ctx.background is None):
            return
        try:
            future = self.ctx.background.request("thumbnails", path, count=THUMB_COUNT,
                                                 height=THUMB_HEIGHT)
        except RuntimeError:  # the cache is shutting down
            return
        self._thumbs_pending.add(path)
        relay = self._relay

        def done(f: Future) -> None:  # any thread
            if f.cancelled():
                relay.emit_safely("thumbnail", path, None)
                return
            relay.emit_safely("thumbnail", path, f.exception() or f.result())

        future.add_done_callback(done)

    def _on_thumbnail(self, path: str, outcome: Any) -> None:
        self._thumbs_pending.discard(path)
        if outcome is None:  # cancelled (project closed): may be asked for again
            return
        strip = QPixmap(str(outcome)) if not isinstance(outcome, BaseException) else QPixmap()
        if strip.isNull():
            self._thumbs_failed.add(path)
            return
        tile = strip.copy(0, 0, max(1, strip.width() // THUMB_COUNT), strip.height())
        self._thumbs[path] = tile
        for i in range(self.view.count()):
            item = self.view.item(i)
            entry = self._entry_by_url.get(item.data(URL_ROLE))
            if item.data(PATH_ROLE) == path and entry is not None:
                self._decorate(item, entry)

    def has_thumbnail(self, url: str) -> bool:
        return self.path_of(url) in self._thumbs

    # ------------------------------------------------------------------ importing

    def import_dialog(self) -> None:
        """Ask for media files and import them."""
        exts = " ".join(f"*.{e}" for e in sorted(MEDIA_EXTENSIONS))
        paths, _ = QFileDialog.getOpenFileNames(self, "Import Media",
                                                start_dir(self.ctx.project, "media"),
                                                f"Media files ({exts});;All files (*)")
        if paths:
            remember_dir("media", paths)
            self.import_paths(paths)

    def import_folder_dialog(self) -> None:
        """Ask for a folder and import every media file in it (recursively)."""
        path = QFileDialog.getExistingDirectory(self, "Import Media Folder",
                                                start_dir(self.ctx.project, "media"))
        if path:
            remember_dir("media", path)
            self.import_paths([path])

    @property
    def busy(self) -> bool:
        """Whether an import is still scanning or probing."""
        return bool(self._batches)

    def import_paths(self, paths: Iterable[str | Path]) -> int:
        """Import files and folders (their media files, recursively) in the background.

        Probing runs on a thread pool; when every file of this call is probed, the readable
        ones are added to the bin in one undo step and unreadable ones are reported (by
        name) through ``ctx.error``. ``import_finished`` tells when. Returns a batch id.
        """
        paths = [Path(p) for p in paths]
        if not paths:
            return 0
        batch_id = next(self._batch_ids)
        self._batches[batch_id] = _Batch(self.ctx.project)
        location = self.ctx.project.location
        skip = [location.cache_dir] if location is not None else []
        self._set_status()
        self._pool.submit(self._scan, batch_id, paths, skip)
        return batch_id

    def _scan(self, batch_id: int, paths: list[Path], skip: list[Path]) -> None:  # worker
        unique = scan_paths(paths, skip)
        self._relay.emit_safely("scanned", batch_id, unique)
        relay = self._relay

        def probe_one(path: Path) -> None:  # worker
            try:
                outcome: Any = probe(path)
            except MediaProbeError as exc:
                outcome = exc
            except Exception as exc:  # noqa: BLE001 - reported, never raised in a worker
                outcome = MediaProbeError(path, f"{type(exc).__name__}: {exc}")
            relay.emit_safely("probed", batch_id, str(path), outcome)

        for path in unique:
            try:
                self._pool.submit(probe_one, path)
            except RuntimeError:  # shut down
                return

    def _on_scanned(self, batch_id: int, files: list[Path]) -> None:
        batch = self._batches.get(batch_id)
        if batch is None:
            return
        batch.files = files
        self._set_status()
        self._maybe_commit(batch_id)

    def _on_probed(self, batch_id: int, path: str, outcome: Any) -> None:
        batch = self._batches.get(batch_id)
        if batch is None:
            return
        batch.results[path] = outcome
        self._set_status()
        self._maybe_commit(batch_id)

    def _set_status(self) -> None:
        waiting = sum((len(b.files) if b.files is not None else 0) - len(b.results)
                      for b in self._batches.values())
        scanning = any(b.files is None for b in self._batches.values())
        if not self._batches:
            self.status.hide()
            return
        text = f"Reading {waiting} file{'s' if waiting != 1 else ''}…" if waiting else ""
        self.status.setText((text or "Looking for media files…") if scanning else text)
        self.status.show()

    def _maybe_commit(self, batch_id: int) -> None:
        batch = self._batches[batch_id]
        if batch.files is None or len(batch.results) < len(batch.files):
            return
        del self._batches[batch_id]
        self._set_status()
        added = self._commit(batch) if batch.project is self.ctx.project else []
        self.import_finished.emit(added)

    def _commit(self, batch: _Batch) -> list[str]:
        project = batch.project
        assert batch.files is not None
        if not batch.files:
            self.ctx.message.emit("No media files found to import.")
            return []
        plan = plan_import(project, batch.files, batch.results)
        if plan.failed:
            self.ctx.error.emit(plan.failure_text())
        if plan.duplicates and not plan.added:
            self.ctx.message.emit("Already in the bin.")
        command = import_command(project, plan)
        if command is None or not self.ctx.push(command):
            return []
        return [e["url"] for e in plan.added]

    # ------------------------------------------------------------------ remove, relink

    def remove_selected(self) -> bool:
        """Remove the selected entries from the bin (files and clips are untouched)."""
        return self.remove(self.selected_urls())

    def remove(self, urls: Iterable[str]) -> bool:
        command = remove_command(self.ctx.project, urls)
        return command is not None and self.ctx.push(command)

    def relink_dialog(self) -> None:
        """Ask for the file that replaces the selected entry's (missing) media."""
        urls = self.selected_urls()
        if len(urls) != 1:
            return
        old = Path(self.path_of(urls[0]))
        start = str(old.parent) if old.parent.is_dir() else start_dir(self.ctx.project, "media")
        path, _ = QFileDialog.getOpenFileName(self, f"Relink {old.name}", start,
                                              "All files (*)")
        if path:
            self.relink(urls[0], path)

    def relink(self, url: str, new_path: str | Path) -> bool:
        """Point the bin entry ``url`` and every clip using it at ``new_path`` (one step)."""
        try:
            command = relink_command(self.ctx.project, url, new_path)
        except (MediaProbeError, MediaNotInBin) as exc:
            self.ctx.error.emit(str(exc))
            return False
        return self.ctx.push(command)
