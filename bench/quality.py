"""Quality verification: per-check precision/recall on the labelled set (thresholds chosen on
seed 1, held out on seed 2), and the time to verify a 7 s 720p clip beside the time to
decode that clip once (the reference, measured in the same run).

    python bench/quality.py [--seeds 1 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "quality"))

from labelled import animatic, build_set  # noqa: E402

from aladdin_studio.generation.request import GenerationRequest  # noqa: E402
from aladdin_studio.quality import CHECK_TYPES, VerifyParams, verify_video  # noqa: E402

TARGET_S = 1.0


def decode_once(path: Path) -> float:
    """Seconds to decode every frame of ``path`` (threaded, no conversion)."""
    start = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - start


def score_set(folder: Path, seed: int) -> dict:
    samples = build_set(folder, seed)
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CHECK_TYPES}
    good_failed, degraded_passed, missed = [], [], []
    for s in samples:
        result = verify_video(s.path, s.params)
        failed = {c.type for c in result.checks if not c.passed}
        for kind in CHECK_TYPES:
            if kind in failed and kind in s.defects:
                counts[kind]["tp"] += 1
            elif kind in failed:
                counts[kind]["fp"] += 1
            elif kind in s.defects:
                counts[kind]["fn"] += 1
        if s.good and not result.passed:
            good_failed.append(f"{s.name}: {result.issues}")
        if not s.good and result.passed:
            degraded_passed.append(s.name)
        if not s.defects <= failed:
            missed.append(f"{s.name} (wanted {sorted(s.defects)}, failed {sorted(failed)})")
    return {"n": len(samples), "good": sum(s.good for s in samples), "counts": counts,
            "good_failed": good_failed, "degraded_passed": degraded_passed, "missed": missed}


def report(seed: int, label: str, data: dict) -> bool:
    print(f"\nset seed {seed} ({label}): {data['n']} clips, {data['good']} good")
    print(f"  {'check':24s} {'precision':>9s} {'recall':>7s}   tp fp fn")
    for kind, c in data["counts"].items():
        if not any(c.values()):
            continue
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        print(f"  {kind:24s} {p:9.2f} {r:7.2f}   {c['tp']:2d} {c['fp']:2d} {c['fn']:2d}")
    for line in data["good_failed"]:
        print(f"  GOOD CLIP FAILED: {line}")
    for line in data["missed"]:
        print(f"  DEFECT MISSED: {line}")
    for line in data["degraded_passed"]:
        print(f"  DEGRADED CLIP PASSED: {line}")
    return not (data["good_failed"] or data["missed"] or data["degraded_passed"])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def speed(folder: Path, runs: int) -> tuple[float, float, float, float]:
    pics = folder / f"set{1}"
    clip = folder / "seven_720p.mp4"
    request = GenerationRequest("image-to-video", "a traveller", image=pics / "shot.png",
                                duration=7.0, motion="zoom")
    animatic(request, clip, 1, size=(1280, 720))
    params = VerifyParams(expected_duration=7.0, aspect="16:9", min_short_side=720,
                          character_refs=[pics / "character.png"],
                          location_ref=pics / "location.png", first_frame=pics / "shot.png")
    verify_video(clip, params)  # warm-up (imports, OpenCV kernels)
    decode_once(clip)
    decodes, verifies, decode_cpu, verify_cpu = [], [], [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        cpu = _cpu()
        decodes.append(decode_once(clip))
        decode_cpu.append(_cpu() - cpu)
        start, cpu = time.perf_counter(), _cpu()
        result = verify_video(clip, params)
        verifies.append(time.perf_counter() - start)
        verify_cpu.append(_cpu() - cpu)
        assert result.passed, result.issues
    return (statistics.median(verifies), statistics.median(decodes),
            statistics.median(verify_cpu), statistics.median(decode_cpu))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        folder = Path(tmp)
        for i, seed in enumerate(args.seeds):
            label = "calibration" if i == 0 else "hold-out"
            ok &= report(seed, label, score_set(folder / f"set{seed}", seed))
        if not (folder / "set1").exists():
            build_set(folder / "set1", 1)
        verify_s, decode_s, verify_cpu, decode_cpu = speed(folder, args.runs)
    load = os.getloadavg()[0]
    print(f"\nverify a 7 s 1280x720 clip (character + location refs, first frame): "
          f"{verify_s:.3f} s (median of {args.runs}); decode it once: {decode_s:.3f} s; "
          f"ratio {verify_s / decode_s:.2f}x decode; target <= {TARGET_S:.1f} s: "
          f"{'met' if verify_s <= TARGET_S else 'NOT met'}")
    print(f"CPU time: verify {verify_cpu:.2f} s, decode {decode_cpu:.2f} s "
          f"({verify_cpu / decode_cpu:.2f}x; load average {load:.1f} on "
          f"{os.cpu_count()} cores while measuring)")
    verdict = "every defect flagged by its check, no good clip failing" if ok else "see above"
    print(f"labelled sets: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
