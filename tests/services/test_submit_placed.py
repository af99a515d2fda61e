"""services.generation.submit_placed: the one submit sequence of the editor and the CLI (held
job → placement pushed → saved → released); a refusal or failed save abandons the job."""

from __future__ import annotations

import pytest

from aladdin_studio.config import Settings
from aladdin_studio.generation import placement as P
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import JobQueue, JobStore, make_huey
from aladdin_studio.services.generation import GenerationService, submit_placed
from aladdin_studio.services.session import ProjectSession
from aladdin_studio.timeline.errors import InvalidEditError, ProjectFileError


@pytest.fixture
def service_for(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in ("ALADDIN_PROVIDER", "FAL_KEY", "FAL_API_KEY", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    settings = Settings(provider="local")

    def make(project):
        queue = JobQueue(make_huey(settings), JobStore(), None, settings)
        return GenerationService(project, queue)

    return make


REQUEST = GenerationRequest("text-to-video", "A lighthouse at dusk", duration=1)


def test_placed_and_saved_then_released(service_for, sample_project):
    with ProjectSession.open(sample_project, writer="test") as session:
        service = service_for(session.project)
        scene = session.project.scenes[0]
        job = submit_placed(service, REQUEST, session.push, save=session.save, scene=scene)
        assert "held" not in (job.info or {}) and job.status == "queued"
        assert not session.dirty  # saved before the release
        [(clip, job_id)] = P.find_generation_clips(session.project)
        assert job_id == job.id and P.is_placeholder(clip)


def test_a_refused_placement_abandons_the_job(service_for, sample_project):
    with ProjectSession.open(sample_project, writer="test") as session:
        service = service_for(session.project)

        def refuse(command):
            raise InvalidEditError("Track 'V1' is locked.")

        with pytest.raises(InvalidEditError):
            submit_placed(service, REQUEST, refuse, scene=session.project.scenes[0])
        [job] = JobStore().list()
        assert job.status == "cancelled" and job.error_kind == "Abandoned"
        assert job.error_message == "Track 'V1' is locked."
        assert P.find_generation_clips(session.project) == []


def test_a_failed_save_abandons_the_job_and_says_so(service_for, sample_project):
    with ProjectSession.open(sample_project, writer="test") as session:
        service = service_for(session.project)

        def full_disk():
            raise ProjectFileError("Cannot save: no space left on device.")

        with pytest.raises(ProjectFileError):
            submit_placed(service, REQUEST, session.push, save=full_disk,
                          scene=session.project.scenes[0])
        [job] = JobStore().list()
        assert job.status == "cancelled"
        assert job.error_message.startswith("the placeholder could not be saved: Cannot save")


def test_before_release_runs_while_held_after_the_save_and_its_failure_abandons(
        service_for, sample_project):
    """The hook a front end needs at that point (the API subscribes a request's webhook):
    called once the placeholder is saved and before the job may run."""
    with ProjectSession.open(sample_project, writer="test") as session:
        service = service_for(session.project)
        scene = session.project.scenes[0]
        seen = []

        def hook(job):
            seen.append((job.id, JobStore().get(job.id).info.get("held"), session.dirty))

        job = submit_placed(service, REQUEST, session.push, save=session.save,
                            before_release=hook, scene=scene)
        assert seen == [(job.id, True, False)]  # held, and the placeholder already saved
        assert job.status == "queued" and "held" not in job.info

        def broken(job):
            raise OSError("the subscription file cannot be written")

        with pytest.raises(OSError):
            submit_placed(service, REQUEST, session.push, save=session.save,
                          before_release=broken, scene=scene)
        [abandoned] = [j for j in JobStore().list() if j.id != job.id]
        assert abandoned.status == "cancelled" and abandoned.error_kind == "Abandoned"
        assert abandoned.error_message == "the subscription file cannot be written"
