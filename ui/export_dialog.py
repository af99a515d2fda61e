"""File → Export Video…: pick a preset, a range and a file; render in a worker process.

The dialog never blocks the GUI thread: the scene is serialized on the GUI thread (so unsaved
edits export), the :class:`~aladdin_studio.render.worker.ExportProcess` is started from a
helper thread (spawning a process can wait on the child) and a ~100 ms :class:`QTimer` polls
it. Cancel asks the child to stop at its next frame and, if it has not stopped within
:data:`CANCEL_GRACE_S`, :meth:`ExportProcess.cancel` terminates it; either way no file is
written under the output name and the temporary ``.parts`` folder is removed.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..render.presets import PRESETS, Preset, default_preset
from ..render.worker import ExportProcess, ExportRequest
from ..timeline import project_io
from ..timeline import schema as S
from . import dialog_dirs
from .timecode import format_timecode

__all__ = ["CANCEL_GRACE_S", "POLL_MS", "ExportDialog", "default_output_path"]

POLL_MS = 100  # how often the running export is polled
CANCEL_GRACE_S = 3.0  # how long a cancelled child may take to stop before it is terminated

STAGES = {"audio": "Analysing audio loudness…", "video": "Rendering video…",
          "mux": "Writing the file…"}
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')

log = logging.getLogger(__name__)


def _load_settings() -> Any:
    """The user's settings without secrets, or the defaults if they cannot be read."""
    from ..config import ConfigError, Settings, load_settings

    try:
        return load_settings(use_keyring=False)
    except ConfigError:
        return Settings()


def _file_stem(name: str) -> str:
    stem = _UNSAFE.sub("_", name).strip(" ._")
    return stem or "export"


def default_output_path(ctx: Any, preset: Preset) -> Path:
    """``<project>/renders/<scene name><suffix>`` (or the Movies folder for unsaved projects)."""
    location = ctx.project.location
    if location is not None:
        folder = location.renders_dir
    else:
        movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
        folder = Path(movies) if movies else Path.home()
    name = ctx.scene.name if ctx.scene is not None else ctx.project.name
    return folder / f"{_file_stem(name)}{preset.suffix}"


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ExportDialog(QDialog):
    """Export the current scene (or its in/out range) to a video file."""

    finished_export = Signal(object)  # render.export.RenderResult of a successful export

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Video")
        self.setMinimumWidth(560)
        self.ctx = ctx
        self.settings = ctx.settings if ctx.settings is not None else _load_settings()
        self.process: ExportProcess | None = None
        self.record: Any = None  # services.render.ExportRecord of the running export
        self.result: Any = None
        self.error: str | None = None
        self._starter: threading.Thread | None = None
        self._start_error: str | None = None
        self._cancel_deadline: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._build()
        ctx.in_out_changed.connect(self._update_range)
        ctx.scene_changed.connect(self._scene_changed)
        self._scene_changed(ctx.scene)

    # ------------------------------------------------------------------ widgets

    def _build(self) -> None:
        form = QFormLayout()
        self.preset_combo = QComboBox()
        default = default_preset(self.settings.video_default_resolution,
                                 self.settings.video_default_fps)
        presets = list(PRESETS.values())
        if default not in presets:
            presets.insert(0, default)
        for preset in presets:
            self.preset_combo.addItem(preset.label, preset)
        remembered = dialog_dirs.remembered_preset(self.ctx.project)  # per project
        names = [p.name for p in presets]
        chosen = names.index(remembered) if remembered in names else presets.index(default)
        self.preset_combo.setCurrentIndex(chosen)
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        form.addRow("Preset:", self.preset_combo)

        self.whole_radio = QRadioButton("Whole scene")
        self.in_out_radio = QRadioButton("In/out range")
        self._range_group = QButtonGroup(self)
        self._range_group.addButton(self.whole_radio)
        self._range_group.addButton(self.in_out_radio)
        self.whole_radio.setChecked(True)
        range_row = QVBoxLayout()
        range_row.addWidget(self.whole_radio)
        range_row.addWidget(self.in_out_radio)
        form.addRow("Range:", range_row)

        self.path_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form.addRow("Output file:", path_row)

        self.stage_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%v / %m frames")
        self.progress_bar.setTextVisible(False)
        self.stats_label = QLabel("")
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.show_button = QPushButton("Show in folder")
        self.show_button.clicked.connect(self.show_in_folder)
        self.show_button.setVisible(False)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.stage_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.stats_label)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ options

    @property
    def preset(self) -> Preset:
        return self.preset_combo.currentData()

    @property
    def output_path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def set_output_path(self, path: str | os.PathLike[str]) -> None:
        self.path_edit.setText(str(path))

    def time_range(self) -> tuple[float, float] | None:
        """The range to export in seconds (half-open in/out frames), or None for all."""
        if self.in_out_radio.isChecked() and self.ctx.in_out is not None:
            first, end = self.ctx.in_out
            rate = self.ctx.rate
            return first / rate, end / rate
        return None

    def _scene_changed(self, scene: Any) -> None:
        if self.running:
            return
        self.set_output_path(default_output_path(self.ctx, self.preset))
        self.export_button.setEnabled(scene is not None)
        if scene is None:
            self._show_message("There is no scene to export.", error=True)
        self._update_range(self.ctx.in_out)

    def _update_range(self, in_out: Any = None) -> None:
        rate = self.ctx.rate
        total = self.ctx.duration_frames
        self.whole_radio.setText(f"Whole scene ({format_timecode(total, rate)})")
        in_out = self.ctx.in_out
        self.in_out_radio.setEnabled(in_out is not None and not self.running)
        if in_out is None:
            self.in_out_radio.setText("In/out range (set in and out points first)")
            if self.in_out_radio.isChecked():
                self.whole_radio.setChecked(True)
        else:
            first, end = in_out
            self.in_out_radio.setText(
                f"In/out range ({format_timecode(first, rate)} – {format_timecode(end - 1, rate)}"
                f", {format_timecode(end - first, rate)})")

    def _preset_changed(self) -> None:
        dialog_dirs.remember_preset(self.ctx.project, self.preset.name)
        text = self.path_edit.text().strip()
        if not text:
            self.set_output_path(default_output_path(self.ctx, self.preset))
            return
        path = Path(text)
        if path.suffix.lower() in {p.suffix for p in PRESETS.values()} or not path.suffix:
            self.set_output_path(path.with_suffix(self.preset.suffix))

    def browse(self) -> None:
        kind = "QuickTime movie" if self.preset.container == "mov" else "MP4 video"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export To", str(self.output_path), f"{kind} (*{self.preset.suffix})",
            options=QFileDialog.Option.DontConfirmOverwrite)  # asked when exporting
        if path:
            if not Path(path).suffix:
                path += self.preset.suffix
            self.set_output_path(path)

    # ------------------------------------------------------------------ export

    @property
    def running(self) -> bool:
        return self.process is not None and not self.process.finished

    def _check_output(self, out: Path) -> str | None:
        """The shared output rule (timeline.output_guard): never the project or its media."""
        from ..timeline.output_guard import OutputPathError, check_output_path

        try:
            check_output_path(self.ctx.project, out if self.path_edit.text().strip() else "")
        except OutputPathError as exc:
            return str(exc)
        return None

    def _confirm_overwrite(self, out: Path) -> bool:
        answer = QMessageBox.question(
            self, "Replace File?", f"'{out.name}' already exists in {out.parent}.\n"
            "Do you want to replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _scene_key(self) -> str | None:
        scene = self.ctx.scene
        if scene is None:
            return None
        return S.get(scene, "id") or scene.name

    def build_request(self) -> ExportRequest:
        """The export job for the current options (the document as it is on screen)."""
        project = self.ctx.project
        location = project.location
        return ExportRequest(
            document=project_io.serialize(project),
            project_file=str(location.file) if location is not None else None,
            out=str(self.output_path.absolute()),
            preset=self.preset,
            scene=self._scene_key(),
            time_range=self.time_range(),
            duck_db=float(getattr(self.settings, "duck_db", -12.0) or -12.0),
            cache_dir=str(location.cache_dir) if location is not None else None,
        )

    def start_export(self) -> bool:
        """Validate the options and start the export; False if it did not start."""
        if self.running or self.ctx.scene is None:
            return False
        out = self.output_path
        problem = self._check_output(out)
        if problem:
            self._show_message(problem, error=True)
            return False
        if out.exists() and not self._confirm_overwrite(out):
            return False
        self.result = self.error = self._start_error = None
        self._cancel_deadline = None
        self.process = ExportProcess(self.build_request())
        self.record = self._record(self.process.request)
        self._set_running(True)
        self.stage_label.setText("Starting the export…")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.stats_label.setText("")
        self._show_message("")
        self.show_button.setVisible(False)
        self._starter = threading.Thread(target=self._start_process, args=(self.process,),
                                         name="export-start", daemon=True)
        self._starter.start()
        self._timer.start()
        return True

    def _start_process(self, process: ExportProcess) -> None:
        try:
            process.start()
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self._start_error = f"Could not start the export: {exc or type(exc).__name__}"

    def cancel_export(self) -> None:
        """Ask the export to stop (non-blocking); the timer finishes the cancellation."""
        if not self.running or self._cancel_deadline is not None:
            return
        self._cancel_deadline = time.monotonic() + CANCEL_GRACE_S
        self.cancel_button.setEnabled(False)
        self.stage_label.setText("Cancelling…")
        if self.process is not None:
            self.process.request_cancel()  # the child checks it every frame

    def _tick(self) -> None:
        process = self.process
        if process is None:
            self._timer.stop()
            return
        if self._starter is not None and self._starter.is_alive():
            return  # still spawning the child
        if self._start_error is not None:
            process.finished = True
            process.error = self._start_error
        else:
            process.poll()
        if self._cancel_deadline is not None and not process.finished:
            if time.monotonic() >= self._cancel_deadline:
                process.cancel(grace=0.0)  # terminate; removes temporary files
        if process.progress is not None and not process.finished:
            self._show_progress(process.progress)
            if self.record is not None:
                self.record.update(process.progress.fraction,
                                   STAGES.get(process.progress.stage, process.progress.stage))
        if process.finished:
            if self._cancel_deadline is not None or process.cancelled:
                if process.result is None:
                    process.cancel(grace=0.0)  # already stopping: reap it and clean up
            self._timer.stop()
            self._finish(process)

    def _show_progress(self, p: Any) -> None:
        if self._cancel_deadline is None:
            self.stage_label.setText(STAGES.get(p.stage, p.stage))
        self.progress_bar.setRange(0, max(1, p.total))
        self.progress_bar.setValue(min(p.done, p.total))
        self.progress_bar.setTextVisible(True)
        parts = [f"{p.fraction:.0%}"]
        if p.fps:
            parts.append(f"{p.fps:.1f} fps")
        if p.eta is not None and p.stage == "video":
            parts.append(f"{_clock(p.eta)} left")
        self.stats_label.setText(" · ".join(parts))

    def _record(self, request: ExportRequest) -> Any:
        """The export's row in the job ledger (the Jobs dock lists it after a restart)."""
        store = getattr(getattr(self.ctx, "generation", None), "store", None)
        if store is None:
            return None
        from ..services.render import start_export

        try:
            return start_export(store, request)
        except Exception:  # noqa: BLE001 - a broken ledger must not stop the export
            log.exception("cannot record the export in the job ledger")
            return None

    def _finish(self, process: ExportProcess) -> None:
        self._set_running(False)
        if self.record is not None:
            self.record.finish(process)
        if process.result is not None:
            self.result = process.result
            self._show_result(process.result)
            self.finished_export.emit(process.result)
        elif process.cancelled:
            self.stage_label.setText("Cancelled")
            self.stats_label.setText("")
            self.progress_bar.setValue(0)
            self.progress_bar.setTextVisible(False)
            self._show_message("Cancelled — no file written.")
        else:
            self.error = process.error or "The export failed."
            self.stage_label.setText("Export failed")
            self._show_message(self.error, error=True)

    def _show_result(self, result: Any) -> None:
        path = Path(result.path)
        try:
            size = _human_size(path.stat().st_size)
        except OSError:
            size = "?"
        self.stage_label.setText("Done")
        self.progress_bar.setRange(0, max(1, result.frames))
        self.progress_bar.setValue(result.frames)
        self.stats_label.setText("")
        lines = [f"Wrote {path.name}: {result.duration:.2f} s of video "
                 f"({result.width}×{result.height}, {result.fps:g} fps), {size}, "
                 f"rendered in {result.seconds:.1f} s."]
        lines += list(result.notices or [])
        self._show_message("\n".join(lines))
        self.show_button.setVisible(True)

    def show_in_folder(self) -> None:
        """Open the folder of the exported file in the desktop's file manager."""
        path = Path(self.result.path) if self.result is not None else self.output_path
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    # ------------------------------------------------------------------ state

    def _set_running(self, running: bool) -> None:
        for widget in (self.preset_combo, self.whole_radio, self.path_edit,
                       self.browse_button, self.export_button):
            widget.setEnabled(not running)
        self.in_out_radio.setEnabled(not running and self.ctx.in_out is not None)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #d9534f;" if error else "")
        self.message_label.setText(text)

    def reject(self) -> None:
        """Escape / Close: cancels a running export first (the dialog stays to report it)."""
        if self.running:
            self.cancel_export()
            return
        super().reject()

    def done(self, code: int) -> None:
        if self.running:  # closing for good (e.g. accept from code): don't leave a child
            self.cancel_export()
            return
        super().done(code)
