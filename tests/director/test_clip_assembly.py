"""The ``assemble_clips`` job (behind the API's clips body): spoken lines voiced through the
voice service and placed once, also when the job runs again after a restart; cancelling it
cancels its voice lines, also while it is parked (one worker). Real queue, consumer, espeak-ng
voices and render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waits import wait_for as _wait

from aladdin_studio.config import Settings


@pytest.fixture
def talk_project(tmp_path: Path, sample_master: Path) -> Path:
    """A 320x180 project whose scene 'Talk' holds 1 s of picture; character Ann."""
    from aladdin_studio.services.session import ProjectSession
    from aladdin_studio.timeline import commands as C
    from aladdin_studio.timeline.media import clip_for_media
    from aladdin_studio.timeline.project_io import new_project
    from aladdin_studio.voice.service import VoiceService

    path = tmp_path / "Talk.aladdin"
    new_project(path, size=(320, 180))
    with ProjectSession.open(path, writer="test") as session:
        scene = session.project.scenes[0]
        session.push(C.RenameItem(scene, "Talk"))
        clip = clip_for_media(session.project, sample_master / "media" / "pattern-1.mp4",
                              scene, audio=False, seconds=1.0)
        session.push(C.AppendClip(scene.tracks[0], clip))
        session.push(VoiceService(settings=Settings()).assign_command(session.project, "Ann",
                                                                      None))
        session.save()
    return path


@pytest.fixture
def queue_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``queue_with(workers)``: a queue over a private ledger with a running consumer."""
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    consumers: list[Any] = []

    def make(workers: int) -> Any:
        settings = Settings(provider="local", elevenlabs_api_key="",
                            max_generations_per_hour=500)
        queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                         JobStore(tmp_path / "jobs.sqlite3"), None, settings,
                         backoff_base=0.01, poll_interval=0.02)
        consumer = EmbeddedConsumer(queue.huey, workers, queue=queue, tick=0.05)
        consumer.start()
        consumers.append(consumer)
        return queue

    yield make
    for consumer in consumers:
        consumer.close(10)


def _payload(project: Path, tmp_path: Path) -> Any:
    from aladdin_studio.director.clip_assembly import ClipAssemblyPayload
    from aladdin_studio.render.presets import get_preset
    from aladdin_studio.services.render import ExportPayload

    export = ExportPayload(str(project / "project.otio"), str(tmp_path / "talk.mp4"),
                           get_preset("draft"), scene="Talk")
    return ClipAssemblyPayload("Talk", export.to_dict(), [
        {"character": "Ann", "text": "Hello there.", "at": 0.25, "emotion": ""}])


def _dialogue(project: Path) -> list[Any]:
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.timeline.project_io import load

    scene = next(s for s in load(project).scenes if s.name == "Talk")
    track = next(t for t in scene.tracks if S.is_audio(t)
                 and S.track_role(t) == S.TrackRole.DIALOGUE)
    return list(track.find_clips())


def test_lines_are_placed_once_even_when_the_job_runs_again(talk_project, queue_with,
                                                             tmp_path):
    queue = queue_with(2)  # the assembly waits for its voice line on the other worker
    job = queue.submit(_payload(talk_project, tmp_path), talk_project / "project.otio")
    done = _wait(lambda: (j := queue.store.get(job.id)).done and j, 120, "the assembly")
    assert done.status == "succeeded", done.error_message
    assert done.info["voicing"]["placed"] and done.info["assembly"]["sceneId"] == "Talk"
    assert Path(done.output_path).is_file()
    [line] = _dialogue(talk_project)
    voice_jobs = queue.store.list(kind="voice")
    assert len(voice_jobs) == 1

    # the same job found again after a restart (its state kept in the ledger row)
    again = queue.store.create(kind="assemble_clips", project=job.project,
                               payload=dict(job.payload), info={"voicing":
                                                                done.info["voicing"]})
    queue.enqueue(again.id)
    rerun = _wait(lambda: (j := queue.store.get(again.id)).done and j, 120, "the re-run")
    assert rerun.status == "succeeded", rerun.error_message
    assert len(_dialogue(talk_project)) == 1  # not placed twice
    assert len(queue.store.list(kind="voice")) == 1  # nor voiced again


class _HeldVoice:
    """The real voice provider whose lines start, then wait for ``release`` (60 s at most)."""

    def __init__(self, real: Any) -> None:
        import threading

        self.real = real
        self.release = threading.Event()

    def speak(self, request: Any, out: Any) -> Any:
        self.release.wait(60)
        return self.real.speak(request, out)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancelling_the_assembly_cancels_its_voice_lines(talk_project, queue_with, tmp_path,
                                                         monkeypatch, workers):
    """1 worker: the assembly is parked (its worker handed to the line) when cancelled;
    2 workers: it waits in its own thread while the line runs on the other one."""
    from aladdin_studio.voice import jobs as voice_jobs

    real = voice_jobs.get_provider
    held: list[_HeldVoice] = []

    def provider(name: str, settings: Any) -> Any:
        held.append(_HeldVoice(real(name, settings)))
        return held[-1]

    monkeypatch.setattr(voice_jobs, "get_provider", provider)
    queue = queue_with(workers)
    job = queue.submit(_payload(talk_project, tmp_path), talk_project / "project.otio")
    try:
        voice = _wait(lambda: [v for v in queue.store.list(kind="voice")
                               if v.status == "running"], 60, "the line to start")[0]
        if workers == 1:
            _wait(lambda: queue.store.get(job.id).worker is None, 60,
                  "the assembly to hand its worker to the line")
        queue.cancel(job.id)
        assert queue.store.get(voice.id).status == "cancelled"
    finally:
        for one in held:
            one.release.set()
    assert queue.store.get(job.id).status == "cancelled"
    assert _dialogue(talk_project) == []
