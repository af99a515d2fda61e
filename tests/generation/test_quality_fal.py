"""Issue 15 end to end, through the real fal_client and the FAL emulator: a generated shot
whose result is frozen is verified as the job's last step, marked failing with the reason
on its take, regenerated once automatically with the suggestion in the new request (the
better take active, both kept), and ``aladdin-studio verify`` gives the same verdict; the
reports survive save and reopen."""

from __future__ import annotations

import json

from fal_emulator import DEFAULT_KEY as FAL_KEY
from fal_emulator import completes, frozen_mp4, off_model_mp4
from waits import wait_job_done as wait_done

from aladdin_studio import cli
from aladdin_studio.config import Settings
from aladdin_studio.generation import placement as P
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.generation.service import GenerationService
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.quality.takes import clip_report
from aladdin_studio.timeline.project_io import load, new_project, save
from aladdin_studio.timeline.undo import UndoStack

SIZE = (1280, 720)  # the draft tier's model renders 720p


def test_a_frozen_generation_is_failed_regenerated_once_and_verify_agrees(
        tmp_path, fal_emulator, capsys):
    settings = Settings(provider="fal", fal_api_key=FAL_KEY)
    path = tmp_path / "P.aladdin"
    project = new_project(path)
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"), store, None,
                     settings, poll_interval=0.05, backoff_base=0.01)
    service = GenerationService(project, queue)
    stack = UndoStack(project)
    request = GenerationRequest("text-to-video", "a paper lantern drifting over a lake",
                                quality="draft", duration=6.0, seed=11)
    model = load_registry().chain("text-to-video", "draft", provider="fal")[0]
    assert model.resolutions == ("720p",) and model.clamp_duration(6.0) == 6.0
    fal_emulator.script(model.endpoint, [completes(video=frozen_mp4(6.0, SIZE)),
                                         completes(video=off_model_mp4(6.0, SIZE))])

    first, command = service.submit(request)
    stack.push(command)
    with EmbeddedConsumer(queue.huey, 1, queue=queue, tick=0.05):
        done = wait_done(store, first.id)
        assert done.status == "succeeded", done.error_message
        report = done.info["quality_report"]
        assert report["passed"] is False
        landing = service.finished_commands(budget_s=None)
        assert len(landing) == 1 and landing[0].job_id == first.id
        stack.push(landing[0])
        service.mark_applied(first.id)

        (clip, second_id), = P.find_generation_clips(project)
        stored = clip_report(clip)  # the failing take is active, its report on it
        assert stored["passed"] is False
        failed = {c["type"] for c in stored["checks"] if not c["passed"]}
        assert failed == {"motion-quality"}, stored["issues"]
        assert any(i.startswith("motion-quality: picture frozen") for i in stored["issues"])
        assert any("regenerate with more motion in the prompt" in s
                   for s in stored["suggestions"])
        record = P.generation_record(clip)
        assert second_id != first.id and record["quality_retries"] == 1
        assert record["quality_retry_job"] == second_id
        assert "picture frozen" in record["quality_retry_reason"]

        # the command line repeats the check on the clip's active take: the same verdict
        save(project)
        code = cli.main(["verify", str(path), "--clip", clip.name, "--json"])
        out = json.loads(capsys.readouterr().out)
        assert code == 1 and out["passed"] is False
        assert {c["type"] for c in out["checks"] if not c["passed"]} == failed
        assert abs(out["overallQuality"] - stored["overallQuality"]) < 0.02
        code = cli.main(["verify", str(path), "--clip", clip.name])
        text = capsys.readouterr().out
        assert code == 1 and "FAILED" in text and "picture frozen" in text

        second = wait_done(store, second_id)
        assert second.status == "succeeded" and second.info["quality_report"]["passed"]
        submits = fal_emulator.submits(model.endpoint)
        assert len(submits) == 2
        assert submits[0].json()["prompt"].startswith("a paper lantern drifting")
        assert "Continuous natural motion throughout the shot" in submits[1].json()["prompt"]
        landing = service.finished_commands(budget_s=None)
        assert [c.job_id for c in landing] == [second_id]
        stack.push(landing[0])
        service.mark_applied(second_id)
    assert service.finished_commands(budget_s=None) == []
    assert len(fal_emulator.submits(model.endpoint)) == 2  # once, not again
    takes = clip.media_references()
    assert len(takes) == 2  # both kept
    assert clip_report(clip)["passed"] is True  # the better take is active
    assert clip_report(clip, "take1")["passed"] is False

    # the landed take's media document carries the score (the library package)
    from aladdin_studio.library.backends import open_media
    from aladdin_studio.library.record import clip_media, wait_for_records

    wait_for_records()  # the library records a landed take off the calling thread
    repo = open_media(settings)
    try:
        doc = repo.get(clip_media(project, clip).media_id)
    finally:
        repo.close()
    assert doc is not None
    assert doc.meta("qualityScore") == clip_report(clip)["overallQuality"]

    save(project)
    reopened = load(path)
    (again, _), = P.find_generation_clips(reopened)
    assert clip_report(again) == clip_report(clip)
    assert clip_report(again, "take1") == clip_report(clip, "take1")


def test_the_emulator_s_off_model_result_fails_the_character_check(tmp_path):
    import sys
    from pathlib import Path

    from aladdin_studio.quality import VerifyParams, verify_video

    sys.path.insert(0, str(Path(__file__).parents[1] / "quality"))
    from labelled import character_image, save_png

    character = save_png(character_image(4), tmp_path / "character.png")
    clip = tmp_path / "off_model.mp4"
    clip.write_bytes(off_model_mp4(2.0, (640, 360)))
    result = verify_video(clip, VerifyParams(expected_duration=2.0,
                                             character_refs=[character]))
    failed = {c.type for c in result.checks if not c.passed}
    assert failed == {"character-consistency"} and not result.passed
