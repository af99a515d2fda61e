"""Cost of the load-time document check (timeline/document_check) against OTIO's own parse
of the same file, measured in the same run, on scenes of 200 and 2,000 clips.

Goal: the typed walk the check adds (the JSON decode was there before it) costs at most
0.5x the OTIO parse it guards. (A JSON Schema of the same rules run by ``jsonschema`` was
the first design: 5.8 s on 2,000 clips, ~20x the parse, which is why the check is a walk.)
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import opentimelineio as otio

from aladdin_studio.demo import build_demo
from aladdin_studio.timeline import document_check as D
from aladdin_studio.timeline import project_io

GOAL = 0.5


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scene_with(doc: dict, clips: int) -> str:
    doc = copy.deepcopy(doc)
    track = doc["children"][0]["tracks"]["children"][0]
    clip = next(c for c in track["children"] if c["OTIO_SCHEMA"].startswith("Clip"))
    track["children"] = [copy.deepcopy(clip) for _ in range(clips)]
    return json.dumps(doc)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        sample = build_demo(Path(tmp) / "S.aladdin", size=(320, 180), clip_seconds=3.0)
        doc = json.loads(project_io.serialize(sample))
    worst = 0.0
    for clips in (200, 2000):
        text = scene_with(doc, clips)
        parse = best(lambda t=text: otio.adapters.read_from_string(t, "otio_json"))

        head = D.loads(text, "bench")
        checked = best(lambda h=head: D.check_shape(h, "bench"))
        ratio = checked / parse
        worst = max(worst, ratio)
        print(f"{clips:5d} clips: OTIO parse {parse * 1000:7.1f} ms, check "
              f"{checked * 1000:6.1f} ms, ratio {ratio:.2f} (goal <= {GOAL})")
    print(f"worst ratio {worst:.2f}: {'OK' if worst <= GOAL else 'MISSED'}")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
