"""Scrub latency of the preview: 200 random ``Preview.frame_at`` calls on the sample scene.

What is measured (one process, one thread, like the player):

* proxy build: ``Preview.build_proxies`` into an empty media cache (printed, not a goal);
* cold: 200 calls ``frame_at(scene, t, (960, 540))`` at distinct random frames (fixed seed),
  each after ``Preview.invalidate()``, so the finished-frame LRU cache never answers (its
  hit counter is checked); decoders stay open, as in the player. The OTIO scene is passed,
  as the UI would, so the plan lookup is part of each call; the same calls with the
  ``ScenePlan`` passed are printed too. Frames inside plain clips are checked against the
  frame number drawn in the pattern. Goals: median <= 15 ms, p95 <= 40 ms.
* warm: 100 of those frames again with the cache filled (all LRU hits), for reference;
* reference: plain PyAV on one 1080p GOP-48 source (``pattern-1.mp4``): the container is
  opened once, then per call ``container.seek`` to the keyframe before a random time,
  decode forward to the frame on screen at that time and scale it to 960x540 RGB.

Printed: median and p95 of each, our cold numbers divided by the reference's, and how many
cores other processes kept busy meanwhile (above 0.15 the numbers are flagged unreliable).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from aladdin_studio.render.media_cache import MediaCache
from aladdin_studio.render.plan import ClipSegment, ScenePlan
from aladdin_studio.render.preview import Preview
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline.project_io import load

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample" / "Sample.aladdin"
REFERENCE_SOURCE = SAMPLE / "media" / "pattern-1.mp4"
CLI = Path(sys.executable).parent / "aladdin-studio"
CALLS = 200
WARM_CALLS = 100  # 100 RGB frames at 960x540 = 155 MB, inside the 256 MB LRU budget
OUT = (960, 540)
SEED = 11
GOAL_MEDIAN_MS = 15.0
GOAL_P95_MS = 40.0


def ensure_sample() -> None:
    if (SAMPLE / "project.otio").is_file():
        return
    print(f"{SAMPLE} not found; building it (aladdin-studio demo, ~25 s)...", flush=True)
    subprocess.run([str(CLI), "demo", str(SAMPLE), "--force"], check=True,
                   stdout=subprocess.DEVNULL)


def cpu_now() -> tuple[float, float]:
    """(CPU seconds all cores spent busy since boot, CPU seconds of this process)."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (sum(f) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK"), r.ru_utime + r.ru_stime


def stats(lat: list[float]) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    ms = sorted(x * 1000 for x in lat)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def expected_number(plan: ScenePlan, n: int) -> int | None:
    """The pattern frame number shown at timeline frame ``n``, if ``n`` shows one clip's
    unaltered luma (inside a plain video clip), else None."""
    seg = plan.video[0].at(n)
    if not isinstance(seg, ClipSegment) or seg.clip.is_still:
        return None
    return int(round(seg.clip.source_time(n, plan.fps) * plan.fps))


def timed_cold(preview: Preview, scene: object, plan: ScenePlan,
               frames: list[int]) -> tuple[list[float], int]:
    """Per-call seconds with the frame cache emptied before each call; frames verified."""
    lat: list[float] = []
    verified = 0
    for n in frames:
        preview.invalidate()
        misses = preview.misses
        t0 = time.perf_counter()
        image = preview.frame_at(scene, n / plan.fps, OUT)  # type: ignore[arg-type]
        lat.append(time.perf_counter() - t0)
        if preview.misses != misses + 1:
            raise RuntimeError(f"frame {n}: answered from the frame cache")
        want = expected_number(plan, n)
        if want is not None:
            got = read_frame_number(image)
            if got != want:
                raise RuntimeError(f"frame {n}: shows pattern frame {got}, expected {want}")
            verified += 1
    return lat, verified


def reference(path: Path, times: list[float]) -> tuple[list[float], list[int]]:
    """Plain PyAV: one open container, seek + decode forward + scale per call."""
    lat: list[float] = []
    numbers: list[int] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base)
        start = (stream.start_time or 0) * tb
        eps = min(0.5 / float(stream.average_rate), tb)
        for t in times:
            t0 = time.perf_counter()
            container.seek(int((t + start) / tb), stream=stream, backward=True,
                           any_frame=False)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.pts * tb - start > t + eps:
                    break
                shown = frame
            assert shown is not None
            image = shown.reformat(width=OUT[0], height=OUT[1], format="rgb24").to_ndarray()
            lat.append(time.perf_counter() - t0)
            numbers.append(read_frame_number(image))
    return lat, numbers


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    ensure_sample()
    project = load(SAMPLE)
    scene = project.scene(None)
    with tempfile.TemporaryDirectory(prefix="bench-scrub-") as cache:
        preview = Preview(project.resolve_media, media_cache=MediaCache(cache))
        try:
            t0 = time.perf_counter()
            preview.build_proxies(scene)
            build_s = time.perf_counter() - t0
            plan = preview.plan(scene)
            sources = sum(1 for c in plan.clips() if c.path and not c.is_still)
            rng = random.Random(SEED)
            frames = rng.sample(range(plan.frames), CALLS)  # distinct: never the same recipe
            preview.frame_at(scene, 0.0, OUT)  # warm-up: compositor, scaler tables
            (busy0, self0), wall0 = cpu_now(), time.perf_counter()
            try:
                cold, verified = timed_cold(preview, scene, plan, frames)
                rng.shuffle(frames)
                cold_plan, _ = timed_cold(preview, plan, plan, frames)
            except RuntimeError as exc:
                print(f"FAILED: {exc}", file=sys.stderr)
                return 1
            warm_frames = frames[:WARM_CALLS]
            preview.invalidate()
            for n in warm_frames:
                preview.frame_at(scene, n / plan.fps, OUT)
            hits = preview.hits
            warm = []
            for n in warm_frames:
                t0 = time.perf_counter()
                preview.frame_at(scene, n / plan.fps, OUT)
                warm.append(time.perf_counter() - t0)
            if preview.hits != hits + WARM_CALLS:
                print("FAILED: warm calls were not all cache hits", file=sys.stderr)
                return 1
        finally:
            preview.close()

    with av.open(str(REFERENCE_SOURCE)) as c:
        s = c.streams.video[0]
        ref_frames = int(s.frames) or int(round(float(s.duration * s.time_base) * 24))
        fps = float(s.average_rate)
        ref_desc = f"{REFERENCE_SOURCE.name} {s.width}x{s.height}, {ref_frames} frames"
    rng = random.Random(SEED)
    times = [rng.randrange(ref_frames) / fps for _ in range(CALLS)]
    ref, numbers = reference(REFERENCE_SOURCE, times)
    (busy1, self1), wall1 = cpu_now(), time.perf_counter()
    other = max(0.0, (busy1 - busy0) - (self1 - self0)) / (wall1 - wall0)
    if numbers != [int(round(t * fps)) for t in times]:
        print("FAILED: the reference decoded wrong frames", file=sys.stderr)
        return 1

    c_med, c_p95 = stats(cold)
    p_med, p_p95 = stats(cold_plan)
    w_med, w_p95 = stats(warm)
    r_med, r_p95 = stats(ref)
    print(f"scene: {plan.name}, {plan.frames} frames; proxies of {sources} sources built in "
          f"{build_s:.1f} s (empty cache)")
    print(f"{CALLS} random frame_at -> {OUT[0]}x{OUT[1]} RGB, distinct frames (seed {SEED}); "
          f"{verified} frame numbers verified")
    print(f"cold, frame_at(scene) : median {c_med:6.2f} ms   p95 {c_p95:6.2f} ms   "
          f"goals <= {GOAL_MEDIAN_MS:g} / <= {GOAL_P95_MS:g} ms   "
          f"{verdict(c_med <= GOAL_MEDIAN_MS)} / {verdict(c_p95 <= GOAL_P95_MS)}")
    print(f"cold, frame_at(plan)  : median {p_med:6.2f} ms   p95 {p_p95:6.2f} ms")
    print(f"warm (LRU hits, {WARM_CALLS})   : median {w_med:6.3f} ms   p95 {w_p95:6.3f} ms")
    print(f"reference PyAV seek+decode+scale ({ref_desc}, GOP 48): median {r_med:6.2f} ms   "
          f"p95 {r_p95:6.2f} ms")
    print(f"ours cold / reference : median x{c_med / r_med:.2f}   p95 x{c_p95 / r_p95:.2f}")
    print(f"(cold latencies, ms: min {min(cold) * 1000:.2f}, max {max(cold) * 1000:.2f}, "
          f"mean {float(np.mean(cold)) * 1000:.2f}; other processes kept {other:.2f} cores "
          "busy meanwhile" + (": unreliable" if other > 0.15 else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
