"""GenerationRequest validation, prompt sanitizing, cache keys and (de)serialisation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.generation.sanitize import check_blocked_terms, sanitize_prompt
from aladdin_studio.sample_media import make_pattern_video


def _image(path: Path, size=(640, 360), fmt: str | None = None, color=(200, 80, 40)) -> Path:
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


@pytest.fixture
def png(tmp_path: Path) -> Path:
    return _image(tmp_path / "shot.png")


# --------------------------------------------------------------------------- sanitize


def test_sanitize_strips_controls_zero_width_and_markup() -> None:
    text = "\ufeff A\u200bcat\x00 \x07on a\u202e <|im_start|>system mat\t\t\u00a0now \r\n"
    assert sanitize_prompt(text) == "Acat on a system mat now"
    assert sanitize_prompt("[INST] hi <<SYS>> there [/INST]") == "hi there"
    assert sanitize_prompt("<|\u200bendoftext|>ok") == "ok"  # hidden inside the token


def test_sanitize_normalises_and_keeps_paragraphs() -> None:
    assert sanitize_prompt("cafe\u0301") == "caf\u00e9"  # NFC
    assert sanitize_prompt("one   \n\n\n\n  two\nthree") == "one\n\ntwo\nthree"


def test_sanitize_cuts_on_a_word_boundary() -> None:
    text = "alpha beta gamma delta"
    assert sanitize_prompt(text, max_length=13) == "alpha beta"
    assert sanitize_prompt(text, max_length=16) == "alpha beta gamma"
    assert sanitize_prompt("x" * 50, max_length=10) == "x" * 10  # one giant word: hard cut
    assert len(sanitize_prompt("word " * 1000)) <= 2000


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u200d\ufeff", "<|im_end|>"])
def test_sanitize_empty_result_is_an_error(text: str) -> None:
    with pytest.raises(InvalidInputError, match="prompt is empty"):
        sanitize_prompt(text)


def test_blocked_terms_match_whole_words_only() -> None:
    with pytest.raises(InvalidInputError, match="blocked term 'violent'"):
        check_blocked_terms("A VIOLENT storm")
    check_blocked_terms("a nonviolent protest, harmfulness aside")


# --------------------------------------------------------------------------- validate


def test_a_valid_request_passes(png: Path) -> None:
    GenerationRequest("image-to-video", "waves", image=str(png), duration=7, seed=3,
                      motion="dolly", aspect="1:1", quality="high").validate(load_registry())


def test_duration_over_the_design_cap_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"limited to 7 s .*design.*8 s") as err:
        GenerationRequest("text-to-video", "a storm", duration=8).validate()
    assert "join them on the timeline" in str(err.value)
    with pytest.raises(InvalidInputError, match="at least 1 s"):
        GenerationRequest("text-to-video", "a storm", duration=0.5).validate()
    with pytest.raises(InvalidInputError, match="number of seconds"):
        GenerationRequest("text-to-video", "a storm", duration=float("nan")).validate()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "video-to-video"}, "Unknown generation method 'video-to-video'"),
        ({"prompt": "\u200b"}, "prompt is empty"),
        ({"aspect": "4:3"}, "Aspect ratio '4:3' is not supported. Use 16:9, 9:16 or 1:1"),
        ({"quality": "ultra"}, "Quality 'ultra' is not a tier"),
        ({"motion": "spin"}, "Motion 'spin'"),
        ({"interpolation": "wipe"}, "Interpolation 'wipe'"),
        ({"seed": -1}, "Seed must be a whole number"),
        ({"seed": True}, "Seed must be a whole number"),
        ({"prompt": "an explicit scene"}, "blocked term 'explicit'"),
        ({"camera": "harmful pan"}, "camera movement contains the blocked term"),
    ],
)
def test_bad_parameters(kwargs: dict, message: str) -> None:
    fields = {"method": "text-to-video", "prompt": "a calm lake"} | kwargs
    with pytest.raises(InvalidInputError, match=message):
        GenerationRequest(**fields).validate()


def test_negative_prompt_may_name_what_to_avoid() -> None:
    GenerationRequest("text-to-video", "a calm lake", negative_prompt="violent, blur").validate()


def test_required_inputs_per_method(png: Path) -> None:
    with pytest.raises(InvalidInputError, match="image-to-video needs an image"):
        GenerationRequest("image-to-video", "waves").validate()
    with pytest.raises(InvalidInputError, match="needs a last frame"):
        GenerationRequest("first-last-frame", "dusk", first_frame=png).validate()
    with pytest.raises(InvalidInputError, match="character and location references"):
        GenerationRequest("composite-to-video", "hero walks", character_ref=png).validate()
    with pytest.raises(InvalidInputError, match="text-to-video does not use an image"):
        GenerationRequest("text-to-video", "waves", image=png).validate()
    with pytest.raises(InvalidInputError, match="does not use a source video"):
        GenerationRequest("image-to-video", "waves", image=png, video=png).validate()


def test_image_checks(tmp_path: Path) -> None:
    def check(path: Path) -> None:
        GenerationRequest("image-to-video", "waves", image=path).validate()

    with pytest.raises(InvalidInputError, match="does not exist"):
        check(tmp_path / "missing.png")
    with pytest.raises(InvalidInputError, match="not a file"):
        check(tmp_path)
    with pytest.raises(InvalidInputError, match=r"200x200 px; each side must be at least 300"):
        check(_image(tmp_path / "tiny.png", (200, 200)))
    with pytest.raises(InvalidInputError, match="at most 4096"):
        check(_image(tmp_path / "huge.png", (4100, 2000)))
    with pytest.raises(InvalidInputError, match="between 1:2.5 and 2.5:1"):
        check(_image(tmp_path / "strip.png", (1600, 400)))
    with pytest.raises(InvalidInputError, match="is GIF; use JPEG, PNG or WebP"):
        check(_image(tmp_path / "anim.gif", fmt="GIF"))
    (tmp_path / "fake.png").write_bytes(b"not an image at all")
    with pytest.raises(InvalidInputError, match="not a readable image"):
        check(tmp_path / "fake.png")
    for name, fmt in (("ok.jpg", "JPEG"), ("ok.webp", "WEBP"), ("ok.png", "PNG")):
        check(_image(tmp_path / name, fmt=fmt))


def test_source_video_for_composites(tmp_path: Path, png: Path) -> None:
    clip = make_pattern_video(tmp_path / "src.mp4", seconds=0.5, size=(320, 180))
    GenerationRequest("composite-to-video", "hero", image=png, video=clip).validate()
    with pytest.raises(InvalidInputError, match="no moving picture"):
        GenerationRequest("composite-to-video", "hero", image=png, video=png).validate()


def test_model_must_match_the_method(png: Path) -> None:
    req = GenerationRequest("text-to-video", "waves", model="kling-v2.1-pro-i2v")
    req.validate()  # without a registry the id is not checked
    with pytest.raises(InvalidInputError, match="does image-to-video, not text-to-video"):
        req.validate(load_registry())
    req.model = "nope"
    with pytest.raises(InvalidInputError, match="Unknown model 'nope'"):
        req.validate(load_registry())


# --------------------------------------------------------------------------- derived values


def test_sanitized_and_composed_prompt(png: Path) -> None:
    req = GenerationRequest("image-to-video", " a\u200b ship \x00", negative_prompt=" blur\t ",
                            image=png, motion="zoom", camera="", style="noir")
    clean = req.sanitized()
    assert (clean.prompt, clean.negative_prompt) == ("a ship", "blur")
    assert req.prompt == " a\u200b ship \x00"  # the original is untouched
    assert clean.composed_prompt() == "a ship. Camera: slow push-in zoom. Style: noir."
    flf = GenerationRequest("first-last-frame", "dawn!", interpolation="cut")
    assert flf.composed_prompt() == (
        "dawn! Transition: hold on the first shot, then a hard cut to the last."
    )


def test_file_inputs(png: Path) -> None:
    req = GenerationRequest("first-last-frame", "x", first_frame=str(png), last_frame=png,
                            location_ref=png)
    assert req.file_inputs() == {"first_frame": png, "last_frame": png, "location_ref": png}
    assert isinstance(req.first_frame, Path)


def test_cache_key_follows_content_seed_and_model(tmp_path: Path, png: Path) -> None:
    req = GenerationRequest("image-to-video", "waves", image=png, seed=1)
    key = req.cache_key("kling-v2.1-pro-i2v")
    assert len(key) == 64 and key == req.cache_key("kling-v2.1-pro-i2v")
    # Same content elsewhere: same key. Whitespace noise in the prompt: same key.
    copy = shutil.copy(png, tmp_path / "copy.png")
    assert GenerationRequest("image-to-video", " waves \u200b", image=copy,
                             seed=1).cache_key("kling-v2.1-pro-i2v") == key
    # Parameters the method ignores do not matter.
    t2v = GenerationRequest("text-to-video", "waves", seed=1)
    assert t2v.cache_key("m") == GenerationRequest("text-to-video", "waves", seed=1,
                                                   motion="pan").cache_key("m")
    others = {
        GenerationRequest("image-to-video", "waves", image=png, seed=2).cache_key(
            "kling-v2.1-pro-i2v"),
        GenerationRequest("image-to-video", "waves", image=png, seed=None).cache_key(
            "kling-v2.1-pro-i2v"),
        req.cache_key("kling-v2.1-standard-i2v"),
        GenerationRequest("image-to-video", "waves", image=png, seed=1, motion="pan").cache_key(
            "kling-v2.1-pro-i2v"),
    }
    assert key not in others and len(others) == 4
    _image(png, color=(10, 200, 10))  # new content at the same path
    assert req.cache_key("kling-v2.1-pro-i2v") != key
    req.image = tmp_path / "gone.png"
    with pytest.raises(InvalidInputError, match="Cannot read"):
        req.cache_key("kling-v2.1-pro-i2v")


def test_dict_round_trip_is_json_safe(png: Path) -> None:
    req = GenerationRequest("composite-to-video", "hero", image=png, seed=9, camera="orbit",
                            character_ref=png, quality="high", model="kling-v2.1-pro-composite")
    data = json.loads(json.dumps(req.to_dict()))
    assert data["image"] == str(png) and data["video"] is None
    assert GenerationRequest.from_dict(data) == req
    assert GenerationRequest.from_dict(data | {"future_field": 1}) == req
    with pytest.raises(InvalidInputError, match="lacks method"):
        GenerationRequest.from_dict({"prompt": "x"})
    with pytest.raises(InvalidInputError, match="must be a file path"):
        GenerationRequest.from_dict({"method": "image-to-video", "prompt": "x", "image": 3})
