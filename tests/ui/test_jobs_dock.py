"""The Jobs dock lists exports from the job ledger, so yesterday's exports survive a restart,
and the export dialog records the exports it runs."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from aladdin_studio.config import Settings
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.render.presets import get_preset
from aladdin_studio.render.worker import ExportProcess, ExportRequest
from aladdin_studio.services.render import start_export
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.export_dialog import ExportDialog
from aladdin_studio.ui.generation_controller import GenerationController
from aladdin_studio.ui.jobs_panel import JobsPanel

TINY = replace(get_preset("draft"), size=(160, 90))


@pytest.fixture
def controller(qtbot, ctx, tmp_path):
    made = []

    def make():
        settings = Settings(provider="local")
        gen = GenerationController(ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
                                   huey=make_huey(settings, path=tmp_path / "q.sqlite3"),
                                   settings=settings)
        made.append(gen)
        return gen

    yield make
    for gen in made:
        gen.close()


def test_yesterdays_export_is_listed_after_a_restart(qtbot, ctx, controller, tmp_path):
    out = tmp_path / "yesterday.mp4"
    request = ExportRequest(project_io.serialize(ctx.project), str(ctx.project.location.file),
                            str(out), TINY, time_range=(0.0, 0.5))
    store = JobStore(tmp_path / "jobs.sqlite3")
    process = ExportProcess(request).start()
    process.wait(timeout=60)
    record = start_export(store, request)
    job = record.finish(process)
    store.update(job.id, created_at=time.time() - 26 * 3600)

    panel = JobsPanel(ctx, controller())  # "the next day": a new editor on the same ledger
    qtbot.addWidget(panel)
    assert panel.row_of(job.id) >= 0
    assert panel.cell_text(job.id, "Method") == "export"
    assert panel.cell_text(job.id, "Status") == "Exported"
    assert panel.cell_text(job.id, "Prompt").startswith("yesterday.mp4 (0.5 s)")
    assert panel.cell_text(job.id, "Progress") == "100 %"
    assert "-" in panel.cell_text(job.id, "Created")  # a date, not only a time


def test_the_export_dialog_records_its_export(qtbot, ctx, controller, tmp_path):
    ctx.generation = gen = controller()
    dialog = ExportDialog(ctx)
    qtbot.addWidget(dialog)
    ctx.set_in_out((0, 12))
    dialog.in_out_radio.setChecked(True)
    dialog.set_output_path(tmp_path / "dialog.mp4")
    assert dialog.start_export()
    running = gen.store.list(kind="export")
    assert [j.status for j in running] == ["running"]
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.error is None, dialog.error
    [job] = gen.store.list(kind="export")
    assert job.status == "succeeded" and Path(job.output_path) == (tmp_path / "dialog.mp4")
    assert job.project == str(ctx.project.location.file)
    gen.poll()
    assert job.id in {j.id for j in gen.jobs}  # the dock's source lists it
