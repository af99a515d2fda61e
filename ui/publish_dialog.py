"""File ▸ Publish…: a scene's render, the selected clips or all generated media to R2 or the
local publish folder. The work is a ``publish`` job in the editor's queue (a consumer thread,
never the GUI thread); this dialog polls the job ledger for per-file progress, then lists
the URLs with Copy and Open."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..publish.job_kind import PublishPayload
from ..publish.r2 import r2_configured
from ..timeline import schema as S

__all__ = ["PublishDialog"]

POLL_MS = 200
COLUMNS = ("File", "Status", "Progress", "URL")


class PublishDialog(QDialog):
    published = Signal(dict)  # the PublishResult as a dict

    def __init__(self, ctx: Any, parent: QWidget | None = None, *, queue: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Publish")
        self.setObjectName("publish-dialog")
        self.resize(820, 460)
        self.ctx = ctx
        self.queue = queue if queue is not None else ctx.generation.queue
        self.job_id: str | None = None
        self.result: dict[str, Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

        self.scene = QComboBox()
        for scene in ctx.project.scenes:
            self.scene.addItem(scene.name, S.get(scene, "id") or scene.name)
        current = getattr(ctx, "scene", None)
        if current is not None and current.name in [s.name for s in ctx.project.scenes]:
            self.scene.setCurrentText(current.name)
        self.what = QButtonGroup(self)
        self.render_now = QRadioButton("Scene render: render now")
        self.render_file = QRadioButton("Scene render: existing file")
        self.selected = QRadioButton("Selected clips")
        self.generated = QRadioButton("All generated media of the scene")
        for i, button in enumerate((self.render_now, self.render_file, self.selected,
                                    self.generated)):
            self.what.addButton(button, i)
        self.render_now.setChecked(True)
        self.preset = QComboBox()
        self.preset.addItems(["1080p24", "720p", "vertical", "draft", "prores"])
        self.file = QLineEdit()
        self.file.setPlaceholderText("a render of the scene (renders/…)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file)
        file_row.addWidget(browse)
        self.with_media = QComboBox()
        self.with_media.addItems(["render only", "with generated clips", "with all media"])
        self.destination = QComboBox()
        self.destination.addItem("Cloudflare R2", "r2")
        self.destination.addItem("Local publish folder", "local")
        if not r2_configured(self.queue.settings):
            self.destination.model().item(0).setEnabled(False)
            self.destination.setItemData(0, "R2 is not configured (Settings)",
                                         Qt.ItemDataRole.ToolTipRole)
            self.destination.setCurrentIndex(1)

        form = QFormLayout()
        form.addRow("Scene", self.scene)
        for button in (self.render_now, self.render_file, self.selected, self.generated):
            form.addRow(button)
        form.addRow("Preset", self.preset)
        form.addRow("Render file", file_row)
        form.addRow("Clips", self.with_media)
        form.addRow("Destination", self.destination)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("publish-files")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.publish_button = QPushButton("Publish")
        self.publish_button.setDefault(True)
        self.publish_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel Publish")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.clicked.connect(self.copy_url)
        self.open_button = QPushButton("Open URL")
        self.open_button.clicked.connect(self.open_url)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for b in (self.publish_button, self.cancel_button, self.copy_button, self.open_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.what.idToggled.connect(lambda *_: self._update())
        self._update()

    # ------------------------------------------------------------------ form

    def _update(self) -> None:
        choice = self.what.checkedId()
        self.preset.setEnabled(choice == 0)
        self.file.setEnabled(choice == 1)
        self.with_media.setEnabled(choice in (0, 1))
        running = self.job_id is not None and self.result is None
        self.publish_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _browse(self) -> None:
        start = str(self.ctx.project.location.renders_dir) if self.ctx.project.location else ""
        path, _ = QFileDialog.getOpenFileName(self, "Render to publish", start,
                                              "Video (*.mp4 *.mov);;All files (*)")
        if path:
            self.file.setText(path)

    def payload(self) -> PublishPayload:
        """What the form asks for (raises PublishError with the user's mistake)."""
        project = self.ctx.project
        if project.location is None:
            from ..publish.errors import PublishError

            raise PublishError("Save the project first: publishing reads the saved project.")
        choice = self.what.checkedId()
        media = {0: "none", 1: "generated", 2: "all"}[self.with_media.currentIndex()]
        clips: list[str] = []
        if choice == 2:
            clips = [S.get(c, "id") for c in self.ctx.selection
                     if type(c).__name__ == "Clip" and S.get(c, "id")]
            if not clips:
                from ..publish.errors import PublishError

                raise PublishError("Select the clips to publish on the timeline first.")
            media = "all"
        elif choice == 3:
            media = "generated"
        payload = PublishPayload(
            project=str(project.location.file), scene=self.scene.currentData(),
            render=self.file.text().strip() or None if choice == 1 else None,
            render_now=choice == 0, preset=self.preset.currentText() if choice == 0 else None,
            media=media, clips=clips, destination=self.destination.currentData())
        payload.validate()
        return payload

    # ------------------------------------------------------------------ the job

    def start(self) -> None:
        from ..errors import AladdinError

        if self.ctx.project.dirty:
            self.status.setText("Save the project first: publishing reads the saved project.")
            return
        try:
            payload = self.payload()
            job = self.queue.submit(payload, payload.project)
        except AladdinError as exc:
            self.status.setText(str(exc))
            return
        ensure = getattr(getattr(self.ctx, "generation", None), "ensure_consumer", None)
        if ensure is not None:
            ensure()
        self.job_id = job.id
        self.result = None
        self.table.setRowCount(0)
        self.status.setText("Queued…")
        self._update()
        self._timer.start()

    def cancel(self) -> None:
        if self.job_id is not None:
            self.queue.cancel(self.job_id)

    def poll(self) -> None:
        if self.job_id is None:
            return
        job = self.queue.store.get(self.job_id)
        info = job.info or {}
        files = (info.get("publish") or {}).get("files") or info.get("files") or []
        self._show_files(files)
        self.status.setText(job.message or job.status)
        if not job.done:
            return
        self._timer.stop()
        if job.status == "succeeded":
            self.result = info.get("publish") or {}
            manifest = self.result.get("manifest") or {}
            self._add_row("manifest", "published", 1.0, manifest.get("url", ""))
            self.status.setText(f"Published to {self.result.get('where')}.")
            self.published.emit(self.result)
        else:
            self.result = {}
            self.status.setText(f"Publish {job.status}: {job.error_message or job.message}")
        self._update()

    # ------------------------------------------------------------------ results

    def _show_files(self, files: list[dict[str, Any]]) -> None:
        self.table.setRowCount(0)
        for f in files:
            done = f.get("done", f.get("size", 0))
            status = f.get("status") or ("unchanged" if f.get("skipped") else "published")
            self._add_row(f.get("name") or f.get("key", ""), status,
                          done / max(int(f.get("size") or 0), 1), f.get("url") or "")

    def _add_row(self, name: str, status: str, fraction: float, url: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(status))
        bar = QProgressBar()
        bar.setRange(0, 1000)
        bar.setValue(int(min(max(fraction, 0.0), 1.0) * 1000))
        self.table.setCellWidget(row, 2, bar)
        self.table.setItem(row, 3, QTableWidgetItem(url))

    def urls(self) -> list[str]:
        return [self.table.item(r, 3).text() for r in range(self.table.rowCount())
                if self.table.item(r, 3) and self.table.item(r, 3).text()]

    def _selected_url(self) -> str:
        row = self.table.currentRow()
        item = self.table.item(row if row >= 0 else 0, 3)
        return item.text() if item is not None else ""

    def copy_url(self) -> str:
        url = self._selected_url()
        if url:
            QGuiApplication.clipboard().setText(url)
        return url

    def open_url(self) -> str:
        url = self._selected_url()
        if url:
            QDesktopServices.openUrl(QUrl(url))
        return url

    def done(self, result: int) -> None:  # noqa: D401 - QDialog's name
        self._timer.stop()
        super().done(result)



