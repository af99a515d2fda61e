"""Dialogue throughput and editor responsiveness: a 20-line script through the real queue
(SqliteHuey, embedded consumer, the editor's concurrency limit) with the offline espeak-ng
provider, while a Qt event loop runs a 5 ms timer as the editor's main thread would, and the
editor's VoiceController polls the ledger and lands the lines (one undo step) on the timeline.

Prints lines/minute, the time from "Generate" to all clips on the timeline, the 5 ms timer's
lateness p50/p99/max while the lines run and idle (reference, same run), and the same 20
lines spoken one after another in this process without the queue (reference throughput).
Goal: p99 lateness < 50 ms under load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

TICK_MS = 5
NAMES = ("ALADDIN", "JASMINE", "GENIE", "JAFAR")
TEXTS = ("We leave at dawn, before the guards change.",
         "Not a minute later, or the caravan is gone.",
         "You two and your schedules! I have all the time in the world.",
         "Every road out of the city is watched tonight.",
         "Then we take the one nobody watches: the river.")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def describe(values: list[float]) -> str:
    return (f"p50 {pct(values, 0.5):6.2f} ms  p99 {pct(values, 0.99):6.2f} ms  "
            f"max {max(values):6.2f} ms  ({len(values)} ticks)")


def script(n: int) -> str:
    return "\n".join(f"{NAMES[i % len(NAMES)]}: {TEXTS[i % len(TEXTS)]} (take {i + 1})"
                     for i in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds of idle reference")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="aladdin-bench-voice-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(tmp / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.pop("ELEVENLABS_API_KEY", None)

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from aladdin_studio.config import Settings
    from aladdin_studio.jobs import JobStore, make_huey
    from aladdin_studio.timeline import project_io
    from aladdin_studio.ui.editor_context import EditorContext
    from aladdin_studio.ui.generation_controller import GenerationController
    from aladdin_studio.ui.voice_controller import VoiceController
    from aladdin_studio.voice.library import VoiceLibrary
    from aladdin_studio.voice.placement import dialogue_clips
    from aladdin_studio.voice.profiles import VoiceProfile
    from aladdin_studio.voice.providers.base import SpeechRequest
    from aladdin_studio.voice.providers.local import LocalVoiceProvider
    from aladdin_studio.voice.script import parse_script

    app = QApplication([])
    project_io.new_project(tmp / "Bench.aladdin", size=(320, 180))
    settings = Settings(provider="local", max_generations_per_hour=100_000,
                        max_concurrent_generations=args.workers)
    ctx = EditorContext(project_io.load(tmp / "Bench.aladdin"), settings=settings)
    generation = GenerationController(
        ctx, store=JobStore(tmp / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp / "queue.sqlite3"), workers=args.workers,
        consumer_options={"tick": 0.1})
    ctx.generation = generation
    voice = VoiceController(ctx, generation, library=VoiceLibrary(tmp / "voices.json"))
    lines = parse_script(script(args.lines))

    lateness: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)

    def run_until(done, limit: float) -> None:
        end = time.monotonic() + limit
        while not done() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    timer.start()
    run_until(lambda: False, 0.3)
    lateness.clear()
    last[0] = 0.0
    run_until(lambda: False, args.idle)
    idle = list(lateness)

    generation.ensure_consumer()  # the editor starts it with the first job
    run_until(lambda: False, 0.3)
    lateness.clear()
    last[0] = 0.0
    t0 = time.monotonic()
    pending = voice.generate_script(lines, start=0.0, gap=0.3)
    run_until(lambda: pending.placed or bool(pending.failed), 300)
    elapsed = time.monotonic() - t0
    busy = list(lateness)
    timer.stop()
    placed = len(dialogue_clips(ctx.scene))
    if pending.failed or placed != args.lines:
        raise SystemExit(f"bench failed: {pending.failed or f'{placed} clips placed'}")
    job_seconds = [j.finished_at - j.created_at for j in pending.jobs]

    # reference: the same lines spoken one after another, no queue, no event loop
    provider = LocalVoiceProvider()
    start = time.monotonic()
    for i, line in enumerate(lines):
        provider.speak(SpeechRequest(line.text, VoiceProfile(line.character)),
                       tmp / f"ref-{i}.wav")
    serial = time.monotonic() - start

    generation.close()
    ctx.close()
    shutil.rmtree(tmp, ignore_errors=True)

    rate = args.lines / elapsed * 60
    print(f"voice bench: {args.lines} dialogue lines, offline espeak-ng, {args.workers} "
          "workers")
    print(f"Generate -> all {placed} clips on the timeline: {elapsed:.2f} s "
          f"({rate:.0f} lines/min; longest job {max(job_seconds):.2f} s)")
    print(f"reference, the same lines spoken serially without the queue: {serial:.2f} s "
          f"({args.lines / serial * 60:.0f} lines/min); queue/serial time ratio "
          f"x{elapsed / serial:.2f}")
    print(f"5 ms timer lateness idle:  {describe(idle)}")
    print(f"5 ms timer lateness busy:  {describe(busy)}")
    p99 = pct(busy, 0.99)
    print(f"p99 busy / idle ratio: x{p99 / max(pct(idle, 0.99), 0.01):.1f}")
    print(f"goal p99 < 50 ms: {'PASS' if p99 < 50 else 'MISS'}")


if __name__ == "__main__":
    main()
