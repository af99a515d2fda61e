"""Transitions on I420 frames with known content."""

from __future__ import annotations

import numpy as np
import pytest

from aladdin_studio.render import transitions as T

W, H = 64, 36


def solid(y: int, u: int, v: int) -> np.ndarray:
    frame = np.empty((H * 3 // 2, W), np.uint8)
    py, pu, pv = T.planes(frame)
    py[:], pu[:], pv[:] = y, u, v
    return frame


def noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(16, 236, (H * 3 // 2, W), dtype=np.uint8)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = np.mean((x.astype(float) - y.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def test_planes_are_views_of_the_frame():
    frame = solid(50, 60, 70)
    y, u, v = T.planes(frame)
    assert y.shape == (H, W) and u.shape == v.shape == (H // 2, W // 2)
    y[0, 0] = 1
    assert frame[0, 0] == 1


def test_dissolve_midpoint_is_the_mean():
    a, b = noise(1), noise(2)
    mid = T.apply("dissolve", a, b, 0.5)
    mean = ((a.astype(np.uint16) + b) / 2)
    assert psnr(mid, mean) >= 40
    assert np.array_equal(T.apply("dissolve", a, b, 0.0), a)
    assert np.array_equal(T.apply("dissolve", a, b, 1.0), b)


def test_fade_goes_through_black():
    a, b = solid(200, 90, 160), solid(120, 140, 100)
    assert np.array_equal(T.apply("fade", a, b, 0.5), T.black_like(a))
    assert np.array_equal(T.apply("fade", a, b, 1.0), b)
    quarter = T.planes(T.apply("fade", a, b, 0.25))[0]
    assert 100 < quarter.mean() < 115  # halfway from 200 to black (16)


@pytest.mark.parametrize("direction", ["left", "right", "up", "down"])
def test_half_wipe_shows_a_on_one_half_and_b_on_the_other(direction):
    a, b = solid(30, 100, 100), solid(220, 150, 150)
    y, u, _ = T.planes(T.apply("wipe", a, b, 0.5, direction=direction))
    first, second = {"left": (y[:, : W // 2], y[:, W // 2:]),
                     "right": (y[:, W // 2:], y[:, : W // 2]),
                     "up": (y[: H // 2], y[H // 2:]),
                     "down": (y[H // 2:], y[: H // 2])}[direction]
    assert (first == 30).all() and (second == 220).all()
    assert set(np.unique(u)) == {100, 150}


def test_slide_pushes_the_outgoing_frame():
    a = noise(3)
    b = noise(4)
    out = T.apply("slide", a, b, 0.5, direction="left")
    ya, yb, yo = T.planes(a)[0], T.planes(b)[0], T.planes(out)[0]
    assert np.array_equal(yo[:, : W // 2], ya[:, W // 2:])  # a moved left by half
    assert np.array_equal(yo[:, W // 2:], yb[:, : W // 2])  # b came in from the right
    assert np.array_equal(T.apply("slide", a, b, 1.0, direction="down"), b)


def test_easing_curves():
    for easing in ("linear", "ease-in", "ease-out", "ease-in-out"):
        assert T.ease(0, easing) == 0 and T.ease(1, easing) == 1
    assert T.ease(0.25, "ease-in") < 0.25 < T.ease(0.25, "ease-out")
    assert T.ease(0.5, "ease-in-out") == pytest.approx(0.5)
    with pytest.raises(ValueError):
        T.ease(0.5, "bounce")


@pytest.mark.parametrize("direction", ["right", "up"])
def test_slide_other_directions(direction):
    a, b = noise(5), noise(6)
    yo = T.planes(T.apply("slide", a, b, 0.5, direction=direction))[0]
    ya, yb = T.planes(a)[0], T.planes(b)[0]
    if direction == "right":
        assert np.array_equal(yo[:, W // 2:], ya[:, : W // 2])
        assert np.array_equal(yo[:, : W // 2], yb[:, W // 2:])
    else:
        assert np.array_equal(yo[: H // 2], ya[H // 2:])
        assert np.array_equal(yo[H // 2:], yb[: H // 2])
