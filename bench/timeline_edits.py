"""Edit latency on a 1,000-clip scene: a move+ripple edit and its undo.

Goal (issue): median < 16 ms each, one frame at 60 Hz. The reference printed
alongside is the cost of serializing the scene once (what a naive
snapshot-based undo would pay per edit), measured in the same run.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "timeline"))

from aladdin_studio.timeline import commands as C  # noqa: E402
from aladdin_studio.timeline.layout import track_end  # noqa: E402

from doc_factory import make_doc, media_clip  # noqa: E402

CLIPS = 1000
ROUNDS = 60


def build():
    project, stack, scene = make_doc(0, max_clips=CLIPS + 10)
    video = scene.tracks[0]
    for i in range(CLIPS):
        C.AppendClip(video, media_clip(f"c{i}", 2.0)).redo(project)
    return project, stack, scene, video


def main() -> None:
    project, stack, scene, video = build()
    edit_ms, undo_ms = [], []
    for r in range(ROUNDS):
        clip = video[(r * 37) % (CLIPS - 2)]
        end = track_end(video, 24)
        t0 = time.perf_counter()
        # Move a clip to the end with ripple (closing its old place) ...
        stack.push(C.MoveClip(clip, video, end, ripple=True))
        # ... then a ripple trim on another clip, as one drag gesture would.
        stack.push(C.Trim(video[r % 500], "out", -2, ripple=True))
        t1 = time.perf_counter()
        stack.undo()
        stack.undo()
        t2 = time.perf_counter()
        edit_ms.append((t1 - t0) * 1000)
        undo_ms.append((t2 - t1) * 1000)
    t0 = time.perf_counter()
    for _ in range(5):
        project.collection.to_json_string()
    snapshot_ms = (time.perf_counter() - t0) * 1000 / 5
    med_edit, med_undo = statistics.median(edit_ms), statistics.median(undo_ms)
    print(f"scene: {CLIPS} clips, {ROUNDS} rounds")
    print(f"move+ripple edit: median {med_edit:.2f} ms (p95 "
          f"{sorted(edit_ms)[int(0.95 * ROUNDS)]:.2f} ms), goal < 16 ms")
    print(f"undo of it:       median {med_undo:.2f} ms (p95 "
          f"{sorted(undo_ms)[int(0.95 * ROUNDS)]:.2f} ms), goal < 16 ms")
    print(f"reference: one serialization of the scene {snapshot_ms:.2f} ms; "
          f"edit/serialize ratio {med_edit / snapshot_ms:.2f}, "
          f"undo/serialize ratio {med_undo / snapshot_ms:.2f}")


if __name__ == "__main__":
    main()
