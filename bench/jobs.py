"""Generation throughput and editor responsiveness: 50 local-provider jobs through the real
queue (SqliteHuey, embedded consumer with 5 workers, the editor's queue settings) while a Qt
event loop runs a 5 ms timer, as the editor's main thread would.

The main thread does what the editor does: submits the jobs one every 20 ms (validate,
ledger row, Huey message, placeholder clip pushed on the undo stack) and every 250 ms reads
the ledger and lands finished jobs as "Generated Take" steps (probe + one undo step each).

Prints throughput (jobs/min, first submit to last take landed), the 5 ms timer's lateness
p50/p99/max while the jobs run, and the same lateness idle (reference, same run).
Goal: p99 lateness < 50 ms under load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

TICK_MS = 5
SUBMIT_EVERY_MS = 20
POLL_MS = 250


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def describe(values: list[float]) -> str:
    return (f"p50 {pct(values, 0.5):6.2f} ms  p99 {pct(values, 0.99):6.2f} ms  "
            f"max {max(values):6.2f} ms  ({len(values)} ticks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="clip length")
    parser.add_argument("--short-side", type=int, default=180,
                        help="local render size (180: 320x180 for 16:9)")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle reference")
    parser.add_argument("--poll-interval", type=float, default=1.0,
                        help="provider status polls (1 s: the editor's queue default)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="aladdin-bench-jobs-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(tmp / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication, Qt, QTimer

    from aladdin_studio.config import Settings
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.generation.request import GenerationRequest
    from aladdin_studio.generation.service import GenerationService
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
    from aladdin_studio.timeline import project_io
    from aladdin_studio.timeline.undo import UndoStack

    app = QCoreApplication([])
    project_io.new_project(tmp / "Bench.aladdin", size=(320, 180), max_clips=args.jobs + 10)
    project = project_io.load(tmp / "Bench.aladdin")
    settings = Settings(provider="local", max_generations_per_hour=100_000,
                        max_concurrent_generations=args.workers)
    provider = LocalProvider(tmp / "renders", short_side=args.short_side)
    store = JobStore(tmp / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp / "queue.sqlite3"), store,
                     lambda name: provider, settings, poll_interval=args.poll_interval)
    service = GenerationService(project, queue, store)
    stack = UndoStack(project)

    # --- the 5 ms timer and its lateness ------------------------------------------------
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

    def run_for(seconds: float) -> None:
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()

    # --- idle reference -------------------------------------------------------------------
    timer.start()
    run_for(0.3)  # warm up
    lateness.clear()
    run_for(args.idle)
    idle = list(lateness)

    # --- under load ---------------------------------------------------------------------
    submit_ms: list[float] = []
    land_ms: list[float] = []
    submitted: list[str] = []
    landed: set[str] = set()
    t0 = [0.0]
    t_end = [0.0]
    consumer = EmbeddedConsumer(queue.huey, args.workers, queue=queue)
    consumer.start()

    def submit_one() -> None:
        if len(submitted) >= args.jobs:
            submitter.stop()
            return
        n = len(submitted)
        request = GenerationRequest("text-to-video", f"Bench shot {n}: a lighthouse at dusk",
                                    duration=args.seconds, aspect="16:9", seed=n)
        start = time.perf_counter()
        t0[0] = t0[0] or start
        job, command = service.submit(request)
        stack.push(command)
        submit_ms.append((time.perf_counter() - start) * 1000)
        submitted.append(job.id)

    def poll() -> None:
        start = time.perf_counter()
        service.jobs()  # what the controller reads every tick
        for command in service.finished_commands():
            stack.push(command)
            service.mark_applied(command.job_id)
            landed.add(command.job_id)
        land_ms.append((time.perf_counter() - start) * 1000)
        if len(landed) >= args.jobs:
            t_end[0] = time.perf_counter()
            app.quit()

    submitter = QTimer()
    submitter.setInterval(SUBMIT_EVERY_MS)
    submitter.timeout.connect(submit_one)
    poller = QTimer()
    poller.setInterval(POLL_MS)
    poller.timeout.connect(poll)
    lateness.clear()
    last[0] = 0.0
    submitter.start()
    poller.start()
    QTimer.singleShot(600_000, app.quit)  # safety net
    app.exec()
    loaded = list(lateness)
    timer.stop()
    poller.stop()
    consumer.close(30)
    provider.close()

    jobs = [store.get(job_id) for job_id in submitted]
    ok = sum(1 for j in jobs if j.status == "succeeded")
    elapsed = (t_end[0] or time.perf_counter()) - t0[0]
    queue_span = max(j.finished_at or 0 for j in jobs) - min(j.created_at for j in jobs)
    gen_s = [j.info.get("generation_s", 0.0) for j in jobs if j.status == "succeeded"]
    print(f"jobs: {len(jobs)} local text-to-video, {args.seconds:g} s at short side "
          f"{args.short_side}, {args.workers} workers; {ok} succeeded, {len(landed)} landed")
    print(f"throughput: {len(landed) / elapsed * 60:.0f} jobs/min landed on the timeline "
          f"({elapsed:.1f} s); {ok / queue_span * 60:.0f} jobs/min through the queue; "
          f"median job {statistics.median(gen_s):.2f} s ({args.poll_interval:g} s status polls)")
    print(f"5 ms timer lateness, jobs running: {describe(loaded)}  goal p99 < 50 ms")
    print(f"5 ms timer lateness, idle:         {describe(idle)}")
    print(f"main thread: submit+place median {statistics.median(submit_ms):.1f} ms "
          f"(max {max(submit_ms):.1f}); ledger poll+landing median "
          f"{statistics.median(land_ms):.1f} ms (max {max(land_ms):.1f})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
