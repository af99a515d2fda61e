"""verify_video's parameters, errors, weights and the embedding plug-in point."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from aladdin_studio.config import Settings
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.quality import (
    DnnEmbeddingScorer,
    ReferenceError,
    UnreadableClipError,
    VerifyParams,
    VideoQualityResult,
    params_for_request,
    parse_weights,
    verify_video,
)
from aladdin_studio.quality.result import grade


def test_grade_maps_the_limit_to_the_pass_mark():
    assert grade(0.0, 0.1, 0.5, 1.0) == 1.0
    assert grade(0.5, 0.1, 0.5, 1.0) == pytest.approx(0.7)
    assert grade(0.75, 0.1, 0.5, 1.0) == pytest.approx(0.35)
    assert grade(2.0, 0.1, 0.5, 1.0) == 0.0


def test_params_for_a_request_follow_the_model_that_made_it(labelled):
    good = labelled["good image-to-video"]
    request = GenerationRequest("image-to-video", "a traveller", image=good.params.first_frame,
                                duration=5.0, quality="high",
                                character_ref=good.params.character_refs[0],
                                location_ref=good.params.location_ref)
    model = load_registry().chain("image-to-video", "high", provider="fal", request=request)[0]
    params = params_for_request(request, model)
    assert params.expected_duration == model.clamp_duration(5.0)
    assert params.min_short_side in (720, 768, 1080) and params.tier == model.tier
    assert params.first_frame == request.image and params.last_frame is None
    assert params.character_refs == [request.character_ref]
    assert params.location_ref == request.location_ref and not params.allow_cuts
    cut = GenerationRequest("first-last-frame", "x", first_frame=request.image,
                            last_frame=request.image, interpolation="cut")
    flf = params_for_request(cut, None, short_side=360)
    assert flf.allow_cuts and flf.min_short_side == 360 and flf.last_frame == request.image


def test_settings_set_weights_threshold_and_reject_bad_weights():
    settings = Settings(quality_weights="motion-quality=4, duration=0", quality_threshold=0.8)
    params = params_for_request(GenerationRequest("text-to-video", "x"), settings=settings)
    assert params.weights["motion-quality"] == 4 and params.weights["duration"] == 0
    assert params.threshold == 0.8
    with pytest.raises(ValueError, match="unknown quality check .speed."):
        parse_weights("speed=2")
    with pytest.raises(ValueError):
        parse_weights("duration=-1")
    from aladdin_studio.quality.verify import QualitySettingError

    with pytest.raises(QualitySettingError, match="Setting quality_weights"):
        params_for_request(GenerationRequest("text-to-video", "x"),
                           settings=Settings(quality_weights="speed=2"))


def test_weights_change_the_overall_score(verified, labelled):
    sample, result = verified("wrong length")
    heavy = verify_video(sample.path, replace(sample.params,
                                              weights={"duration": 50.0}))
    assert heavy.overall_quality < result.overall_quality - 0.2


def test_a_missing_reference_or_unreadable_clip_is_one_clear_error(labelled, tmp_path):
    good = labelled["good image-to-video"]
    missing = replace(good.params, character_refs=[tmp_path / "nobody.png"])
    with pytest.raises(ReferenceError, match="character reference .*nobody.png does not exist"):
        verify_video(good.path, missing)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(ReferenceError, match="not a readable image"):
        verify_video(good.path, replace(good.params, location_ref=junk))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    with pytest.raises(UnreadableClipError, match="broken.mp4"):
        verify_video(broken, VerifyParams())


class _Scorer:
    """A plug-in scorer that records what it saw and answers a fixed similarity."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls: list[tuple[tuple[int, ...], int]] = []

    def similarity(self, reference, frames):
        self.calls.append((reference.shape, len(frames)))
        return [self.value] * len(frames)


def test_an_embedding_scorer_plugs_into_the_consistency_checks(verified, labelled):
    sample, plain = verified("good image-to-video")
    doubting = _Scorer(0.0)
    result = verify_video(sample.path, sample.params, embedder=doubting)
    assert len(doubting.calls) == 2  # character and location
    assert all(n == 9 and len(shape) == 3 for shape, n in doubting.calls)
    assert result.check("character-consistency").metrics["embedding"] == [0.0] * 9
    assert result.check("character-consistency").score < \
        plain.check("character-consistency").score
    assert not result.check("character-consistency").passed
    agreeing = verify_video(sample.path, sample.params, embedder=_Scorer(1.0))
    assert agreeing.check("character-consistency").passed


def test_a_configured_model_file_must_be_readable(tmp_path):
    with pytest.raises(ReferenceError, match="does not exist"):
        DnnEmbeddingScorer(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage")
    with pytest.raises(ReferenceError, match="cannot read the embedding model bad.onnx"):
        DnnEmbeddingScorer(bad)


def test_the_result_round_trips_through_its_dict(verified):
    _, result = verified("frozen")
    data = result.to_dict()
    again = VideoQualityResult.from_dict(data)
    assert again.to_dict() == data
    assert again.passed is False and again.issues == result.issues


def test_the_whole_clip_frozen_is_caught(tmp_path, labelled):
    from labelled import read_frames, write_frames

    frames = read_frames(labelled["good image-to-video"].path)
    still = write_frames([frames[0]] * len(frames), tmp_path / "still.mp4")
    result = verify_video(still, VerifyParams())
    motion = result.check("motion-quality")
    assert not motion.passed and motion.metrics["frozen_longest_s"] > 2.5
    assert np.isclose(result.check("duration").metrics["seconds"], len(frames) / 24)


def test_the_verify_kind_runs_on_the_job_queue(tmp_path, labelled):
    import time

    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
    from aladdin_studio.quality.job_kind import VerifyPayload
    from aladdin_studio.timeline.project_io import new_project

    project = tmp_path / "P.aladdin"
    new_project(project)
    settings = Settings(provider="local")
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "q.sqlite3"), store, None, settings,
                     poll_interval=0.05)
    sample = labelled["jittered"]
    params = {k: v for k, v in sample.params.to_dict().items()}
    job = queue.submit(VerifyPayload(str(sample.path), params), project)
    assert job.kind == "verify"
    with EmbeddedConsumer(queue.huey, 1, queue=queue, tick=0.05):
        deadline = time.monotonic() + 60
        while not (job := store.get(job.id)).done:
            assert time.monotonic() < deadline, job.message
            time.sleep(0.05)
    assert job.status == "succeeded", job.error_message
    report = job.info["quality_report"]
    assert report["passed"] is False
    assert any("camera shakes" in i for i in report["issues"])
    assert job.progress == 1.0


def test_a_regenerated_request_carries_the_hints_and_another_seed():
    from aladdin_studio.quality.job_kind import regenerated_request

    request = GenerationRequest("text-to-video", "a lantern over a lake", seed=5)
    report = {"promptHints": ["continuous natural motion throughout the shot, nothing stops",
                              "sharp focus, fine detail", "sharp focus, fine detail"]}
    again = regenerated_request(request, report)
    assert again.prompt == ("a lantern over a lake. Continuous natural motion throughout the "
                            "shot, nothing stops. Sharp focus, fine detail.")
    assert again.seed != 5 and again.method == request.method
    again.validate()
    unseeded = regenerated_request(GenerationRequest("text-to-video", "x" * 990), report)
    assert unseeded.prompt == "x" * 990 and unseeded.seed is None  # over the hint budget


def test_the_better_take_wins():
    from aladdin_studio.quality.takes import better

    failing = {"passed": False, "overallQuality": 0.9}
    passing = {"passed": True, "overallQuality": 0.75}
    assert better(passing, failing) and not better(failing, passing)
    assert better({"passed": False, "overallQuality": 0.6}, {"passed": False,
                                                              "overallQuality": 0.6})
    assert not better({"passed": False, "overallQuality": 0.5}, failing)
    assert better(failing, None)
