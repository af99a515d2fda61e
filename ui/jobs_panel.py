"""The Jobs dock: the project's jobs of every kind from the ledger (generations and exports,
live from the generation controller), with Retry / Cancel for the selected job and the spend
so far."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..jobs.store import ACTIVE, Job, Spend
from ..services.jobs import JobsService

__all__ = ["COLUMNS", "JobsPanel", "cost_text", "status_text"]

COLUMNS = ("Method", "Prompt", "Model", "Status", "Progress", "Cost", "Created")
METHOD, PROMPT, MODEL, STATUS, PROGRESS, COST, CREATED = range(len(COLUMNS))
KEY_ROLE = Qt.ItemDataRole.UserRole
RETRYABLE = ("failed", "cancelled")


def cost_text(job: Job) -> str:
    """``$0.27`` once known, ``est. $0.27`` before; cache hits say so."""
    if job.cached_from:
        return "$0.00 (cached)"
    if job.actual_cost is not None:
        return f"${job.actual_cost:.2f}"
    return f"est. ${job.est_cost:.2f}"


def status_text(job: Job) -> str:
    if job.status == "failed":
        return f"Failed: {job.error_message or job.message or 'unknown error'}"
    if job.status == "cancelled":
        return "Cancelled"
    if job.status == "succeeded":
        return "Done" + (" (reused)" if job.cached_from else "")
    return job.message or job.status.capitalize()


def _created(ts: float) -> str:
    fmt = "%H:%M:%S" if time.time() - ts < 20 * 3600 else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.localtime(ts))


class JobsPanel(QWidget):
    """Generation jobs of the open project plus export entries, newest first."""

    def __init__(self, ctx: Any, controller: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobs")
        self.ctx = ctx
        self.controller = controller
        self.jobs: dict[str, Job] = {}
        self.exports: list[dict[str, Any]] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("jobs-table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PROMPT, QHeaderView.ResizeMode.Stretch)
        for col in (METHOD, MODEL, STATUS, COST, CREATED):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(PROGRESS, 120)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.spend_label = QLabel("")
        self.spend_label.setObjectName("jobs-spend")
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.spend_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        if controller is not None:
            controller.jobs_updated.connect(self.set_jobs)
            self.set_jobs(list(controller.jobs))
        else:
            self.set_jobs([])

    # ------------------------------------------------------------------ content

    def set_jobs(self, jobs: list[Job]) -> None:
        """Show ``jobs`` (newest first) above the export entries, keeping the selection."""
        selected = self.selected_key()
        self.jobs = {job.id: job for job in jobs}
        keys = [job.id for job in jobs] + [f"export:{i}" for i in
                                           range(len(self.exports) - 1, -1, -1)]
        if [self._key(r) for r in range(self.table.rowCount())] != keys:
            self.table.setRowCount(0)
            self.table.setRowCount(len(keys))
            for row, key in enumerate(keys):
                for col in range(len(COLUMNS)):
                    if col != PROGRESS:
                        item = QTableWidgetItem()
                        item.setData(KEY_ROLE, key)
                        self.table.setItem(row, col, item)
                bar = QProgressBar()
                bar.setRange(0, 100)
                bar.setTextVisible(True)
                self.table.setCellWidget(row, PROGRESS, bar)
        for row, key in enumerate(keys):
            if key in self.jobs:
                self._fill_job(row, self.jobs[key])
            else:
                self._fill_export(row, self.exports[int(key.split(":")[1])])
        if selected is not None:
            self.select(selected)
        self._update_spend()
        self._update_buttons()

    def _key(self, row: int) -> str | None:
        item = self.table.item(row, METHOD)
        return item.data(KEY_ROLE) if item is not None else None

    def _set(self, row: int, col: int, text: str, tip: str = "") -> None:
        item = self.table.item(row, col)
        if item.text() != text:
            item.setText(text)
        item.setToolTip(tip or text)

    def _fill_job(self, row: int, job: Job) -> None:
        if job.kind != "generation":
            self._fill_other(row, job)
            return
        request = job.request or {}
        self._set(row, METHOD, str(request.get("method", "")))
        self._set(row, PROMPT, str(request.get("prompt", "")).replace("\n", " "))
        chain = " → ".join(job.chain)
        self._set(row, MODEL, job.model, f"{job.provider}: {chain}")
        self._set(row, STATUS, status_text(job), job.error_message or job.message)
        self._set(row, COST, cost_text(job),
                  f"estimated ${job.est_cost:.2f}" + (
                      f", charged ${job.actual_cost:.2f}" if job.actual_cost is not None
                      else ""))
        self._set(row, CREATED, _created(job.created_at))
        bar = self.table.cellWidget(row, PROGRESS)
        value = 100 if job.status == "succeeded" else int(round(job.progress * 100))
        if bar.value() != value:
            bar.setValue(value)

    def _fill_other(self, row: int, job: Job) -> None:
        """A job of another kind (an export): its output, its status, no cost."""
        payload = job.payload or {}
        out = str(job.output_path or payload.get("out") or "")
        seconds = float((job.info or {}).get("duration") or 0.0)
        name = f"{Path(out).name} ({seconds:.1f} s) → {out}" if seconds else out
        self._set(row, METHOD, job.kind)
        if job.kind == "voice":  # a spoken line or sound effect: its label, and what it cost
            name = str(payload.get("label") or name)
        self._set(row, PROMPT, name, out)
        self._set(row, MODEL, job.model)
        self._set(row, STATUS, "Exported" if job.kind == "export" and job.status == "succeeded"
                  else status_text(job), job.error_message or job.message)
        self._set(row, COST, cost_text(job) if job.kind == "voice" else "")
        self._set(row, CREATED, _created(job.created_at))
        bar = self.table.cellWidget(row, PROGRESS)
        value = 100 if job.status == "succeeded" else int(round(job.progress * 100))
        if bar.value() != value:
            bar.setValue(value)

    def _fill_export(self, row: int, entry: dict[str, Any]) -> None:
        self._set(row, METHOD, "export")
        self._set(row, PROMPT, entry["name"], entry["path"])
        self._set(row, MODEL, "")
        self._set(row, STATUS, "Exported")
        self._set(row, COST, "")
        self._set(row, CREATED, _created(entry["created"]))
        bar = self.table.cellWidget(row, PROGRESS)
        bar.setValue(100)

    def add_export(self, result: Any) -> None:
        """Add a finished export (``render.export.RenderResult`` or a path): exports the
        export dialog recorded in the job ledger show as its rows; others for this session."""
        path = str(getattr(result, "path", result))
        if self.controller is not None:
            self.controller.poll()
            if any(j.kind == "export" and j.output_path == path for j in self.jobs.values()):
                return
        seconds = float(getattr(result, "duration", 0) or 0)
        self.exports.append({"path": path, "created": time.time(),
                             "name": f"{Path(path).name} ({seconds:.1f} s) → {path}"})
        self.set_jobs(list(self.jobs.values()))

    def _update_spend(self) -> None:
        spend = self.spend()
        text = f"Spent ${spend.actual:.2f} on this project"
        if spend.pending:
            text += f" · ${spend.pending:.2f} estimated for running jobs"
        self.spend_label.setText(text)

    def spend(self) -> Spend:
        """The project's spend (``services.jobs``: the one definition)."""
        location = getattr(self.ctx.project, "location", None)
        store = getattr(self.controller, "store", None)
        if store is None or location is None:
            return Spend(0.0, 0.0, 0.0, 0)
        return JobsService(store).spend(location.file)

    # ------------------------------------------------------------------ selection, buttons

    def selected_key(self) -> str | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self._key(min(rows)) if rows else None

    def selected_job(self) -> Job | None:
        key = self.selected_key()
        return self.jobs.get(key) if key is not None else None

    def select(self, key: str) -> bool:
        for row in range(self.table.rowCount()):
            if self._key(row) == key:
                if self.selected_key() != key:
                    self.table.selectRow(row)
                return True
        return False

    def row_of(self, job_id: str) -> int:
        for row in range(self.table.rowCount()):
            if self._key(row) == job_id:
                return row
        return -1

    def cell_text(self, job_id: str, column: str) -> str:
        """The text shown for ``job_id`` in ``column`` (a name from :data:`COLUMNS`)."""
        row = self.row_of(job_id)
        col = COLUMNS.index(column)
        if col == PROGRESS:
            return f"{self.table.cellWidget(row, col).value()} %"
        return self.table.item(row, col).text()

    def _update_buttons(self) -> None:
        job = self.selected_job()
        has = self.controller is not None and job is not None
        self.retry_button.setEnabled(has and job.status in RETRYABLE)
        self.cancel_button.setEnabled(has and job.status in ACTIVE
                                      and not job.info.get("external"))

    def retry_selected(self) -> None:
        job = self.selected_job()
        if job is not None and self.controller is not None:
            self.controller.retry(job.id)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None and self.controller is not None:
            self.controller.cancel(job.id)
