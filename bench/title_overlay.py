"""Cost of a title over the picture at 1920x1080, on I420 frames as the compositor has them.

Reference measured in the same run: one I420 → RGB → I420 round trip with OpenCV (what any
RGB-based overlay would pay before drawing). Goals: blending a cached two-line title with
outline and shadow (during its fade, the slowest case) costs less than that round trip;
rasterising it once per settings change (Pillow) costs less than 25 round trips (on an idle
core ~40 ms: a slider drag re-renders within two frames).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from aladdin_studio.render import titles as R
from aladdin_studio.timeline.titles import DEFAULT_TITLE

W, H = 1920, 1080
REPEAT = 30
PARAMS = {**DEFAULT_TITLE, "text": "Sunset over the bay\nChapter one", "size": 120.0,
          "outline": 4.0, "shadow": True, "color": "#ffd040"}


def median_ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main() -> int:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    frame = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    key = json.dumps(PARAMS, sort_keys=True)
    reference = median_ms(lambda: cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_I420),
                                               cv2.COLOR_RGB2YUV_I420))
    raster = []
    for i in range(5):  # uncached: a new size each time
        t0 = time.perf_counter()
        R.title_layer(key, (W - 2 * i, H))
        raster.append((time.perf_counter() - t0) * 1000.0)
    rasterise = statistics.median(raster)
    layer = R.title_layer(key, (W, H))
    assert layer is not None
    opaque = median_ms(lambda: R.blend(frame, layer, 1.0))
    fading = median_ms(lambda: R.blend(frame, layer, 0.5))
    x, y, w, h = layer.rect
    print(f"title box {w}x{h} of {W}x{H}; reference I420→RGB→I420: {reference:.2f} ms")
    print(f"  rasterise once (Pillow + I420 + alpha): {rasterise:.1f} ms "
          f"({rasterise / reference:.1f}× the round trip, goal < 25×)")
    print(f"  blend per frame: opaque {opaque:.2f} ms, fading {fading:.2f} ms "
          f"({fading / reference:.2f}× the round trip, goal < 1×)")
    ok = fading < reference and rasterise < 25 * reference
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
