"""Scrub latency: 100 random ``VideoSource.frame_at`` calls at 960x540 (yuv420p).

The reference printed alongside is a naive decoder measured in the same run: every call
re-opens the file, seeks to the keyframe before the target and decodes forward to it, then
scales to the same output. Both paths are checked to return the same frame numbers.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from aladdin_studio.render.decode import VideoSource
from aladdin_studio.sample_media import make_pattern_video, read_frame_number

CALLS = 100
OUT = (960, 540)
SAMPLE = (
    Path(__file__).resolve().parents[1] / "sample" / "Sample.aladdin" / "media" / "pattern-1.mp4"
)


def naive_frame_at(path: Path, t: float) -> np.ndarray:
    """Open, seek to the keyframe before ``t``, decode to the frame shown at ``t``, scale."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base)
        start = (stream.start_time or 0) * tb
        eps = min(0.5 / float(stream.average_rate), tb)
        container.seek(int((t + start) / tb), stream=stream, backward=True, any_frame=False)
        shown = None
        for frame in container.decode(stream):
            if shown is not None and frame.pts * tb - start > t + eps:
                break
            shown = frame
        assert shown is not None
        return shown.reformat(width=OUT[0], height=OUT[1], format="yuv420p").to_ndarray()


def timed(fn: Callable[[float], np.ndarray], times: list[float]) -> tuple[list[float], list[int]]:
    """Per-call wall times (s) and the frame number read back from each result."""
    lat, numbers = [], []
    for t in times:
        t0 = time.perf_counter()
        out = fn(t)
        lat.append(time.perf_counter() - t0)
        numbers.append(read_frame_number(out[: OUT[1]]))
    return lat, numbers


def stats(lat: list[float]) -> tuple[float, float]:
    ms = sorted(x * 1000 for x in lat)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def main() -> int:
    tmp = None
    path = SAMPLE
    if not path.exists():
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "pattern-1080p.mp4"
        print(f"{SAMPLE} not found; writing a 1080p 7 s pattern clip (gop=48)...")
        make_pattern_video(path, seconds=7, size=(1920, 1080), fps=24, gop=48)
    try:
        with VideoSource(path, out_size=OUT, pix_fmt="yuv420p") as src:
            fps = float(src.fps or 24)
            duration = src.duration or 1.0
            n_frames = int(round(duration * fps))
            rng = random.Random(7)
            times = [rng.randrange(n_frames) / fps for _ in range(CALLS)]
            src.frame_at(0.0)  # warm up: open threads, build the scaler
            fast, fast_n = timed(src.frame_at, times)
        naive, naive_n = timed(lambda t: naive_frame_at(path, t), times)
    finally:
        if tmp is not None:
            tmp.cleanup()
    expected = [int(round(t * fps)) for t in times]
    if fast_n != expected or naive_n != expected:
        print("MISMATCH: decoded frame numbers differ from the requested frames")
        return 1
    f_med, f_p95 = stats(fast)
    n_med, n_p95 = stats(naive)
    print(f"source: {path.name} ({n_frames} frames @ {fps:g} fps), {CALLS} random frame_at -> "
          f"{OUT[0]}x{OUT[1]} yuv420p, all frame numbers verified")  # fmt: skip
    print(f"VideoSource.frame_at : median {f_med:7.2f} ms   p95 {f_p95:7.2f} ms")
    print(f"naive reopen+seek    : median {n_med:7.2f} ms   p95 {n_p95:7.2f} ms")
    print(f"speed-up (naive / VideoSource): median x{n_med / f_med:.2f}   p95 x{n_p95 / f_p95:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
