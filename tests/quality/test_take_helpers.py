"""The take helpers the editor and `verify --clip` share: the active take's file, the
parameters it was last checked with, and the report kept with them."""

from __future__ import annotations

import pytest

from aladdin_studio.generation import placement as P
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.quality.takes import (
    NoMediaToVerify,
    SetTakeQuality,
    recorded_params,
    take_media,
)
from aladdin_studio.quality.verify import VerifyParams
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.undo import UndoStack


def test_the_active_takes_file_and_the_params_it_was_checked_with(sample_project):
    project = project_io.load(sample_project)
    clip = project.scenes[0].tracks[0][0]
    path = take_media(project, clip)
    assert path.is_file() and path.parent.name == "media"
    assert recorded_params(clip) == VerifyParams()  # never checked: the general checks
    params = VerifyParams(expected_duration=7.0, aspect="16:9",
                          character_refs=[sample_project / "media" / "title-card.png"])
    UndoStack(project).push(SetTakeQuality(clip, {"overallQuality": 0.9, "passed": True,
                                                  "params": params.to_dict()}))
    again = recorded_params(clip)
    assert again.expected_duration == 7.0 and again.aspect == "16:9"
    assert again.character_refs == params.character_refs


def test_a_placeholder_has_no_file_to_verify(sample_project):
    project = project_io.load(sample_project)
    clip = P.placeholder_clip(GenerationRequest("text-to-video", "waves", duration=1),
                              "job-1", 24.0)
    with pytest.raises(NoMediaToVerify, match="has no media file to verify"):
        take_media(project, clip)
