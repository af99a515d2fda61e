"""Issue 11 item 3: a generation job is only run once its placeholder is saved (else it is
abandoned), and ``jobs --apply`` lands results whose clip is gone in the media bin."""

from __future__ import annotations

import json
import socket

import pytest

from aladdin_studio import cli
from aladdin_studio.config import Settings
from aladdin_studio.generation import placement as P
from aladdin_studio.jobs import JobQueue, JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.errors import ProjectFileError
from aladdin_studio.timeline.media import bin_entries


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("ALADDIN_PROVIDER", "FAL_KEY", "FAL_API_KEY", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def generate(project, *extra):
    return cli.main(["generate", str(project), "--method", "text-to-video", "--prompt",
                     "A lighthouse at dusk", "--duration", "1", "--provider", "local",
                     *map(str, extra)])


def the_only_job():
    [job] = JobStore().list()
    return job


def nothing_reruns(tmp_path) -> None:
    """What "a later run" does: a consumer's recovery must not pick the job up again."""
    settings = Settings(provider="local")
    queue = JobQueue(make_huey(settings, path=tmp_path / "later.sqlite3"), JobStore(), None,
                     settings, orphan_grace_s=0.0)
    assert queue.recover() == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_queue_abandons_the_job_and_marks_the_clip(data_dir, sample_project,
                                                                  monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    assert generate(sample_project) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "job queue cannot be reached" in err[0]
    job = the_only_job()
    assert job.status == "cancelled" and job.error_kind == "Abandoned"
    assert job.actual_cost is None and job.remote_id is None
    [(clip, job_id)] = P.find_generation_clips(project_io.load(sample_project))
    assert job_id == job.id and P.placeholder_status(clip)[0] == "failed"
    monkeypatch.delenv("REDIS_URL")
    nothing_reruns(data_dir)
    assert JobStore().get(job.id).status == "cancelled"


def test_a_failed_save_abandons_the_job(data_dir, sample_project, monkeypatch, capsys):
    before = (sample_project / "project.otio").read_bytes()

    def full_disk(*args, **kwargs):
        raise ProjectFileError("Cannot save: no space left on device.")

    monkeypatch.setattr(project_io, "save", full_disk)
    assert generate(sample_project) == 2
    assert "no space left" in capsys.readouterr().err
    job = the_only_job()
    assert job.status == "cancelled" and job.error_kind == "Abandoned"
    assert "could not be saved" in job.error_message
    assert (sample_project / "project.otio").read_bytes() == before
    monkeypatch.undo()
    nothing_reruns(data_dir)


def test_a_saved_placeholder_is_released_and_runs(data_dir, sample_project, capsys):
    assert generate(sample_project, "--wait") == 0
    job = the_only_job()
    assert job.status == "succeeded" and "held" not in job.info and job.take_applied


def test_jobs_apply_puts_results_whose_clip_is_gone_into_the_bin(data_dir, sample_project,
                                                                 capsys):
    assert generate(sample_project) == 0  # queued, placeholder saved
    job = the_only_job()
    project = project_io.load(sample_project)
    [(clip, _)] = P.find_generation_clips(project)
    clip.parent().remove(clip)  # the user deleted the placeholder, then saved
    project_io.save(project)
    settings = Settings(provider="local")
    queue = JobQueue(make_huey(settings, immediate=True), JobStore(), None, settings,
                     poll_interval=0.05)
    queue.run_job(job.id)  # a worker finishes it
    assert JobStore().get(job.id).status == "succeeded"
    capsys.readouterr()

    assert cli.main(["jobs", str(sample_project), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "Added 1 generated video(s)" in out
    entries = bin_entries(project_io.load(sample_project))
    [entry] = [e for e in entries if (e.get("generation") or {}).get("job_id") == job.id]
    assert entry["url"].startswith("media/") and entry["generation"]["prompt"]
    assert JobStore().get(job.id).take_applied
    assert cli.main(["jobs", str(sample_project), "--apply", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["jobs"][0]["take_applied"] is True
    assert len(bin_entries(project_io.load(sample_project))) == len(entries)  # once only


def test_land_finished_lands_refuses_and_confirms_each_job_once(data_dir, sample_project):
    """The landing both front ends use: a refused result is confirmed and reported, not
    offered again."""
    from aladdin_studio.generation.service import GenerationService
    from aladdin_studio.services.generation import land_finished
    from aladdin_studio.timeline.errors import LockedTrackError
    from aladdin_studio.timeline.undo import UndoStack

    assert generate(sample_project) == 0
    assert generate(sample_project) == 0
    first, second = sorted(JobStore().list(), key=lambda j: j.created_at)
    settings = Settings(provider="local")
    queue = JobQueue(make_huey(settings, immediate=True), JobStore(), None, settings,
                     poll_interval=0.05)
    for job in (first, second):
        queue.run_job(job.id)
    project = project_io.load(sample_project)
    service = GenerationService(project, queue)
    stack = UndoStack(project)

    def push(command):
        if command.job_id == second.id:
            raise LockedTrackError("Track 'V1' is locked.")
        return stack.push(command)

    landing = land_finished(service, push)
    assert landing.landed == [first.id]
    assert landing.refused == [(second.id, "Track 'V1' is locked.")]
    assert JobStore().get(first.id).take_applied and JobStore().get(second.id).take_applied
    assert land_finished(service, push).landed == []  # nothing is offered twice


def test_held_jobs_of_a_dead_submitter_are_released_or_abandoned(data_dir, sample_project):
    from aladdin_studio.generation.request import GenerationRequest
    from aladdin_studio.generation.service import GenerationService
    from aladdin_studio.timeline.undo import UndoStack

    settings = Settings(provider="local")
    queue = JobQueue(make_huey(settings, path=data_dir / "q.sqlite3"), JobStore(), None,
                     settings)
    project = project_io.load(sample_project)
    service = GenerationService(project, queue)
    saved, command = service.submit(GenerationRequest("text-to-video", "a kite", duration=1.0),
                                    hold=True)
    UndoStack(project).push(command)
    project_io.save(project)  # ... and the submitter died before releasing it
    lost, _never_pushed = service.submit(GenerationRequest("text-to-video", "a boat",
                                                           duration=1.0), hold=True)
    assert JobStore().get(saved.id).task_id is None and queue.recover() == []

    reopened = GenerationService(project_io.load(sample_project), queue)
    released, abandoned = reopened.reconcile_held(grace_s=0.0)
    assert released == [saved.id] and abandoned == [lost.id]
    assert JobStore().get(saved.id).task_id is not None  # queued for a consumer now
    assert JobStore().get(lost.id).error_kind == "Abandoned"
