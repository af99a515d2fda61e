"""The director's shipped 5-shot brief through the real fal_client against the FAL
emulator: all four methods submitted once each to their models, then the emulator refusing
one shot (content policy) gives a partial scene with a slate and the reason."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from fal_emulator import DEFAULT_KEY as FAL_KEY
from fal_emulator.server import content_policy

from aladdin_studio.config import Settings
from aladdin_studio.director.brief import BRIEF_DIR
from aladdin_studio.director.service import submit_brief
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey


def _run(queue: JobQueue, project: Path, brief: Path, **options):
    job = submit_brief(queue, project, brief, max_retries=0, **options)
    deadline = time.monotonic() + 300
    while not (job := queue.store.get(job.id)).done:
        assert time.monotonic() < deadline, job.message
        time.sleep(0.1)
    return job


def test_the_brief_through_fal_for_all_four_methods(tmp_path, fal_emulator, monkeypatch):
    import shutil

    from aladdin_studio.timeline import schema as S
    from aladdin_studio.timeline.project_io import load, new_project
    from aladdin_studio.timeline.titles import is_title

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    shutil.copytree(BRIEF_DIR, tmp_path / "briefs")
    brief = tmp_path / "briefs" / "park-morning.yaml"
    project = tmp_path / "P.aladdin"
    new_project(project)
    settings = Settings(provider="fal", fal_api_key=FAL_KEY, elevenlabs_api_key="",
                        max_generations_per_hour=500)
    queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                     JobStore(tmp_path / "jobs.sqlite3"), None, settings,
                     poll_interval=0.05, backoff_base=0.01)
    consumer = EmbeddedConsumer(queue.huey, 8, queue=queue, tick=0.05)
    consumer.start()
    try:
        job = _run(queue, project, brief)
        assert job.status == "succeeded", job.error_message
        state = job.info["director"]
        report = state["report"]
        # every shot made; the emulator serves its 1 s 320x180 clip for every request, so
        # each shot honestly fails its duration (and size) check: partial, not complete
        assert [o["status"] for o in report["outputs"]] == ["done"] * 5, report["issues"]
        assert [f["shot"] for f in report["qualityFailures"]] == [1, 2, 3, 4, 5]
        assert all("duration" in f["checks"] for f in report["qualityFailures"])
        assert report["status"] == "partial"
        models = state["estimate"]["models"]
        registry = queue.registry
        endpoints = {n: registry.get(m).endpoint for n, m in models.items()}
        assert {registry.get(m).method for m in models.values()} == {
            "text-to-video", "image-to-video", "first-last-frame", "composite-to-video"}
        for endpoint in set(endpoints.values()):  # one submit per shot, through fal_client
            expected = sum(e == endpoint for e in endpoints.values())
            assert len(fal_emulator.submits(endpoint)) == expected, endpoint
        assert len(fal_emulator.submits()) == 5
        assert report["cost"]["actual"] > 0
        assert report["cost"]["actual"] == pytest.approx(report["cost"]["estimated"])
        probe = json.loads(subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", state["render"]],
            check=True, capture_output=True, text=True).stdout)
        assert sorted(s["codec_type"] for s in probe["streams"]) == ["audio", "video"]

        # the emulator refuses the bench shot (4): partial, slate, the provider's reason
        text = brief.read_text().replace("Sarah sits down on the bench",
                                         "Sarah sits down on the old bench")
        changed = brief.with_name("refused.yaml")
        changed.write_text(text)
        fal_emulator.script(endpoints["4"], [content_policy()])
        partial = _run(queue, project, changed)
        assert partial.status == "succeeded", partial.error_message
        report = partial.info["director"]["report"]
        assert report["status"] == "partial"
        assert [o["status"] for o in report["outputs"]] == ["done"] * 3 + ["failed", "done"]
        assert "content" in report["outputs"][3]["reason"].lower()
        assert len(fal_emulator.submits()) == 6  # only the changed shot was sent again
        scene = load(project).scene("Park Morning")
        video = [t for t in scene.tracks if not S.is_audio(t)][0]
        assert [is_title(c) for c in video.find_clips()] == [False] * 3 + [True, False]
    finally:
        consumer.close(10)
