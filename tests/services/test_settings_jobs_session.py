"""Settings, jobs (spend: one definition), regenerate-from-provenance and project sessions
at the service level."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import keyring
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from memory_keyring import MemoryKeyring  # noqa: E402

from aladdin_studio.config import ENV_VARS, ConfigError, Settings, load_settings  # noqa: E402
from aladdin_studio.generation import placement as P  # noqa: E402
from aladdin_studio.generation.request import GenerationRequest  # noqa: E402
from aladdin_studio.jobs import JobStore  # noqa: E402
from aladdin_studio.services.generation import request_for  # noqa: E402
from aladdin_studio.services.jobs import JobsService, job_summary  # noqa: E402
from aladdin_studio.services.session import ProjectSession, ReadOnlySession  # noqa: E402
from aladdin_studio.services.settings import apply_settings  # noqa: E402
from aladdin_studio.timeline import commands as C  # noqa: E402
from aladdin_studio.timeline.project_lock import acquire  # noqa: E402


@pytest.fixture
def memory_keyring(monkeypatch):
    for names in ENV_VARS.values():
        for var in names:
            monkeypatch.delenv(var, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_settings_are_validated_as_a_whole_and_the_failing_field_is_named(
        tmp_path, memory_keyring):
    path = tmp_path / "settings.toml"
    settings = Settings()
    with pytest.raises(ConfigError) as err:
        apply_settings(settings, {"video_default_fps": 24, "redis_url": "not a url"}, path=path)
    assert err.value.field == "redis_url"
    assert not path.exists() and settings.redis_url == ""  # nothing changed
    with pytest.raises(ConfigError) as err:
        apply_settings(settings, {}, {"fal_api_key": "abc\ndef"}, path=path)
    assert err.value.field == "fal_api_key" and "control characters" in str(err.value)
    with pytest.raises(ConfigError) as err:
        apply_settings(settings, {"fal_api_key": "x"}, path=path)
    assert err.value.field == "fal_api_key"

    apply_settings(settings, {"video_default_fps": 30}, {"fal_api_key": "fal-key-123456"},
                   path=path)
    assert settings.video_default_fps == 30 and settings.fal_api_key == "fal-key-123456"
    assert settings.source("fal_api_key") == "keyring"
    text = path.read_text()
    assert "video_default_fps = 30" in text and "fal-key" not in text
    assert load_settings(env={}, path=path).fal_api_key == "fal-key-123456"
    apply_settings(settings, {}, {"fal_api_key": None}, path=path)
    assert settings.fal_api_key == "" and load_settings(env={}, path=path).fal_api_key == ""


def test_spend_has_one_definition(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    jobs = JobsService(store)
    project = tmp_path / "P.aladdin" / "project.otio"
    other = tmp_path / "Q.aladdin" / "project.otio"

    def new(path, **values):
        return store.create(project=str(path), payload={"method": "text-to-video"},
                            chain=["m"], **values)

    paid = new(project, est_cost=0.5)
    store.update(paid.id, status="failed", actual_cost=0.27)  # failed after being billed
    new(project, est_cost=1.0)  # still queued
    new(project, status="succeeded", cached_from=paid.id, est_cost=0.5)  # reused: free
    new(other, est_cost=9.0)
    store.create(kind="export", project=str(project), payload={}, status="succeeded",
                 actual_cost=0.0)
    spend = jobs.spend(project)
    assert (spend.estimated, spend.actual, spend.pending, spend.jobs) == (1.5, 0.27, 1.0, 3)
    assert spend.to_dict() == {"estimated": 1.5, "actual": 0.27}
    assert jobs.spend().estimated == 10.5  # every project
    assert jobs.spend(project, since=time.time() + 1).jobs == 0
    assert [j.kind for j in jobs.list(project)] == ["export", "generation", "generation",
                                                    "generation"]
    assert job_summary(jobs.list(project, kind="export")[0])["kind"] == "export"


def test_regenerate_finds_the_request_in_provenance_or_the_job(tmp_path):
    request = GenerationRequest("image-to-video", "waves", image=tmp_path / "gone.png")
    clip = P.placeholder_clip(request, "job-1", 24.0)
    jobs = {"job-1": type("J", (), {"request": request.to_dict()})()}
    found = request_for(clip, jobs.get)
    assert found.prompt == "waves" and found.method == "image-to-video"
    assert found.image is None  # the file is gone: the user picks it again
    assert request_for(clip, {}.get) is None


def test_a_session_holds_the_writer_lock_and_read_only_refuses_edits(sample_project):
    reader = ProjectSession.open(sample_project)
    scene = reader.project.scenes[0]
    with pytest.raises(ReadOnlySession):
        reader.push(C.RenameItem(scene.tracks[0], "X"))
    with pytest.raises(ReadOnlySession):
        reader.save()

    with ProjectSession.open(sample_project, writer="aladdin-studio import") as writer:
        holder = writer.project.scenes[0].tracks[0]
        writer.push(C.RenameItem(holder, "Edited"))
        assert writer.dirty
        writer.undo()
        assert holder.name != "Edited"
        writer.redo()
        assert writer.autosave().name == "project.otio.recovery"
        writer.save()
        assert not writer.dirty
    lock = acquire(sample_project, "check", wait_s=0)  # released on close
    lock.release()
    again = ProjectSession.open(sample_project)
    assert again.project.scenes[0].tracks[0].name == "Edited"
