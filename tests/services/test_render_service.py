"""Exports are jobs in the one ledger: queued ones run in the export worker process through
the queue; ones the editor runs itself are recorded; both are listed after a restart."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from pathlib import Path

import av
import pytest
from waits import wait_job_done as wait_done

from aladdin_studio.config import Settings
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.render.presets import get_preset
from aladdin_studio.render.worker import ExportProcess, ExportRequest
from aladdin_studio.services.render import ExportPayload, start_export
from aladdin_studio.timeline import project_io

TINY = replace(get_preset("draft"), size=(160, 90))


def test_payload_survives_json(tmp_path):
    payload = ExportPayload(str(tmp_path / "P.aladdin"), str(tmp_path / "o.mp4"), TINY,
                            scene="Scene 1", time_range=(0.0, 1.5))
    assert ExportPayload.from_dict(payload.to_dict()) == payload


def test_a_queued_export_runs_through_the_queue_into_the_ledger(sample_project, tmp_path):
    settings = Settings(provider="local")
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "q.sqlite3"), store, None, settings,
                     poll_interval=0.05)
    project_file = project_io.load(sample_project).location.file
    out = tmp_path / "queued.mp4"
    job = queue.submit(ExportPayload(str(project_file), str(out), TINY,
                                     time_range=(0.0, 0.5)), project_file)
    assert job.kind == "export" and job.status == "queued"
    with EmbeddedConsumer(queue.huey, 1, queue=queue, tick=0.05):
        done = wait_done(store, job.id)
    assert done.status == "succeeded", done.error_message
    assert done.output_path == str(out) and done.progress == 1.0
    with av.open(str(out)) as container:
        assert container.streams.video[0].width == 160
    assert done.info["frames"] == 12  # 0.5 s at 24 fps
    # a restart: a new store on the same file still lists it for the project
    again = JobStore(tmp_path / "jobs.sqlite3").list(project=str(project_file))
    assert [(j.id, j.kind, j.status) for j in again] == [(job.id, "export", "succeeded")]


def test_an_export_run_by_the_editor_is_recorded_with_its_outcome(sample_project, tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    project = project_io.load(sample_project)
    out = tmp_path / "editor.mp4"
    request = ExportRequest(project_io.serialize(project), str(project.location.file),
                            str(out), TINY, time_range=(0.0, 0.5))
    process = ExportProcess(request)
    record = start_export(store, request)
    running = store.get(record.job_id)
    assert running.kind == "export" and running.status == "running"
    assert running.project == str(project.location.file)
    process.start().wait(timeout=60)
    job = record.finish(process)
    assert job.status == "succeeded" and job.output_path == str(out) and job.worker is None
    assert Path(job.output_path).is_file()

    failed = start_export(store, replace(request, out=str(tmp_path / "missing" / "x.mp4")))
    broken = ExportProcess(replace(request, out=str(tmp_path / "missing" / "x.mp4")))
    with pytest.raises(Exception):  # noqa: B017 - the message is checked below
        broken.start().wait(timeout=60)
    job = failed.finish(broken)
    assert job.status == "failed" and job.error_message == broken.error


def test_an_export_whose_owner_died_is_marked_interrupted(tmp_path):
    settings = Settings(provider="local")
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "q.sqlite3"), store, None, settings)
    job = store.create(kind="export", project="/p/P.aladdin",
                       payload=ExportPayload(None, "/o.mp4", TINY).to_dict(),
                       status="running", worker=f"{socket.gethostname()}:999999999:1",
                       heartbeat=time.time(), info={"external": True})
    queue.recover()
    job = store.get(job.id)
    assert job.status == "failed" and job.error_kind == "Interrupted"


def test_render_project_checks_the_output_then_renders(sample_project, tmp_path):
    from aladdin_studio.errors import AladdinError
    from aladdin_studio.render.presets import PresetError
    from aladdin_studio.services.render import preset_for, render_project
    from aladdin_studio.timeline.output_guard import OutputPathError

    assert preset_for(None, Settings(video_default_resolution="1280x720")).size == (1280, 720)
    assert preset_for("720p").name == "720p"
    with pytest.raises(PresetError, match="Unknown preset 'imax'") as err:
        preset_for("imax")
    assert isinstance(err.value, AladdinError) and isinstance(err.value, KeyError)
    project = project_io.load(sample_project)
    with pytest.raises(OutputPathError):
        render_project(project, project.location.file, TINY)
    result = render_project(project, tmp_path / "cut.mp4", TINY, time_range=(0.0, 0.5))
    assert result.frames == 12 and (tmp_path / "cut.mp4").is_file()
