"""GUI-thread cost of an edit on a 1,000-clip scene, with the preview player attached vs without.

The scene: 600 back-to-back clips on V1 (a dissolve on every 30th cut), 200 on V2 and 200
dialogue clips, each clip on its own media file (hard links of two small real files, so
resolving media costs what 1,000 files cost). Views: an ``EditorContext`` with a 1600x600
``TimelineWidget`` (the reference), then the same plus a ``PlayerWidget`` (the player's
render thread does the rendering; its GUI-thread work is rebuilding the render plan).

Edits, in rounds: a ripple trim of the first V1 clip (moves every later clip and the
sync-locked dialogue), a volume change on a V2 clip, a move on V2, then undo and redo of the
last one. Per edit it prints the wall time of the edit call (every connected slot runs in
it) and the GUI thread's CPU time from the edit until 150 ms later (deferred work: timers,
frames arriving and painted). Goal (issue 12 follow-up): the player's share < 16 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_TMP = Path(tempfile.mkdtemp(prefix="player-edits-"))
os.environ["XDG_CACHE_HOME"] = str(_TMP / "cache")
os.environ["XDG_CONFIG_HOME"] = str(_TMP / "config")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "timeline"))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from aladdin_studio import sample_media  # noqa: E402
from aladdin_studio.timeline import commands as C  # noqa: E402
from aladdin_studio.timeline import schema as S  # noqa: E402
from aladdin_studio.ui.editor_context import EditorContext  # noqa: E402
from aladdin_studio.ui.timeline_view import TimelineWidget  # noqa: E402

from doc_factory import RATE, make_doc  # noqa: E402

V1, V2, AUDIO = 600, 200, 200
ROUNDS = 10
SETTLE_MS = 150
GOAL_MS = 16.0


def media_files() -> tuple[Path, Path]:
    video = sample_media.make_pattern_video(_TMP / "pattern.mp4", seconds=4, size=(320, 180))
    speech = sample_media.make_dialogue(_TMP / "speech.m4a", seconds=4)
    links = _TMP / "links"
    links.mkdir()
    for i in range(V1 + V2):
        os.link(video, links / f"v{i}.mp4")
    for i in range(AUDIO):
        os.link(speech, links / f"d{i}.m4a")
    return video, speech


def clip(name: str, path: Path, audio: bool):
    ref = S.new_reference(str(path), duration_frames=4 * RATE, rate=RATE,
                          info={"has_video": not audio, "has_audio": True, "duration": 4.0})
    return S.new_clip(name, ref, start=RATE // 2, duration=2 * RATE, rate=RATE, audio=audio)


def build():
    links = _TMP / "links"
    project, _stack, scene = make_doc(0, max_clips=V1 + V2 + 10)
    S.ns(scene)["size"] = [1280, 720]
    add = C.AddTrack(scene, "video")
    add.redo(project)
    v1, dialogue, v2 = scene.tracks[0], scene.tracks[1], add.track
    for i in range(V1):
        C.AppendClip(v1, clip(f"v{i}", links / f"v{i}.mp4", False)).redo(project)
    for i in range(V2):
        C.OverwriteClip(v2, clip(f"b{i}", links / f"v{V1 + i}.mp4", False),
                        i * 6 * RATE).redo(project)
    for i in range(AUDIO):
        C.OverwriteClip(dialogue, clip(f"d{i}", links / f"d{i}.m4a", True),
                        i * 6 * RATE + 2 * RATE).redo(project)
    for i in range(0, V1 - 1, 30):
        C.AddTransition(v1.find_clips()[i], "dissolve", 0.5).redo(project)
    return project, scene, v1, v2


def settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def measure(with_player: bool) -> tuple[list[float], list[float]]:
    project, scene, v1, v2 = build()
    ctx = EditorContext(project)
    ctx.set_scene(scene)
    timeline = TimelineWidget(ctx)
    timeline.resize(1600, 600)
    timeline.show()
    player = None
    if with_player:
        from aladdin_studio.ui.player import PlayerWidget

        player = PlayerWidget(ctx)
        player.resize(960, 600)
        player.show()
        ctx.set_playhead(40 * RATE)
    settle(1500)  # first frame, filmstrips, waveforms
    walls: list[float] = []
    cpus: list[float] = []

    def timed(action) -> None:
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        ok = action()
        walls.append((time.perf_counter() - t0) * 1e3)
        settle(SETTLE_MS)
        cpus.append((time.thread_time() - cpu0) * 1e3)
        assert ok is not False, "edit refused"

    for r in range(ROUNDS):
        first = v1.find_clips()[0]
        timed(lambda first=first, r=r: ctx.push(C.Trim(first, "out", -1 if r % 2 else 1,
                                                       ripple=True)))
        target = v2.find_clips()[r * 7 % V2]
        timed(lambda t=target, r=r: ctx.push(C.SetClipAudio(t, volume=0.5 + r / 40)))
        moved = v2.find_clips()[(r * 13 + 3) % V2]
        at = r * 6 * RATE + 3 * RATE + 1
        timed(lambda m=moved, at=at: ctx.push(C.MoveClip(m, v2, at)))
        timed(lambda: ctx.stack.undo())
        timed(lambda: ctx.stack.redo())
    if player is not None:
        player.shutdown()
        player.close()
    timeline.close()
    ctx.close()
    return walls, cpus


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    media_files()
    print(f"scene: {V1} + {V2} video clips, {AUDIO} dialogue clips, 1,000 media files; "
          f"{ROUNDS * 5} edits per run", flush=True)
    ref_wall, ref_cpu = measure(with_player=False)
    wall, cpu = measure(with_player=True)
    rw50, rw95 = stats(ref_wall)
    rc50, rc95 = stats(ref_cpu)
    w50, w95 = stats(wall)
    c50, c95 = stats(cpu)
    print(f"edit call, timeline only (reference): median {rw50:.1f} ms, p95 {rw95:.1f} ms")
    print(f"edit call, timeline + player:         median {w50:.1f} ms, p95 {w95:.1f} ms")
    print(f"GUI-thread CPU per edit (+{SETTLE_MS} ms), reference: median {rc50:.1f} ms, "
          f"p95 {rc95:.1f} ms; with player: median {c50:.1f} ms, p95 {c95:.1f} ms")
    share = w50 - rw50
    share_cpu = c50 - rc50
    print(f"player's share per edit: call {share:.1f} ms (p95 {w95 - rw95:.1f} ms), "
          f"GUI CPU {share_cpu:.1f} ms; ratio with/without player: "
          f"call ×{w50 / max(rw50, 0.01):.2f}, CPU ×{c50 / max(rc50, 0.01):.2f}")
    ok = share < GOAL_MS and share_cpu < GOAL_MS
    print(f"goal player's share < {GOAL_MS:.0f} ms: {'PASS' if ok else 'MISS'}")
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
