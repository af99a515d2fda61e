"""File ▸ Export Timeline…: the project's edit as OTIO, OTIOZ (with media), CMX 3600 EDL or
FCP 7 XML, through ``timeline.interchange.export`` (what ``aladdin-studio export`` calls,
output-path guard included); the notes it returns are shown to the user."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import AladdinError
from ..timeline.document import Project
from ..timeline.errors import TimelineError
from ..timeline.interchange import export
from .dialog_dirs import remember_dir, start_dir
from .editor_context import EditorContext

#: format → (label, file extension)
FORMAT_LABELS = {
    "otio": ("OpenTimelineIO (.otio)", "otio"),
    "otioz": ("OpenTimelineIO with media (.otioz)", "otioz"),
    "edl": ("CMX 3600 EDL (.edl)", "edl"),
    "fcpxml": ("Final Cut Pro 7 XML (.xml)", "xml"),
}
ALL_SCENES = "\0all"
EXTENSION_FORMATS = {ext: fmt for fmt, (_label, ext) in FORMAT_LABELS.items()}


class ExportTimelineDialog(QDialog):
    """Format, scene and file; :meth:`export_to` does the work (tests call it directly)."""

    exported = Signal(str, list)  # path, notes (also after a background export)

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Timeline")
        self.setObjectName("export-timeline-dialog")
        self.ctx = ctx
        self.result_box: QMessageBox | None = None
        self.pending: Future | None = None  # a background export
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-timeline")
        pool = self._pool
        self.destroyed.connect(lambda *_: pool.shutdown(wait=False))
        self._poll = QTimer(self, interval=100)
        self._poll.timeout.connect(self._check)
        self.format = QComboBox()
        for fmt, (label, _ext) in FORMAT_LABELS.items():
            self.format.addItem(label, fmt)
        self.scene = QComboBox()
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Scene", self.scene)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._export_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    @property
    def fmt(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self, *_: Any) -> None:
        current = self.scene.currentData()
        self.scene.clear()
        scenes = self.ctx.project.scenes
        if self.fmt == "otio" and len(scenes) > 1:
            self.scene.addItem("All scenes", ALL_SCENES)
        for scene in scenes:
            self.scene.addItem(scene.name, scene.name)
        wanted = current if current is not None else (
            self.ctx.scene.name if self.ctx.scene is not None else None)
        index = self.scene.findData(wanted)
        self.scene.setCurrentIndex(max(0, index))
        self.hint.setText({
            "otio": "The edit with absolute media paths, for other OTIO tools.",
            "otioz": "One file holding the edit and the media files it uses.",
            "edl": "One video and two audio tracks; transitions become dissolves.",
            "fcpxml": "For Premiere, Resolve and Final Cut Pro 7 (XML interchange).",
        }[self.fmt])
        ext = FORMAT_LABELS[self.fmt][1]
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(f".{ext}")))

    def _browse(self) -> None:
        label, ext = FORMAT_LABELS[self.fmt]
        suggested = self.path.text().strip() or str(
            Path(start_dir(self.ctx.project, "interchange")) / f"{self.ctx.project.name}.{ext}")
        path, _ = QFileDialog.getSaveFileName(self, "Export Timeline", suggested,
                                              f"{label};;All files (*)")
        if path:
            if not path.lower().endswith(f".{ext}"):
                path += f".{ext}"
            self.path.setText(path)

    def chosen(self) -> tuple[str, str]:
        """(format, path) to export: a known extension typed in the file name decides the
        format; without one, the chosen format's extension is added."""
        path = self.path.text().strip()
        if not path:
            return self.fmt, path
        ext = Path(path).suffix.lower().lstrip(".")
        if ext in EXTENSION_FORMATS:
            return EXTENSION_FORMATS[ext], path
        return self.fmt, f"{path}.{FORMAT_LABELS[self.fmt][1]}"

    def _export_clicked(self) -> None:
        fmt, path = self.chosen()
        self.export_to(fmt, path, self.scene.currentData(), background=True)

    def export_to(self, fmt: str, path: str, scene: str | None = None, *,
                  background: bool = False) -> list[str] | None:
        """Export; shows the notes (or the error) in a message box and closes the dialog.
        Returns the notes, None when refused. With ``background`` the writing (an OTIOZ
        copies every media file) runs on a worker thread from a snapshot of the document,
        so the editor stays responsive; the result arrives through ``exported``
        and this returns None at once."""
        if not path:
            self._show(QMessageBox.Icon.Warning, "Choose a file to export to.")
            return None
        scene_name = None if scene in (None, ALL_SCENES) else scene
        project = self.ctx.project
        snapshot = Project(project.collection.clone(), project.location, project.name)
        future: Future = self._pool.submit(export, snapshot, fmt, path, scene_name)
        if not background:
            futures_wait([future])
            return self._finish(fmt, path, future)
        future.request = (fmt, path)  # type: ignore[attr-defined]
        self.pending = future
        self.export_button.setEnabled(False)
        self.hint.setText(f"Exporting to {path}…")
        self.setCursor(Qt.CursorShape.BusyCursor)
        self._poll.start()
        return None

    def _check(self) -> None:
        future = self.pending
        if future is None or not future.done():
            return
        self._poll.stop()
        self.pending = None
        self.unsetCursor()
        self.export_button.setEnabled(True)
        fmt, path = future.request  # type: ignore[attr-defined]
        self._format_changed()
        self._finish(fmt, path, future)

    def _finish(self, fmt: str, path: str, future: Future) -> list[str] | None:
        try:
            notes = future.result()
        except (AladdinError, TimelineError, OSError) as exc:
            self._show(QMessageBox.Icon.Warning, f"Could not export the timeline: {exc}")
            return None
        remember_dir("interchange", path)
        text = f"Exported {FORMAT_LABELS[fmt][0].split(' (')[0]} to {path}."
        if notes:
            text += "\n\nNotes:\n" + "\n".join(f"• {note}" for note in notes)
        self._show(QMessageBox.Icon.Information, text)
        self.exported.emit(path, list(notes))
        self.ctx.message.emit(f"Exported the timeline to {path}")
        if self.isVisible():
            self.accept()
        return list(notes)

    def _show(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, "Export Timeline", text, QMessageBox.StandardButton.Ok,
                          self.parentWidget() or self)
        box.setObjectName("export-timeline-result")
        self.result_box = box
        box.open()
