"""The Director dock: a scene brief (edited as YAML, checked as you type, with its cost and
time estimate), Run, a live grid of the shots (status, progress, thumbnail, quality score,
attempts) and the department report.

Run queues the ``assemble`` job on the editor's queue (its consumer thread runs it); the
job's stages land on the editor's undo stack through ``director.edits.set_editor`` (one
step per stage, on the GUI thread, saved), so the result is ordinary clips and takes.
"From Scene" writes the brief of the scene in the timeline (timeline → brief).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aladdin_studio.director import edits
from aladdin_studio.director.brief import BRIEF_DIR, Brief, BriefError, parse_brief
from aladdin_studio.errors import AladdinError

__all__ = ["DirectorPanel"]

POLL_MS = 250
CHECK_MS = 300
COLUMNS = ("Shot", "Status", "Progress", "Preview", "Score", "Attempts")
THUMB_W = 96


def _thumbnail(path: str) -> QPixmap | None:
    """The first frame of a shot's video, small (decoded once per file)."""
    try:
        import av

        with av.open(path) as container:
            frame = next(container.decode(video=0))
            h = max(1, round(frame.height * THUMB_W / frame.width))
            rgb = frame.reformat(width=THUMB_W, height=h, format="rgb24").to_ndarray()
    except Exception:  # noqa: BLE001 - no preview; the grid still shows the status
        return None
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0],
                   QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def _shot_tip(shot: dict[str, Any]) -> str:
    """Why a shot is missing, or which quality checks it still fails and what to do."""
    if shot.get("reason"):
        return str(shot["reason"])
    if shot.get("status") == "done" and shot.get("passed") is False:
        lines = [f"Fails: {', '.join(shot.get('failed_checks') or []) or 'overall score'}"]
        lines += list(shot.get("issues") or [])[:3]
        lines += [f"Suggestion: {s}" for s in list(shot.get("suggestions") or [])[:2]]
        return "\n".join(lines)
    return ""


class DirectorPanel(QWidget):
    finished = Signal(dict)  # the report

    def __init__(self, ctx: Any, parent: QWidget | None = None, *,
                 queue: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("director-panel")
        self.ctx = ctx
        self._queue = queue
        self.brief_file: Path | None = None
        self.brief: Brief | None = None
        self.job_id: str | None = None
        self.report: dict[str, Any] | None = None
        self._thumbs: dict[str, QPixmap | None] = {}

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("director-brief")
        self.editor.setFont(QFont("monospace"))
        self.editor.setPlaceholderText("scene: My Scene\nshots:\n  - prompt: …")
        self.status = QLabel("Open a brief, or write one.")
        self.status.setObjectName("director-status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open…")
        self.example_button = QPushButton("Example")
        self.save_button = QPushButton("Save…")
        self.scene_button = QPushButton("From Scene")
        self.scene_button.setToolTip("Write the brief of the scene shown in the timeline")
        self.without_missing = QCheckBox("Continue without missing references")
        self.publish = QCheckBox("Publish")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("director-run")
        self.run_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")

        self.grid = QTableWidget(0, len(COLUMNS))
        self.grid.setObjectName("director-shots")
        self.grid.setHorizontalHeaderLabels(COLUMNS)
        self.grid.verticalHeader().setVisible(False)
        self.grid.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.report_view = QPlainTextEdit()
        self.report_view.setObjectName("director-report")
        self.report_view.setReadOnly(True)

        files = QHBoxLayout()
        for button in (self.open_button, self.example_button, self.save_button,
                       self.scene_button):
            files.addWidget(button)
        files.addStretch(1)
        run = QHBoxLayout()
        run.addWidget(self.without_missing)
        run.addWidget(self.publish)
        run.addStretch(1)
        run.addWidget(self.run_button)
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(files)
        col.addWidget(self.editor, 1)
        col.addWidget(self.status)
        col.addLayout(run)
        right = QWidget()
        col2 = QVBoxLayout(right)
        col2.setContentsMargins(0, 0, 0, 0)
        col2.addWidget(self.progress)
        col2.addWidget(self.grid, 2)
        col2.addWidget(QLabel("Report"))
        col2.addWidget(self.report_view, 1)
        split = QSplitter(Qt.Orientation.Vertical)  # fits the narrow dock column
        split.addWidget(left)
        split.addWidget(right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_MS)
        self._check_timer.timeout.connect(self.check)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self.editor.textChanged.connect(self._check_timer.start)
        self.open_button.clicked.connect(self.open_dialog)
        self.example_button.clicked.connect(
            lambda: self.load_file(BRIEF_DIR / "park-morning.yaml"))
        self.save_button.clicked.connect(self.save_dialog)
        self.scene_button.clicked.connect(self.from_scene)
        self.run_button.clicked.connect(self.run)
        # The director's stages for the project open here land on this editor's undo stack,
        # whoever queued the job (this dock, the CLI's queue, the in-process API).
        edits.set_editor(_Bridge(self))
        ctx.project_replaced.connect(lambda _p: self.follow_unfinished())
        QTimer.singleShot(0, self.follow_unfinished)

    def follow_unfinished(self) -> str | None:
        """An assemble job of this project left running (the editor was closed or killed)
        resumes on the editor's queue and is followed here; returns its id."""
        from aladdin_studio.jobs.store import ACTIVE

        location = getattr(self.ctx.project, "location", None)
        if self.job_id is not None or location is None:
            return None
        try:
            jobs = self.queue.store.list(str(location.file), limit=5, kind="assemble",
                                         status=ACTIVE)
        except Exception:  # noqa: BLE001 - no ledger: nothing to follow
            return None
        if not jobs:
            return None
        self.job_id = jobs[0].id
        self.status.setText("Continuing the scene assembly left unfinished…")
        self._update_run()
        ensure = getattr(self.ctx.generation, "ensure_consumer", None)
        if ensure is not None:
            ensure()
        self._poll.start()
        return self.job_id

    # ------------------------------------------------------------------ the brief

    @property
    def queue(self) -> Any:
        return self._queue if self._queue is not None else self.ctx.generation.queue

    def _base_dir(self) -> Path:
        if self.brief_file is not None:
            return self.brief_file.absolute().parent
        location = getattr(self.ctx.project, "location", None)
        return location.root if location is not None else Path.cwd()

    def load_file(self, path: str | Path) -> None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.status.setText(f"Cannot read {path}: {exc.strerror}")
            return
        self.brief_file = path
        self.editor.setPlainText(text)
        self.check()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Scene Brief", str(self._base_dir()),
                                              "Scene briefs (*.yaml *.yml *.json)")
        if path:
            self.load_file(path)

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save Scene Brief", str(self._base_dir()),
                                              "Scene briefs (*.yaml *.yml *.json)")
        if path:
            from aladdin_studio.files import atomic_path

            with atomic_path(path) as tmp:
                tmp.write_text(self.editor.toPlainText(), encoding="utf-8")
            self.brief_file = Path(path)

    def from_scene(self) -> None:
        """The brief of the scene shown in the timeline (timeline → brief)."""
        from aladdin_studio.director.from_scene import brief_from_scene

        scene = self.ctx.scene
        if scene is None:
            return
        self.brief_file = None
        try:
            brief = brief_from_scene(self.ctx.project, scene, self._base_dir())
        except AladdinError as exc:
            self.status.setText(str(exc))
            return
        self.editor.setPlainText(brief.to_yaml())
        self.check()

    def check(self) -> Brief | None:
        """Validate the text (errors by line) and show the estimate."""
        from aladdin_studio.director.assess import assess

        self._check_timer.stop()
        text = self.editor.toPlainText()
        self.brief = None
        if not text.strip():
            self.status.setText("Open a brief, or write one.")
            self._update_run()
            return None
        try:
            brief = parse_brief(text, base_dir=self._base_dir())
            assessment = assess(brief, self.ctx.project, self.queue)
        except BriefError as exc:
            lines = "\n".join(str(p) for p in exc.problems[:8])
            self.status.setText(f"<span style='color:#e06c4c'>{len(exc.problems)} problem(s):"
                                f"</span><br>{lines.replace(chr(10), '<br>')}")
            self._update_run()
            return None
        except AladdinError as exc:
            self.status.setText(f"<span style='color:#e06c4c'>{exc}</span>")
            self._update_run()
            return None
        self.brief = brief
        notes = [str(m) for m in assessment.missing]
        notes += [f"shot {n}: {why}" for n, why in assessment.problems.items()]
        extra = "".join(f"<br><span style='color:#e0a040'>{n}</span>" for n in notes)
        self.status.setText(f"{len(brief.shots)} shot(s), about {brief.total_seconds():.0f} s"
                            f" · {assessment.summary()}{extra}")
        self.publish.setChecked(brief.publish)
        self._fill_grid([{"index": i, "name": s.get("name") or f"Shot {i}",
                          "status": "pending", "jobs": [], "progress": 0.0}
                         for i, s in enumerate(brief.shots, start=1)])
        self._update_run()
        return brief

    def _update_run(self) -> None:
        running = self.job_id is not None
        self.run_button.setEnabled(self.brief is not None and not running)
        self.run_button.setText("Running…" if running else "Run")

    # ------------------------------------------------------------------ running

    def run(self) -> str | None:
        """Save the project, queue the assemble job, start following it."""
        from aladdin_studio.director.service import submit_brief

        brief = self.check()
        project = self.ctx.project
        if brief is None or self.job_id is not None:
            return None
        if project.location is None:
            self.status.setText("Save the project first: the scene's media go into its "
                                "media folder.")
            return None
        try:
            self.ctx.session.save()
            job = submit_brief(self.queue, project.location.file, brief,
                               brief_file=self.brief_file,
                               publish=self.publish.isChecked(),
                               continue_without_missing=self.without_missing.isChecked())
        except AladdinError as exc:
            self.status.setText(f"<span style='color:#e06c4c'>{exc}</span>")
            return None
        self.job_id = job.id
        self.report = None
        self.report_view.clear()
        self._update_run()
        ensure = getattr(self.ctx.generation, "ensure_consumer", None)
        if ensure is not None:
            ensure()
        self._poll.start()
        self.poll()
        return job.id

    def _edit(self, key: str, build: Any) -> Any:
        """``director.edits`` bridge: a stage of the job onto the editor's undo stack (on
        the GUI thread) and saved; another project's stages are not ours."""
        location = getattr(self.ctx.project, "location", None)
        automation = getattr(self.ctx, "automation", None)
        if location is None or str(location.file) != key or automation is None:
            return NotImplemented

        def apply(project: Any, push: Any) -> Any:
            command = build(project)
            if command is None:
                return None
            push(command)
            self.ctx.session.save()
            return command

        return automation.run_edit(apply)

    def poll(self) -> None:
        if self.job_id is None:
            return
        try:
            job = self.queue.store.get(self.job_id)
        except KeyError:
            self._stop()
            return
        state = (job.info or {}).get("director") or {}
        self.progress.setValue(int(job.progress * 1000))
        self.progress.setFormat(f"%p%  {job.message or job.status}")
        if state.get("shots"):
            self._fill_grid(state["shots"])
        if job.done:
            self._stop()
            report = state.get("report")
            if report:
                self.show_report(report, state.get("report_path"))
                scene = next((sc for sc in self.ctx.project.scenes
                              if sc.name == report.get("scene")), None)
                if scene is not None:  # show what was made
                    self.ctx.set_scene(scene)
            else:
                self.report_view.setPlainText(f"{job.status}: {job.error_message or ''}")

    def _stop(self) -> None:
        self._poll.stop()
        self.job_id = None
        self._update_run()

    def _fill_grid(self, shots: list[dict[str, Any]]) -> None:
        self.grid.setRowCount(len(shots))
        for row, shot in enumerate(shots):
            status = shot["status"]
            if status == "done" and shot.get("passed") is False:
                status = "fails quality"
            values = [f"{shot['index']}. {shot['name']}", status, None, None,
                      "" if shot.get("score") is None else f"{shot['score']:.2f}",
                      str(len(shot.get("jobs") or []))]
            for col, value in enumerate(values):
                if value is None:
                    continue
                item = self.grid.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.grid.setItem(row, col, item)
                item.setText(value)
                if col == 1:
                    item.setToolTip(_shot_tip(shot))
            bar = self.grid.cellWidget(row, 2)
            if not isinstance(bar, QProgressBar):
                bar = QProgressBar()
                bar.setRange(0, 100)
                self.grid.setCellWidget(row, 2, bar)
            bar.setValue(int(float(shot.get("progress") or 0.0) * 100))
            output = shot.get("output")
            label = self.grid.cellWidget(row, 3)
            if not isinstance(label, QLabel):
                label = QLabel()
                self.grid.setCellWidget(row, 3, label)
            if output and output not in self._thumbs:
                self._thumbs[output] = _thumbnail(output)
            pixmap = self._thumbs.get(output) if output else None
            if pixmap is not None:
                label.setPixmap(pixmap)
                self.grid.setRowHeight(row, pixmap.height() + 4)
            else:
                label.clear()

    def show_report(self, report: dict[str, Any], path: str | None = None) -> None:
        self.report = report
        lines = [f"{report['status'].upper()}: {report['summary']}",
                 f"Department quality {report['departmentQuality']:.2f} · cost estimated "
                 f"${report['cost']['estimated']:.2f}, actual ${report['cost']['actual']:.2f}"]
        for shot in report["outputs"]:
            score = "-" if shot["qualityScore"] is None else f"{shot['qualityScore']:.2f}"
            why = f" — {shot['reason']}" if shot.get("reason") else ""
            if shot.get("passed") is False and shot["status"] == "done":
                checks = ", ".join(shot.get("failedChecks") or []) or "overall score"
                why += f" — FAILS QUALITY: {checks}"
            lines.append(f"  shot {shot['shot']} {shot['name']}: {shot['status']}, "
                         f"quality {score}, {shot['attempts']} attempt(s){why}")
        lines.append("Time: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                          report["timings"].items() if v))
        lines += [f"Skipped {k}: {v}" for k, v in (report.get("skipped") or {}).items()]
        lines += [f"Issue: {i}" for i in report["issues"]]
        lines += [f"Suggestion: {s}" for s in report["suggestions"]]
        if report.get("render"):
            lines.append(f"Render: {report['render']}")
        if path:
            lines.append(f"Report: {path}")
        self.report_view.setPlainText("\n".join(lines))
        self.finished.emit(report)



class _Bridge:
    """``director.edits`` editor hook holding the panel weakly (a closed editor's panel
    takes nothing: the job then edits the project on disk)."""

    def __init__(self, panel: DirectorPanel) -> None:
        self._panel = weakref.ref(panel)

    def __call__(self, key: str, build: Any) -> Any:
        panel = self._panel()
        if panel is None:
            return NotImplemented
        try:
            return panel._edit(key, build)  # noqa: SLF001
        except RuntimeError:  # the widget is gone (its C++ side deleted)
            return NotImplemented
