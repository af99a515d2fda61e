"""The procedural sound effects' moving average: same values as a box convolution, in O(n)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from aladdin_studio.voice import sfx_local
from aladdin_studio.voice.sfx_local import _smooth


@pytest.mark.parametrize(("n", "width"), [(1000, 7), (1000, 1), (48000, 4801), (50, 80), (3, 8)])
def test_smooth_equals_a_box_convolution(n: int, width: int) -> None:
    x = np.random.default_rng(n + width).standard_normal(n).astype(np.float32)
    expected = np.convolve(x, np.ones(width, np.float32) / width, mode="same")
    got = _smooth(x, width)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_room_tone_renders_quickly() -> None:
    # A wide window made 3 s of room tone take ~21 s of CPU with np.convolve.
    start = time.process_time()
    samples = sfx_local.render("room tone", 3.0, 48000, prompt="room tone")
    assert samples.shape == (144000,) and float(np.abs(samples).max()) > 0.0
    assert time.process_time() - start < 2.0
