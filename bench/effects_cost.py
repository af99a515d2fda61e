"""Per-frame cost of each clip effect at 1920x1080, on I420 frames as the compositor has them.

Reference measured in the same run: one I420 → RGB → I420 round trip with OpenCV, i.e. what
an effect working in RGB would pay before doing anything. Goals: grades within 2× of that
bare round trip (they use YUV tables, no conversion), denoise < 40 ms, sharpen < 15 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from aladdin_studio.render.effects import EffectChain, default_resolve_lut
from aladdin_studio.render.grade import PRESETS

W, H = 1920, 1080
REPEAT = 20


def test_frame() -> np.ndarray:
    """A colourful, textured, slightly noisy I420 frame."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 1.0, W)[None, :]
    y = np.linspace(0.0, 1.0, H)[:, None]
    rgb = np.stack(np.broadcast_arrays(x, y, 0.5 + 0.4 * np.sin(9 * x + 5 * y)), axis=-1)
    rgb = rgb * 255 + rng.normal(0.0, 6.0, (H, W, 3))
    frame = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2YUV_I420)
    frame.flags.writeable = False
    return frame


def median_ms(fn: Callable[[], object]) -> float:
    fn()  # warm up
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main() -> int:
    frame = test_frame()
    span = (0.0, 1.0)
    reference = median_ms(lambda: cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_I420),
                                               cv2.COLOR_RGB2YUV_I420))
    cases: dict[str, dict] = {
        **{f"grade {p}": {"grade": p} for p in PRESETS},
        "grade custom": {"grade": "custom", "grade_params": {"contrast": 1.2, "tint": 0.2}},
        "lut teal-orange": {"lut": "teal-orange"},
        "denoise": {"denoise": True},
        "sharpen 0.5": {"sharpen": 0.5},
        "stabilize (warp)": {"stabilize": True},
    }
    print(f"per-frame cost at {W}x{H} ({cv2.getNumThreads()} OpenCV threads), median of "
          f"{REPEAT}; reference I420→RGB→I420 round trip: {reference:.2f} ms")
    for name, effects in cases.items():
        if "lut" in effects and default_resolve_lut(effects["lut"]) is None:
            continue
        chain = EffectChain(effects, size=(W, H), fps=25.0)
        if chain.stabilizer is not None:  # skip the analysis: time the per-frame warp
            chain.stabilizer._corrections[span] = np.full((25, 3), [0.001, -0.002, 0.003])
        ms = median_ms(lambda c=chain: c.apply(frame, source_time=0.2, span=span,
                                               source=lambda t: frame))
        print(f"  {name:<20} {ms:7.2f} ms   ×{ms / reference:5.2f} of the round trip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
