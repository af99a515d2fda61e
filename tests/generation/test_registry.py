"""The model registry: models.json loads, chains fall back in order, arguments map onto the
endpoints' parameters, costs add up, and a malformed registry fails loudly."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from PIL import Image

from aladdin_studio.generation.errors import InvalidInputError
from aladdin_studio.generation.registry import (
    DEFAULT_PATH,
    Registry,
    RegistryError,
    load_registry,
    registry_from_data,
)
from aladdin_studio.generation.request import METHODS, TIERS, GenerationRequest


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def img(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reg") / "still.png"
    Image.new("RGB", (640, 360), (90, 120, 200)).save(path)
    return path


def ids(entries) -> list[str]:
    return [e.id for e in entries]


def test_every_method_has_three_hosted_fal_tiers_and_a_local_model(reg: Registry) -> None:
    assert len(reg) >= 20
    for method in METHODS:
        tiers = reg.tiers(method)
        assert list(tiers) == list(TIERS)
        for entry in tiers.values():
            assert entry.provider == "fal" and entry.hosted and entry.endpoint
            assert entry.method == method
            assert entry.max_duration <= 7
        local = reg.local(method)
        assert local is not None and local.endpoint == f"local/{method}"
        assert local.price_per_second == 0


def test_chains_follow_fallbacks_and_end_with_local_only_when_allowed(reg: Registry) -> None:
    assert ids(reg.chain("image-to-video", "high")) == [
        "kling-v2.1-pro-i2v", "kling-v2.1-standard-i2v", "hailuo-02-standard-i2v"
    ]
    assert ids(reg.chain("image-to-video", "high", provider="local"))[-1] == "local-image-to-video"
    assert ids(reg.chain("text-to-video", "standard", provider="local")) == [
        "hailuo-02-standard-t2v", "minimax-video-01", "local-text-to-video"
    ]
    # Composite: image-to-video on the composite first, Luma Ray 2 Modify as the fallback.
    assert ids(reg.chain("composite-to-video", "high")) == [
        "kling-v2.1-pro-composite", "kling-v2.1-standard-composite", "luma-ray2-modify"
    ]
    # An explicit model starts the chain; a local one needs the local provider.
    assert ids(reg.chain("image-to-video", "draft", model="kling-v2.1-standard-i2v"))[0] == (
        "kling-v2.1-standard-i2v"
    )
    assert reg.chain("image-to-video", "draft", model="local-image-to-video") == []
    assert ids(reg.chain("image-to-video", "draft", model="local-image-to-video",
                         provider="local")) == ["local-image-to-video"]
    with pytest.raises(InvalidInputError, match="does image-to-video"):
        reg.chain("text-to-video", "draft", model="kling-v2.1-pro-i2v")
    with pytest.raises(InvalidInputError, match="Unknown tier"):
        reg.chain("text-to-video", "ultra")


def test_runway_is_recorded_as_not_hosted_and_skipped(reg: Registry) -> None:
    runway = reg.get("runway-gen3-turbo")
    assert runway.hosted is False and runway.endpoint is None
    assert "not hosted on fal" in runway.notes.lower()
    assert reg.primary("first-last-frame", "high") is runway
    chain = ids(reg.chain("first-last-frame", "high", provider="local"))
    assert "runway-gen3-turbo" not in chain
    assert chain == ["kling-v2.5-turbo-pro-flf", "kling-v1.6-pro-flf", "hailuo-02-standard-flf",
                     "local-first-last-frame"]
    assert reg.tiers("first-last-frame")["high"].id == "kling-v2.5-turbo-pro-flf"
    assert ids(reg.chain("first-last-frame", "high", model="runway-gen3-turbo"))[0] == (
        "kling-v2.5-turbo-pro-flf"
    )


def test_chain_with_a_request_skips_models_that_cannot_take_it(reg: Registry, img: Path,
                                                               tmp_path: Path) -> None:
    req = GenerationRequest("composite-to-video", "hero walks", image=img)
    assert "luma-ray2-modify" not in ids(reg.chain("composite-to-video", "high", request=req))
    req.video = tmp_path / "source.mp4"
    assert "luma-ray2-modify" in ids(reg.chain("composite-to-video", "high", request=req))
    assert "needs the video" in reg.get("luma-ray2-modify").unsupported_reason(
        GenerationRequest("composite-to-video", "x", image=img)
    )
    # MiniMax/Hailuo text-to-video only make 16:9: a vertical request falls to the animatic.
    tall = GenerationRequest("text-to-video", "a tall tower", aspect="9:16")
    assert reg.chain("text-to-video", "standard", request=tall) == []
    assert ids(reg.chain("text-to-video", "standard", provider="local", request=tall)) == [
        "local-text-to-video"
    ]


def test_kling_arguments_clamp_duration_and_map_uploaded_urls(reg: Registry, img: Path) -> None:
    kling = reg.get("kling-v2.1-pro-i2v")
    assert kling.endpoint == "fal-ai/kling-video/v2.1/pro/image-to-video"
    req = GenerationRequest("image-to-video", "  a  ship\u200b sails ", image=img, duration=7,
                            motion="pan", style="cinematic", character_ref=img)
    args = kling.build_arguments(req, {"image": "https://cdn.example/img.png",
                                       "character_ref": "https://cdn.example/ref.png"})
    assert args["image_url"] == "https://cdn.example/img.png"
    assert args["duration"] == "5"  # "10" would exceed the 7 s cap
    assert args["cfg_scale"] == 0.5
    assert "negative_prompt" not in args  # empty: the endpoint's default applies
    assert args["prompt"].startswith("a ship sails.")
    assert "horizontal camera pan" in args["prompt"] and "Style: cinematic." in args["prompt"]
    assert set(args) == {"prompt", "image_url", "duration", "cfg_scale"}
    req.negative_prompt = "blur"
    req.duration = 2.0
    args = kling.build_arguments(req, {"image": "https://cdn.example/img.png"})
    assert args["negative_prompt"] == "blur" and args["duration"] == "5"
    with pytest.raises(InvalidInputError, match="not uploaded"):
        kling.build_arguments(req, {})


def test_first_last_frame_arguments(reg: Registry, img: Path) -> None:
    req = GenerationRequest("first-last-frame", "day turns to night", first_frame=img,
                            last_frame=img, seed=42, interpolation="dynamic", aspect="9:16")
    urls = {"first_frame": "https://a/1.png", "last_frame": "https://a/2.png"}
    vidu = reg.get("vidu-start-end")
    assert vidu.build_arguments(req, urls) == {
        "prompt": vidu.build_arguments(req, urls)["prompt"],
        "start_image_url": "https://a/1.png",
        "end_image_url": "https://a/2.png",
        "seed": 42,
        "movement_amplitude": "large",
    }
    kling = reg.get("kling-v1.6-pro-flf")
    args = kling.build_arguments(req, urls)
    assert args["image_url"] == "https://a/1.png" and args["tail_image_url"] == "https://a/2.png"
    assert args["aspect_ratio"] == "9:16" and args["duration"] == "5"
    hailuo = reg.get("hailuo-02-standard-flf").build_arguments(req, urls)
    assert hailuo["end_image_url"] == "https://a/2.png" and hailuo["duration"] == "6"
    assert hailuo["resolution"] == "768P"
    # The composite fallback restyles a source video towards the composite.
    comp = GenerationRequest("composite-to-video", "x", image=img, video=img)
    luma = reg.get("luma-ray2-modify").build_arguments(
        comp, {"image": "https://a/c.png", "video": "https://a/v.mp4"})
    assert luma == {"prompt": "x.", "video_url": "https://a/v.mp4",
                    "image_url": "https://a/c.png", "mode": "flex_1"}


def test_prompt_is_cut_to_the_endpoint_limit(reg: Registry, img: Path) -> None:
    req = GenerationRequest("first-last-frame", "word " * 600, first_frame=img, last_frame=img)
    urls = {"first_frame": "u1", "last_frame": "u2"}
    assert len(reg.get("vidu-start-end").build_arguments(req, urls)["prompt"]) <= 1500
    assert len(reg.get("kling-v1.6-pro-flf").build_arguments(req, urls)["prompt"]) <= 2000


def test_cost_estimates(reg: Registry) -> None:
    assert reg.get("kling-v2.1-pro-i2v").estimate_cost(5) == pytest.approx(0.49)
    assert reg.get("kling-v2.1-pro-i2v").estimate_cost(7) == pytest.approx(0.49)  # clamped to 5 s
    assert reg.get("kling-v2.1-standard-i2v").estimate_cost(5) == pytest.approx(0.28)
    assert reg.get("minimax-video-01").estimate_cost(5) == pytest.approx(0.50)
    assert reg.get("vidu-start-end").estimate_cost(7) == pytest.approx(0.20)
    assert reg.get("hailuo-02-standard-t2v").estimate_cost(6) == pytest.approx(0.27)
    assert reg.get("local-text-to-video").estimate_cost(7) == 0
    costs = {t: e.estimate_cost(5) for t, e in reg.tiers("image-to-video").items()}
    assert costs == {"draft": pytest.approx(0.5), "standard": pytest.approx(0.28),
                     "high": pytest.approx(0.49)}


def test_local_durations_are_continuous(reg: Registry) -> None:
    local = reg.get("local-image-to-video")
    assert local.clamp_duration(5) == 5.0
    assert local.clamp_duration(2.5) == 2.5
    assert local.clamp_duration(0.2) == 1.0
    assert local.clamp_duration(9) == 7.0
    assert round(local.clamp_duration(3.01) * 24) == 72  # snapped to whole frames
    assert local.format_duration(4) == 4


def test_unknown_model_is_a_user_facing_error(reg: Registry) -> None:
    with pytest.raises(InvalidInputError, match="Unknown model 'nope'"):
        reg.get("nope")
    assert "kling-v2.1-pro-i2v" in reg and "nope" not in reg


# --------------------------------------------------------------------------- invalid JSON


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def _entry(data: dict, model_id: str) -> dict:
    return next(m for m in data["models"] if m["id"] == model_id)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(method="video-to-video"),
         "unknown method 'video-to-video'"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(tier="ultra"), "unknown tier 'ultra'"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(fallbacks=["ghost"]),
         "fallback 'ghost' is not a model"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(fallbacks=["vidu-start-end"]),
         "does first-last-frame"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(fallbacks=["local-image-to-video"]),
         "is local"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(max_duration=10),
         "exceeds the design's 7 s cap"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(durations=["5", "10"]),
         "exceeds max_duration"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(endpoint=None),
         "needs an 'endpoint'"),
        (lambda d: _entry(d, "runway-gen3-turbo").update(endpoint="fal-ai/runway-gen3"),
         "must have endpoint null"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(inputs={"prompt": "prompt"}),
         "must map image"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(inputs={"picture": "image_url"}),
         "unknown request field"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").update(price=1), "unknown field"),
        (lambda d: _entry(d, "kling-v2.1-pro-i2v").pop("price_per_second"),
         "missing field 'price_per_second'"),
        (lambda d: d["models"].append(copy.deepcopy(_entry(d, "vidu-start-end"))),
         "duplicate model id 'vidu-start-end'"),
        (lambda d: d["models"].append(dict(_entry(d, "local-image-to-video"), id="local-2")),
         "already the local image-to-video model"),
    ],
)
def test_invalid_registry_is_rejected_with_a_clear_message(raw: dict, mutate, message: str,
                                                           tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    mutate(data)
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as err:
        load_registry(path)
    assert str(path) in str(err.value)


def test_unreadable_or_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid JSON"):
        load_registry(bad)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.json")
    with pytest.raises(RegistryError, match="'models' list"):
        registry_from_data({"models": {}})
