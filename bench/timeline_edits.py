"""Edit latency on a 1,000-clip scene: the document alone, then the editor window.

Part 1 (the document): a move+ripple edit and its undo. Goal (issue): median < 16 ms each,
one frame at 60 Hz. The reference printed alongside is the cost of serializing the scene
once (what a naive snapshot-based undo would pay per edit), measured in the same run.

Part 2 (the window, ``--window`` or no argument; ``--document`` runs part 1 only): a 997-clip
single-track scene on real media files (hard links of one small file) open in the main window
(offscreen: timeline view, Scenes dock, Inspector with a clip selected, player, status bar),
and a copy of it as a bare document (``Project`` + ``UndoStack``, no views), the reference.
Per kind of edit (ripple trim of the first clip, which moves every later one; ripple delete;
a move; undo and redo of the move), the two take turns edit by edit, so a busy machine slows
both alike. Printed per kind: the median time of the edit call on the bare document and in
the window, and the window's GUI-thread CPU time from the edit until the events it posted
(repaints) are handled. Goal (issue 12 follow-up): < 16 ms of GUI-thread time per edit in
the window. The full garbage collections during the edits are counted (``--no-freeze``:
without ``ui/gc_policy``, which the app installs).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
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


def document_part() -> None:
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


# --- part 2: the editor window ------------------------------------------------------------

WINDOW_CLIPS = 997
WINDOW_ROUNDS = 8
KINDS = ("ripple trim", "ripple delete", "move", "undo", "redo")
GOAL_MS = 16.0


def _window_doc(tmp: Path):
    """A 997-clip single-track scene, each clip on its own (hard-linked) media file."""
    from aladdin_studio import sample_media
    from aladdin_studio.timeline import schema as S

    from doc_factory import RATE

    video = sample_media.make_pattern_video(tmp / "pattern.mp4", seconds=4, size=(320, 180))
    project, stack, scene = make_doc(0, max_clips=WINDOW_CLIPS + 10)
    track = scene.tracks[0]
    for i in range(WINDOW_CLIPS):
        path = tmp / f"v{i}.mp4"
        if not path.exists():
            os.link(video, path)
        ref = S.new_reference(str(path), duration_frames=4 * RATE, rate=RATE,
                              info={"has_video": True, "has_audio": True, "duration": 4.0})
        C.AppendClip(track, S.new_clip(f"v{i}", ref, start=RATE // 2, duration=2 * RATE,
                                       rate=RATE)).redo(project)
    return project, stack, scene, track


def _edits(push, stack, track, r: int):
    """Round ``r``'s edits as (kind, action); ``push``/``stack`` are the document's or the
    window's (its Qt undo stack), ``track`` that document's track."""
    clips = track.find_clips()
    return [("ripple trim", lambda: push(C.Trim(clips[0], "out", -1 if r % 2 else 1,
                                                ripple=True))),
            ("ripple delete", lambda: push(C.RippleDelete(clips[5 + r]))),
            ("move", lambda: push(C.MoveClip(clips[10 + r], track, 100 * 24 + r))),
            ("undo", lambda: stack.undo()),
            ("redo", lambda: stack.redo())]


def window_part() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="timeline-edits-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")  # fresh window layout, no recent list
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from aladdin_studio.timeline import project_io
    from aladdin_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    bare, bare_stack, _scene, bare_track = _window_doc(tmp)
    project, _stack, scene, track = _window_doc(tmp)
    project_io.save(project, tmp / "Bench.aladdin")
    window = MainWindow(project, autosave_s=0, ask_recovery=False)
    window.show()
    ctx = window.ctx
    ctx.set_scene(scene)
    ctx.select([track.find_clips()[3]])  # the Inspector shows a clip
    ctx.set_playhead(40 * 24)
    settle(1500)  # first frame, filmstrips
    if "--no-freeze" not in sys.argv[1:]:
        from aladdin_studio.ui import gc_policy

        gc_policy.install(ctx)  # as the app does
    import gc

    collections: list[float] = []  # ms of each full collection during the edits
    started: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started:
                collections.append((time.perf_counter() - started[0]) * 1e3)

    gc.callbacks.append(on_gc)
    doc_ms: dict[str, list[float]] = {k: [] for k in KINDS}
    call_ms: dict[str, list[float]] = {k: [] for k in KINDS}
    gui_ms: dict[str, list[float]] = {k: [] for k in KINDS}
    for r in range(WINDOW_ROUNDS):
        pairs = zip(_edits(bare_stack.push, bare_stack, bare_track, r),
                    _edits(ctx.push, ctx.stack, track, r), strict=True)
        for (kind, doc_edit), (_, window_edit) in pairs:
            t0 = time.perf_counter()
            assert doc_edit() is not False, kind
            doc_ms[kind].append((time.perf_counter() - t0) * 1e3)
            cpu0, t0 = time.thread_time(), time.perf_counter()
            assert window_edit() is not False, kind
            call_ms[kind].append((time.perf_counter() - t0) * 1e3)
            app.processEvents()  # the repaints and other events the edit posted
            app.processEvents()
            gui_ms[kind].append((time.thread_time() - cpu0) * 1e3)
            settle(80)  # the player's frame arrives off the clock
    gc.callbacks.remove(on_gc)
    window._close_confirmed = True
    window.close()
    load = os.getloadavg()[0]
    print(f"window: {WINDOW_CLIPS} clips on one track, {WINDOW_ROUNDS} rounds; load average "
          f"{load:.2f} on {os.cpu_count()} cores")
    print(f"{'edit':<14} {'document':>9} {'window':>9} {'ratio':>6} {'window GUI CPU':>15}"
          "   (medians, ms: the edit call; GUI-thread CPU incl. the events it posted)")
    worst = 0.0
    for kind in KINDS:
        d, w = statistics.median(doc_ms[kind]), statistics.median(call_ms[kind])
        g = statistics.median(gui_ms[kind])
        worst = max(worst, g)
        print(f"{kind:<14} {d:>9.1f} {w:>9.1f} {w / max(d, 0.01):>5.1f}x {g:>15.1f}")
    every = sorted(g for kind in KINDS for g in gui_ms[kind])
    print(f"every edit: GUI CPU p95 {every[int(0.95 * len(every))]:.1f} ms, worst "
          f"{every[-1]:.1f} ms; full garbage collections during the edits: {len(collections)}"
          f" ({sum(collections):.1f} ms, longest {max(collections, default=0):.1f} ms"
          f"{'' if '--no-freeze' in sys.argv[1:] else ', with gc_policy'})")
    print(f"goal < {GOAL_MS:.0f} ms of GUI-thread time per edit in the window (worst kind "
          f"{worst:.1f} ms): {'PASS' if worst < GOAL_MS else 'MISS'}")


def main() -> None:
    if "--window" not in sys.argv[1:]:
        document_part()
    if "--document" not in sys.argv[1:]:
        window_part()


if __name__ == "__main__":
    main()
