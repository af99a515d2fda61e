"""The local animatic provider: real H.264 clips of the right length, size and rate, frames
that move the way the request says, exact first/last frames, determinism and cancellation.

Most renders run at 640x360 (``short_side=360``) to stay fast; one checks the 720p default.
"""

from __future__ import annotations

import hashlib
import math
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from aladdin_studio.generation.errors import (
    GenerationCancelled,
    InvalidInputError,
    ModelUnavailableError,
)
from aladdin_studio.generation.providers.animatic import _fit_title, _Stage, plan_move
from aladdin_studio.generation.providers.base import Provider
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.generation.registry import Registry, load_registry
from aladdin_studio.generation.request import GenerationRequest

W, H = 640, 360


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture
def provider(tmp_path: Path):
    p = LocalProvider(tmp_path / "work", short_side=H)
    yield p
    p.close()


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    """Textured test stills at the output size, a target disk, and a composite."""
    d = tmp_path_factory.mktemp("stills")
    rng = np.random.default_rng(5)

    def texture(seed: int) -> np.ndarray:
        """Photo-like: smooth, moderately saturated colour (no out-of-gamut noise that 4:2:0
        chroma alone would blur below 30 dB)."""
        noise = np.random.default_rng(seed).random((H // 16, W // 16, 3)) * 150 + 50
        return cv2.resize(noise.astype(np.uint8), (W, H), interpolation=cv2.INTER_LINEAR)

    first = texture(1)
    cv2.circle(first, (200, 180), 70, (250, 220, 40), -1)
    last = texture(2)
    cv2.rectangle(last, (380, 80), (560, 300), (30, 60, 220), -1)
    disk = np.full((H, W, 3), 20, np.uint8)
    cv2.circle(disk, (W // 2, H // 2), 60, (255, 255, 255), -1, lineType=cv2.LINE_AA)
    paths = {}
    for name, arr in (("first", first), ("last", last), ("disk", disk),
                      ("texture", (rng.random((H, W, 3)) * 255).astype(np.uint8))):
        paths[name] = d / f"{name}.png"
        Image.fromarray(arr).save(paths[name])
    return paths


def decode(path: Path) -> tuple[list[np.ndarray], Fraction, str]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return frames, s.average_rate, s.codec_context.name


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def render(provider: LocalProvider, reg: Registry, req: GenerationRequest, dest: Path):
    model = reg.local(req.method)
    rid = provider.submit(req, model)
    return provider.fetch(rid, model, req, dest)


def test_is_a_provider() -> None:
    assert isinstance(LocalProvider, type) and LocalProvider.name == "local"
    p: Provider = LocalProvider.__new__(LocalProvider)  # structural typing only
    assert p.name == "local"


@pytest.mark.parametrize("method", ["text-to-video", "image-to-video", "first-last-frame",
                                    "composite-to-video"])
def test_each_method_makes_a_decodable_h264_clip(method: str, provider: LocalProvider,
                                                 reg: Registry, images: dict, tmp_path: Path
                                                 ) -> None:
    req = GenerationRequest(method, "A lighthouse keeper climbs the stairs", duration=1.5,
                            style="cinematic", seed=11, camera="slow pan left")
    if method in ("image-to-video", "composite-to-video"):
        req.image = images["texture"]
    if method == "first-last-frame":
        req.first_frame, req.last_frame = images["first"], images["last"]
    out = render(provider, reg, req, tmp_path / "out")
    assert out.path.parent == tmp_path / "out" and out.path.suffix == ".mp4"
    assert out.request_id.startswith("local-") and out.model == f"local-{method}"
    assert out.endpoint == f"local/{method}" and out.seed == 11
    frames, rate, codec = decode(out.path)
    assert (len(frames), rate, codec) == (36, Fraction(24), "h264")
    assert frames[0].shape == (H, W, 3)
    with av.open(str(out.path)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    info = out.info
    assert (info["method"], info["model"], info["seed"]) == (method, f"local-{method}", 11)
    assert info["frames"] == 36 and info["fps"] == 24 and info["size"] == [W, H]
    assert info["timings"]["render_s"] > 0
    assert not list((tmp_path / "work").iterdir())  # moved out of the work folder


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (360, 640)), ("1:1", (360, 360))])
def test_aspect_sets_the_size(aspect: str, size: tuple[int, int], provider: LocalProvider,
                              reg: Registry, tmp_path: Path) -> None:
    out = render(provider, reg, GenerationRequest("text-to-video", "tall", aspect=aspect,
                                                  duration=1), tmp_path)
    frames, _, _ = decode(out.path)
    assert frames[0].shape[:2] == (size[1], size[0]) and len(frames) == 24


def test_default_size_is_720p(reg: Registry, tmp_path: Path) -> None:
    p = LocalProvider(tmp_path / "work")
    try:
        out = render(p, reg, GenerationRequest("text-to-video", "big", duration=1), tmp_path)
    finally:
        p.close()
    frames, _, _ = decode(out.path)
    assert frames[0].shape == (720, 1280, 3) and len(frames) == 24


def test_deterministic_per_seed(provider: LocalProvider, reg: Registry, images: dict,
                                tmp_path: Path) -> None:
    def digest(req: GenerationRequest, sub: str) -> str:
        return hashlib.sha256(render(provider, reg, req, tmp_path / sub).path.read_bytes()
                              ).hexdigest()

    t2v = GenerationRequest("text-to-video", "Same seed, same clip", duration=1, seed=4)
    seed4 = digest(t2v, "a")
    assert digest(t2v, "b") == seed4
    t2v.seed = 5
    assert digest(t2v, "c") != seed4
    i2v = GenerationRequest("image-to-video", "x", image=images["texture"], duration=1, seed=4)
    assert digest(i2v, "d") == digest(i2v, "e")
    # Without a seed, one is derived from the request itself: still reproducible.
    t2v.seed = None
    out1 = render(provider, reg, t2v, tmp_path / "f")
    out2 = render(provider, reg, t2v, tmp_path / "g")
    assert out1.seed == out2.seed and out1.path.read_bytes() == out2.path.read_bytes()


@pytest.mark.parametrize("interpolation", ["smooth", "dynamic", "cut"])
def test_first_last_frame_starts_and_ends_on_the_inputs(interpolation: str,
                                                        provider: LocalProvider, reg: Registry,
                                                        images: dict, tmp_path: Path) -> None:
    req = GenerationRequest("first-last-frame", "morning to night", duration=2,
                            first_frame=images["first"], last_frame=images["last"],
                            interpolation=interpolation, seed=1)
    frames, _, _ = decode(render(provider, reg, req, tmp_path).path)
    first = np.asarray(Image.open(images["first"]).convert("RGB"))
    last = np.asarray(Image.open(images["last"]).convert("RGB"))
    assert len(frames) == 48
    assert psnr(frames[0], first) >= 30
    assert psnr(frames[-1], last) >= 30
    mid = frames[24]
    assert psnr(mid, first) < 25 or psnr(mid, last) < 25  # it did change on the way
    if interpolation == "cut":  # hold (pushing in slightly), then a hard cut at the middle
        assert psnr(frames[23], first) > psnr(frames[23], last) + 3
        assert psnr(frames[24], last) > psnr(frames[24], first) + 3

        def step(i: int) -> float:
            return float(np.abs(frames[i + 1].astype(np.int16) - frames[i]).mean())

        assert step(23) > 5 * max(step(22), step(24))


def test_image_to_video_frames_move_and_zoom_grows(provider: LocalProvider, reg: Registry,
                                                   images: dict, tmp_path: Path) -> None:
    pan = GenerationRequest("image-to-video", "drift", image=images["texture"], motion="pan",
                            duration=1.5, seed=2)
    frames, _, _ = decode(render(provider, reg, pan, tmp_path / "pan").path)
    diffs = [np.abs(a.astype(np.int16) - b).mean()
             for a, b in zip(frames, frames[1:], strict=False)]
    assert min(diffs) > 0.5, diffs  # every frame moves, even in the eased start and end

    zoom = GenerationRequest("image-to-video", "push in", image=images["disk"], motion="zoom",
                             duration=1.5, seed=2)
    frames, _, _ = decode(render(provider, reg, zoom, tmp_path / "zoom").path)
    areas = [int((f.mean(axis=2) > 128).sum()) for f in frames]
    assert areas[-1] > 1.5 * areas[0]
    assert all(b >= a - 30 for a, b in zip(areas, areas[1:], strict=False))  # grows steadily


def test_camera_words_plan_the_move() -> None:
    assert plan_move("", "slow pan left", 0).cx[0] > plan_move("", "slow pan left", 0).cx[1]
    assert plan_move("", "tilt up", 0).cy[0] > plan_move("", "tilt up", 0).cy[1]
    zoom_out = plan_move("", "pull back", 0)
    assert zoom_out.z[0] > zoom_out.z[1]
    dolly = plan_move("", "dolly in", 0)
    assert dolly.p == (0.0, 0.15) and dolly.z[1] > dolly.z[0]
    assert plan_move("", "", 0, default="dolly").label == "dolly"
    assert plan_move("zoom", "pan left", 0).label == "zoom"  # motion wins over camera text
    assert plan_move("", "a quick orbit", 0).sx != (0.0, 0.0)


def test_dolly_and_orbit_read_as_parallax() -> None:
    """The centre (the depth proxy's "near" subject) moves differently from the edges."""
    img = np.full((H, W, 3), 30, np.uint8)
    for x in range(0, W, 40):
        cv2.line(img, (x, 0), (x, H), (200, 200, 200), 2)
    cv2.circle(img, (W // 2, H // 2), 40, (255, 0, 0), -1)

    def subject(move, e: float) -> tuple[float, int]:
        stage = _Stage(img, (W, H), move.max_zoom)
        rgb = cv2.cvtColor(stage.view(*move.at(e)), cv2.COLOR_YUV2RGB_I420)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100)
        return float(np.nonzero(red)[1].mean()), int(red.sum())

    dolly = plan_move("dolly", "", 0)
    area0, area1 = subject(dolly, 0)[1], subject(dolly, 1)[1]
    frame_zoom = dolly.z[1] / dolly.z[0]  # 1.1: the edges grow by 1.21x in area
    assert area1 > 1.15 * frame_zoom**2 * area0  # the subject grows faster (~1.6x)
    pan, orbit = plan_move("", "pan right", 0), plan_move("", "orbit right", 0)
    pan_shift = abs(subject(pan, 1)[0] - subject(pan, 0)[0])
    orbit_shift = abs(subject(orbit, 1)[0] - subject(orbit, 0)[0])
    assert orbit.cx[1] - orbit.cx[0] >= pan.cx[1] - pan.cx[0]  # the camera travels as far
    assert orbit_shift < 0.6 * pan_shift  # but the subject stays near the middle


def test_long_prompts_wrap_and_are_cut_with_an_ellipsis() -> None:
    lines, _, px = _fit_title("word " * 400, (1280, 720))
    assert len(lines) == 5 and lines[-1].endswith("…") and px == int(720 * 0.045)
    lines, _, _ = _fit_title("Supercalifragilistic" * 10, (720, 1280))  # one giant word
    assert 1 < len(lines) <= 8
    assert _fit_title("Dawn", (1280, 720))[0] == ["Dawn"]


def test_status_progress_and_fetch(provider: LocalProvider, reg: Registry,
                                   tmp_path: Path) -> None:
    model = reg.local("text-to-video")
    req = GenerationRequest("text-to-video", "status check", duration=2)
    rid = provider.submit(req, model)
    assert provider.status(rid, model).state in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    assert provider.wait(rid, timeout=30)
    st = provider.status(rid, model)
    assert (st.state, st.progress) == ("COMPLETED", 1.0)
    out = provider.fetch(rid, model, req, tmp_path / "dest")
    assert provider.fetch(rid, model, req, tmp_path / "dest") == out  # idempotent
    again = provider.fetch(rid, model, req, tmp_path / "other")
    assert again.path.read_bytes() == out.path.read_bytes()


def test_unknown_id_after_a_restart_renders_again(reg: Registry, tmp_path: Path) -> None:
    model = reg.local("text-to-video")
    req = GenerationRequest("text-to-video", "re-attach", duration=1, seed=8)
    first = LocalProvider(tmp_path / "w1", short_side=H)
    rid = first.submit(req, model)
    original = first.fetch(rid, model, req, tmp_path / "a")
    restarted = LocalProvider(tmp_path / "w2", short_side=H, background=False)
    assert restarted.status(rid, model).state == "COMPLETED"
    again = restarted.fetch(rid, model, req, tmp_path / "b")
    assert again.path.read_bytes() == original.path.read_bytes()
    with pytest.raises(ModelUnavailableError, match="not a local render id"):
        restarted.status("abc", model)


def test_cancel_stops_an_inflight_render(reg: Registry, tmp_path: Path) -> None:
    provider = LocalProvider(tmp_path / "work")  # 720p, 7 s: long enough to catch
    model = reg.local("text-to-video")
    req = GenerationRequest("text-to-video", "never finishes", duration=7)
    try:
        rid = provider.submit(req, model)
        deadline = time.monotonic() + 20
        while provider.status(rid, model).state != "IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(0.01)
        t0 = time.monotonic()
        provider.cancel(rid, model)
        assert time.monotonic() - t0 < 5  # stops at the next frame (the join gives up at 10 s)
        assert provider.wait(rid, timeout=5)
        with pytest.raises(GenerationCancelled):
            provider.status(rid, model)
        with pytest.raises(GenerationCancelled):
            provider.fetch(rid, model, req, tmp_path / "dest")
        assert not list((tmp_path / "work").iterdir())  # no partial files left
        assert not (tmp_path / "dest").exists()
    finally:
        provider.close()


def test_cancel_while_queued(provider: LocalProvider, reg: Registry) -> None:
    model = reg.local("text-to-video")
    busy = provider.submit(GenerationRequest("text-to-video", "first", duration=2), model)
    queued = provider.submit(GenerationRequest("text-to-video", "second", duration=2), model)
    provider.cancel(queued, model)
    assert provider.wait(queued, timeout=10)
    with pytest.raises(GenerationCancelled):
        provider.status(queued, model)
    assert provider.wait(busy, timeout=30)
    assert provider.status(busy, model).state == "COMPLETED"


def test_refuses_what_it_cannot_do(provider: LocalProvider, reg: Registry) -> None:
    with pytest.raises(ModelUnavailableError, match="cannot run 'kling-v2.1-pro-i2v'"):
        provider.submit(GenerationRequest("image-to-video", "x"), reg.get("kling-v2.1-pro-i2v"))
    with pytest.raises(InvalidInputError, match="needs an image"):
        provider.submit(GenerationRequest("image-to-video", "x"), reg.local("image-to-video"))
    with pytest.raises(InvalidInputError, match="does text-to-video"):
        provider.submit(GenerationRequest("image-to-video", "x"), reg.local("text-to-video"))
