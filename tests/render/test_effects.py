"""Clip effects on I420 frames: grades, LUTs, sharpen, denoise, stabilization."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from aladdin_studio.render import effects as E
from aladdin_studio.render.lut import rgb_to_yuv, yuv_to_rgb
from aladdin_studio.render.transitions import planes
from aladdin_studio.timeline.schema import DEFAULT_CLIP_EFFECTS

W, H = 160, 90
FPS = 30.0


def chain(**effects) -> E.EffectChain:
    return E.EffectChain({**DEFAULT_CLIP_EFFECTS, **effects}, size=(W, H), fps=FPS)


def run(frame: np.ndarray, **effects) -> np.ndarray:
    c = chain(**effects)
    assert c.active
    return c.apply(frame, source_time=0.0)


def readonly(frame: np.ndarray) -> np.ndarray:
    frame.flags.writeable = False
    return frame


def grey_ramp(w: int = W, h: int = H) -> np.ndarray:
    """Neutral grey, luma ramping 16..235 left to right."""
    frame = np.empty((h * 3 // 2, w), np.uint8)
    y, u, v = planes(frame)
    y[:] = np.linspace(16, 235, w).round().astype(np.uint8)[None, :]
    u[:], v[:] = 128, 128
    return readonly(frame)


def colourful(w: int = W, h: int = H, noise: float = 0.0) -> np.ndarray:
    x = np.linspace(0.0, 1.0, w)[None, :]
    y = np.linspace(0.0, 1.0, h)[:, None]
    rgb = np.stack(np.broadcast_arrays(0.15 + 0.7 * x, 0.15 + 0.7 * y,
                                       0.5 + 0.35 * np.sin(7 * x + 4 * y)), axis=-1) * 255
    rgb += np.random.default_rng(3).normal(0.0, noise, rgb.shape)
    return readonly(cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2YUV_I420))


def solid_rgb(rgb: tuple[float, float, float]) -> np.ndarray:
    """A frame of one BT.709 colour (RGB in [0, 1])."""
    yy, uu, vv = np.rint(rgb_to_yuv(np.array(rgb, float))).astype(np.uint8)
    frame = np.empty((H * 3 // 2, W), np.uint8)
    y, u, v = planes(frame)
    y[:], u[:], v[:] = yy, uu, vv
    return frame


def mean_rgb709(frame: np.ndarray) -> np.ndarray:
    return yuv_to_rgb(np.array([p.astype(float).mean() for p in planes(frame)]))


def rgb(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_I420).astype(float)


def rb_ratio(frame: np.ndarray) -> float:
    img = rgb(frame)
    return float(img[..., 0].mean() / img[..., 2].mean())


def chroma(frame: np.ndarray) -> float:
    """Mean colourfulness, max(RGB) - min(RGB)."""
    img = rgb(frame)
    return float((img.max(axis=-1) - img.min(axis=-1)).mean())


def luma(frame: np.ndarray) -> np.ndarray:
    return planes(frame)[0].astype(float)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255 ** 2 / mse))


def write_cube(path: Path, fn, n: int = 5, header: str = "") -> Path:
    axis = np.linspace(0.0, 1.0, n)
    rows = [fn(r, g, b) for b in axis for g in axis for r in axis]
    body = "\n".join(" ".join(f"{c:.6f}" for c in row) for row in rows)
    path.write_text(f'TITLE "test"\n# comment\n{header}LUT_3D_SIZE {n}\n\n{body}\n')
    return path


# ---------------------------------------------------------------------------- chain basics

@pytest.mark.parametrize("effects", [
    {},
    {"grade": "none", "grade_params": {"contrast": 2.0}},
    {"grade": "", "lut": "", "sharpen": 0},
    {"grade": "custom", "grade_params": {}},
    {"grade": "custom", "grade_params": {"brightness": 0, "contrast": 1, "saturation": 1.0,
                                         "temperature": 0, "tint": 0, "gamma": 1, "x": 3}},
])
def test_inactive_chain_returns_the_input(effects):
    c = chain(**effects)
    frame = colourful()
    assert not c.active
    assert c.apply(frame, source_time=0.0) is frame


def test_active_chain_returns_a_new_array_and_leaves_the_input_alone():
    frame = colourful()
    before = frame.copy()
    out = run(frame, grade="cinematic", lut="identity", denoise=True, sharpen=0.3)
    assert out is not frame and out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(frame, before)


def test_unknown_preset_is_an_effect_error():
    with pytest.raises(E.EffectError, match="sepia"):
        chain(grade="sepia")


# ---------------------------------------------------------------------------- grades

def test_warm_raises_and_cool_lowers_red_over_blue():
    frame = grey_ramp()
    base = rb_ratio(frame)
    assert rb_ratio(run(frame, grade="warm")) > base * 1.05
    assert rb_ratio(run(frame, grade="cool")) < base / 1.05


def test_high_contrast_raises_luma_spread():
    frame = colourful()
    assert luma(run(frame, grade="high-contrast")).std() > luma(frame).std() * 1.1


def test_natural_is_gentle():
    frame = colourful()
    out = run(frame, grade="natural")
    assert chroma(out) > chroma(frame)
    assert luma(out).std() > luma(frame).std()
    assert abs(luma(out).mean() - luma(frame).mean()) < 3


def test_cinematic_lowers_saturation_and_lifts_blacks():
    frame = colourful()
    assert chroma(run(frame, grade="cinematic")) < chroma(frame) * 0.95
    ramp = grey_ramp()
    out = luma(run(ramp, grade="cinematic"))
    assert out[:, 0].mean() >= 16 + 8  # black (Y = 16) is lifted
    assert out[:, -1].mean() < 235 - 5  # white rolls off
    assert np.all(np.diff(out[0]) >= 0)  # still monotone


@pytest.mark.parametrize(("param", "value", "stat", "direction"), [
    ("brightness", 0.3, lambda f: luma(f).mean(), 1),
    ("brightness", -0.3, lambda f: luma(f).mean(), -1),
    ("contrast", 1.5, lambda f: luma(f).std(), 1),
    ("contrast", 0.5, lambda f: luma(f).std(), -1),
    ("saturation", 1.5, chroma, 1),
    ("saturation", 0.3, chroma, -1),
    ("temperature", 0.6, rb_ratio, 1),
    ("temperature", -0.6, rb_ratio, -1),
    ("tint", 0.6, lambda f: rgb(f)[..., 1].mean(), -1),  # + = magenta: less green
    ("gamma", 2.0, lambda f: luma(f).mean(), 1),
    ("gamma", 0.5, lambda f: luma(f).mean(), -1),
])
def test_custom_params_move_their_statistic(param, value, stat, direction):
    frame = colourful()
    before, after = stat(frame), stat(run(frame, grade="custom", grade_params={param: value}))
    assert (after - before) * direction > 0.03 * abs(before)


def test_custom_params_are_clamped_and_near_neutral_is_near_identity():
    frame = colourful()
    wild = run(frame, grade="custom", grade_params={"contrast": 50, "saturation": "lots"})
    assert np.array_equal(wild, run(frame, grade="custom", grade_params={"contrast": 2.0}))
    tiny = run(frame, grade="custom", grade_params={"brightness": 1e-3, "saturation": 1.001})
    assert psnr(tiny, frame) > 45


# ---------------------------------------------------------------------------- LUTs

def test_bundled_luts_exist_and_load():
    assert {"identity", "teal-orange", "bleach-bypass"} <= set(E.builtin_luts())
    lut = E.load_cube(E.LUT_DIR / "identity.cube")
    assert lut.shape == (17, 17, 17, 3) and lut.dtype == np.float32


def test_identity_lut_is_near_identity():
    frame = colourful(noise=8.0)
    assert psnr(run(frame, lut="identity"), frame) >= 45
    assert psnr(run(frame, lut=str(E.LUT_DIR / "identity.cube")), frame) >= 45


def test_cube_is_indexed_red_green_blue(tmp_path):
    lut = E.load_cube(write_cube(tmp_path / "r.cube", lambda r, g, b: (r, 0.5 * g, 0.25 * b)))
    axis = np.linspace(0, 1, 5)
    assert np.allclose(lut[:, 0, 0, 0], axis) and np.allclose(lut[0, :, 0, 1], axis / 2)
    assert np.allclose(lut[0, 0, :, 2], axis / 4)


def test_cube_domain_is_rebased_to_unit(tmp_path):
    header = "DOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n"
    path = write_cube(tmp_path / "d.cube", lambda r, g, b: (2 * r, 2 * g, 2 * b), header=header)
    lut = E.load_cube(path)  # identity over [0, 2]: identity on [0, 1] too
    axis = np.linspace(0, 1, 5)
    assert np.allclose(lut[:, 2, 4, 0], axis, atol=1e-6) and np.allclose(lut[1, 2, 4], [.25, .5, 1])


def test_swap_lut_swaps_red_and_blue(tmp_path):
    path = write_cube(tmp_path / "swap.cube", lambda r, g, b: (b, g, r))
    for colour in [(0.8, 0.3, 0.1), (0.1, 0.5, 0.9), (0.2, 0.7, 0.4)]:
        out = mean_rgb709(run(solid_rgb(colour), lut=str(path)))
        assert np.allclose(out, colour[::-1], atol=0.015)


def test_lut_resolver_is_used(tmp_path):
    path = write_cube(tmp_path / "swap.cube", lambda r, g, b: (b, g, r))
    c = E.EffectChain({"lut": "my look"}, size=(W, H), fps=FPS,
                      resolve_lut=lambda name: path if name == "my look" else None)
    out = mean_rgb709(c.apply(solid_rgb((0.8, 0.3, 0.1)), source_time=0.0))
    assert out[2] > 0.7 and out[0] < 0.2


@pytest.mark.parametrize(("content", "reason"), [
    ("LUT_3D_SIZE 2\n0 0 0\n1 0 0\n", "expected 8 rows"),
    ("0 0 0\n" * 8, "no LUT_3D_SIZE"),
    ("LUT_3D_SIZE 2\n" + "0 0 x\n" * 8, "not numeric"),
    ("LUT_3D_SIZE 2\n" + "0 0\n" * 8, "exactly 3"),
    ("LUT_3D_SIZE 1\n0 0 0\n", "outside"),
    ("LUT_1D_SIZE 4\n" + "0 0 0\n" * 4, "1D"),
    ("LUT_3D_SIZE 2\nDOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 0 0\n" + "0 0 0\n" * 8, "DOMAIN"),
    ("LUT_3D_SIZE 2\n" + "0 0 nan\n" * 8, "non-finite"),
])
def test_malformed_cube_names_the_file(tmp_path, content, reason):
    path = tmp_path / "broken look.cube"
    path.write_text(content)
    with pytest.raises(E.EffectError, match=reason) as err:
        chain(lut=str(path))
    assert str(path) in str(err.value)


def test_missing_cube_names_the_file(tmp_path):
    missing = tmp_path / "gone.cube"
    with pytest.raises(E.EffectError, match="gone.cube"):
        chain(lut=str(missing))
    with pytest.raises(E.EffectError, match="no-such-look"):
        chain(lut="no-such-look")
    with pytest.raises(E.EffectError, match="gone.cube"):
        E.load_cube(missing)


# ---------------------------------------------------------------------------- sharpen, denoise

def test_sharpen_raises_high_frequency_energy_monotonically():
    frame = colourful(noise=4.0)
    assert not chain(sharpen=0.0).active
    assert E.sharpen(frame, 0.0) is frame
    energies = [cv2.Laplacian(luma(frame), cv2.CV_64F).var()]
    for amount in (0.25, 0.5, 1.0):
        energies.append(cv2.Laplacian(luma(run(frame, sharpen=amount)), cv2.CV_64F).var())
    assert all(b > a * 1.05 for a, b in zip(energies, energies[1:], strict=False))
    out = run(frame, sharpen=1.0)
    assert np.array_equal(out[H:], frame[H:])  # chroma untouched


def test_denoise_reduces_noise_and_keeps_edges():
    rng = np.random.default_rng(7)
    w, h = 320, 180
    flat = np.full((h * 3 // 2, w), 128.0)
    step = flat.copy()
    step[:h, : w // 2] = 60
    step[:h, w // 2:] = 180
    noise = rng.normal(0.0, 10.0, flat.shape)
    noisy_flat = readonly(np.clip(flat + noise, 0, 255).astype(np.uint8))
    noisy_step = readonly(np.clip(step + noise, 0, 255).astype(np.uint8))
    c = E.EffectChain({"denoise": True}, size=(w, h), fps=FPS)

    before = planes(noisy_flat)[0].astype(float).std()
    after = planes(c.apply(noisy_flat, source_time=0))[0].astype(float).std()
    assert after <= 0.6 * before

    def edge_contrast(frame: np.ndarray) -> float:
        y = planes(frame)[0].astype(float)
        return y[:, w // 2].mean() - y[:, w // 2 - 1].mean()

    kept = edge_contrast(c.apply(noisy_step, source_time=0)) / edge_contrast(noisy_step)
    assert kept > 0.85


# ---------------------------------------------------------------------------- stabilize

class ShakyClip:
    """A textured picture panning slowly, with known random jitter on every frame."""

    def __init__(self, n: int = 60, w: int = 320, h: int = 180, margin: int = 24) -> None:
        rng = np.random.default_rng(11)
        texture = cv2.GaussianBlur(rng.uniform(0, 255, (h + 2 * margin, w + 2 * margin)),
                                   (0, 0), 2.0)
        self.texture = cv2.normalize(texture, None, 20, 230, cv2.NORM_MINMAX).astype(np.uint8)
        pan = np.stack([np.arange(n) * 0.3, np.arange(n) * -0.1], axis=1)
        self.offsets = np.rint(pan + rng.uniform(-6, 6, (n, 2))).astype(int) + margin
        self.n, self.w, self.h, self.calls = n, w, h, 0

    def frame(self, k: int) -> np.ndarray:
        ox, oy = self.offsets[min(self.n - 1, max(0, k))]
        out = np.full((self.h * 3 // 2, self.w), 128, np.uint8)
        out[: self.h] = self.texture[oy: oy + self.h, ox: ox + self.w]
        return readonly(out)

    def __call__(self, t: float) -> np.ndarray:
        self.calls += 1
        return self.frame(round(t * FPS))

    @property
    def span(self) -> tuple[float, float]:
        return 0.0, self.n / FPS


def frame_motion(frames: list[np.ndarray]) -> float:
    """Mean frame-to-frame shift (pixels) of the centre of the luma."""
    crops = []
    for f in frames:
        y = planes(f)[0].astype(np.float32)
        h, w = y.shape
        crops.append(np.ascontiguousarray(y[h // 5: -h // 5, w // 5: -w // 5]))
    window = cv2.createHanningWindow(crops[0].shape[::-1], cv2.CV_32F)
    shifts = [cv2.phaseCorrelate(a, b, window)[0] for a, b in zip(crops, crops[1:], strict=False)]
    return float(np.mean(np.hypot(*np.array(shifts).T)))


def stabilized(clip: ShakyClip, c: E.EffectChain) -> list[np.ndarray]:
    return [c.apply(clip.frame(k), source_time=k / FPS, source=clip, span=clip.span)
            for k in range(clip.n)]


def test_stabilize_removes_most_of_the_jitter(tmp_path):
    clip = ShakyClip()
    c = E.EffectChain({"stabilize": True}, size=(clip.w, clip.h), fps=FPS,
                      cache_dir=tmp_path, clip_key="clip-1")
    raw = [clip.frame(k) for k in range(clip.n)]
    out = stabilized(clip, c)
    assert clip.calls == clip.n  # one analysis pass, then cached
    before, after = frame_motion(raw), frame_motion(out)
    assert after <= 0.4 * before, (before, after)

    # The analysis is cached on disk and reused by a fresh chain (no source reads).
    assert len(list(tmp_path.glob("stabilize-*.npy"))) == 1
    again = ShakyClip()
    c2 = E.EffectChain({"stabilize": True}, size=(clip.w, clip.h), fps=FPS,
                       cache_dir=tmp_path, clip_key="clip-1")
    assert np.array_equal(stabilized(again, c2)[17], out[17])
    assert again.calls == 0


def test_stabilize_without_source_leaves_the_frame():
    clip = ShakyClip(n=5)
    c = E.EffectChain({"stabilize": True}, size=(clip.w, clip.h), fps=FPS)
    frame = clip.frame(2)
    assert c.active and c.apply(frame, source_time=2 / FPS) is frame
    out = c.apply(frame, source_time=2 / FPS, source=clip, span=clip.span)
    assert out is not frame and out.shape == frame.shape
