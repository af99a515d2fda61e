"""Each check on its synthetic defect and on good clips; the overall verdict on the
labelled set; suggestions a user can act on, with times."""

from __future__ import annotations

import pytest

from aladdin_studio.quality import verify_video

GOOD = ["good image-to-video", "good first-last-frame", "good text-to-video",
        "good ffmpeg footage"]
DEGRADED = ["blurred", "frozen", "flickering", "jittered", "wrong subject", "wrong palette",
            "cut inside", "wrong length", "too long", "low resolution", "wrong aspect",
            "wrong fps", "dropped frames", "first frame not the supplied image"]


@pytest.mark.parametrize("name", GOOD)
def test_a_good_clip_passes_every_check(verified, name):
    _, result = verified(name)
    assert [c.type for c in result.checks if not c.passed] == [], result.issues
    assert result.passed and result.overall_quality >= 0.9
    assert result.issues == [] and result.suggestions == []


@pytest.mark.parametrize("name", DEGRADED)
def test_a_degraded_clip_fails_the_check_naming_its_defect(verified, name):
    sample, result = verified(name)
    failed = {c.type for c in result.checks if not c.passed}
    assert sample.defects <= failed, (name, failed, result.issues)
    assert not result.passed
    for kind in sample.defects:
        check = result.check(kind)
        assert check.score < check.threshold == 0.7
        assert check.findings and all(f.suggestion for f in check.findings)
    assert result.issues and result.suggestions


def test_the_frozen_stretch_is_located_and_the_suggestion_names_it(verified):
    _, result = verified("frozen")
    frozen = [f for f in result.check("motion-quality").findings if f.issue == "picture frozen"]
    assert len(frozen) == 1
    assert 0.5 < frozen[0].start < frozen[0].end < 3.0
    assert frozen[0].end - frozen[0].start >= 0.9  # the injected freeze lasts 1.0-1.8 s
    text = next(s for s in result.suggestions if s.startswith("picture frozen"))
    assert "regenerate with more motion in the prompt" in text
    assert f"{frozen[0].start:.1f}–{frozen[0].end:.1f} s" in text
    assert "continuous natural motion" in " ".join(result.prompt_hints)


def test_the_cut_is_found_at_its_frame(verified):
    _, result = verified("cut inside")
    cuts = [f for f in result.check("motion-quality").findings if "cut" in f.issue]
    assert len(cuts) == 1 and 0.9 < cuts[0].start < 2.1  # cut placed at 40-60 % of 3 s
    assert f"split the clip at {cuts[0].start:.1f} s" in cuts[0].suggestion


def test_a_first_last_frame_cut_is_allowed_when_asked_for(labelled):
    from dataclasses import replace

    sample = labelled["cut inside"]
    result = verify_video(sample.path, replace(sample.params, allow_cuts=True))
    assert result.check("motion-quality").passed


def test_the_result_has_the_design_doc_shape(verified):
    _, result = verified("wrong length")
    data = result.to_dict()
    assert {"passed", "overallQuality", "checks", "issues", "suggestions"} <= set(data)
    assert data["passed"] is False and 0 <= data["overallQuality"] <= 1
    for check in data["checks"]:
        assert {"type", "score", "passed", "details", "threshold"} <= set(check)
    duration = next(c for c in data["checks"] if c["type"] == "duration")
    assert duration["passed"] is False and "asked for" in duration["details"]
    assert any(i.startswith("duration: clip is") and "too short" in i for i in data["issues"])


def test_a_character_drifting_mid_shot_is_reported_with_its_time(labelled, tmp_path):
    from dataclasses import replace

    import cv2
    import numpy as np
    from labelled import read_frames, write_frames

    sample = labelled["good image-to-video"]
    frames = read_frames(sample.path)
    half = len(frames) // 2
    drifted = []
    for i, im in enumerate(frames):
        if i >= half:  # the colours turn from the middle on
            hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
            hsv[..., 0] = (hsv[..., 0].astype(np.int16) + 45) % 180
            im = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        drifted.append(im)
    path = write_frames(drifted, tmp_path / "drift.mp4")
    result = verify_video(path, replace(sample.params, location_ref=None, first_frame=None))
    check = result.check("character-consistency")
    assert not check.passed and not result.passed
    finding = check.findings[0]
    assert "drift from the reference after" in finding.issue
    assert 1.0 <= finding.start <= 2.0  # the change starts at 1.5 s of 3 s
    assert "add the character reference" in finding.suggestion
