"""Prompts over the limit are refused with the limit in the message, before anything is
placed, queued or charged (they used to be cut to 2,000 characters silently)."""

from __future__ import annotations

import hashlib

import pytest

from aladdin_studio.cli import main
from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import TEXT_LIMITS, GenerationRequest


def test_cli_refuses_a_prompt_over_the_limit(capsys, sample_project):
    before = hashlib.sha256((sample_project / "project.otio").read_bytes()).hexdigest()
    code = main(["generate", str(sample_project), "--method", "text-to-video", "--prompt",
                 "a " + "x" * 2000, "--provider", "local"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "2,002 characters; the limit is 2,000" in err
    assert hashlib.sha256((sample_project / "project.otio").read_bytes()).hexdigest() == before
    assert main(["jobs", str(sample_project), "--json"]) == 0
    assert '"jobs": []' in capsys.readouterr().out


@pytest.mark.parametrize("field, kwargs", [
    ("negative prompt", {"negative_prompt": "n" * 2001}),
    ("style", {"style": "s" * 201}),
    ("camera movement", {"camera": "c" * 201}),
])
def test_every_text_field_has_its_limit(field, kwargs):
    with pytest.raises(InvalidInputError, match=f"The {field} is .* the limit is "
                                                f"{TEXT_LIMITS[field]:,}"):
        GenerationRequest("text-to-video", "a city at night", duration=5, **kwargs).validate()


def test_hints_that_push_the_prompt_past_the_models_limit_are_refused():
    registry = load_registry()
    request = GenerationRequest("text-to-video", "x" * 1990, duration=5, style="cinematic",
                                camera="slow pan left")
    with pytest.raises(InvalidInputError, match="with its style, motion and camera hints"):
        request.validate(registry)
    GenerationRequest("text-to-video", "x" * 2000, duration=5).validate(registry)  # fits
