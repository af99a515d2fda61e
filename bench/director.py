"""The director's overhead: Run → published scene for the shipped 5-shot brief with the
local providers (animatics, espeak-ng voices, the local publish folder), broken down by
step, against the same steps run one by one in the same run (each on its own: the shots'
generation jobs queued together and waited for, the assembly edit, the voice/sfx jobs and
the audio edit, the export job, the publish job).

Every run uses its own project and ledger (no result is reused between them) and the
same queue settings. Goal: the pipeline's overhead ≤ 10 % of the sum of the steps. Also
printed: how many generation jobs were in flight at once during the pipeline (they are
queued together; the local provider renders one animatic at a time on small machines).

``python bench/director.py [--short-side 180] [--retries 0]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _queue(tmp: Path, name: str, short_side: int) -> tuple[Any, Any]:
    from aladdin_studio.config import Settings
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    settings = Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500)
    local = LocalProvider(tmp / f"work-{name}", short_side=short_side)
    queue = JobQueue(make_huey(settings, path=tmp / f"{name}.queue.sqlite3"),
                     JobStore(tmp / f"{name}.jobs.sqlite3"), lambda _n: local, settings,
                     poll_interval=0.05, backoff_base=0.01)
    consumer = EmbeddedConsumer(queue.huey, 8, queue=queue, tick=0.05)
    consumer.start()
    return queue, consumer


def _wait(queue: Any, ids: list[str]) -> list[Any]:
    while True:
        jobs = [queue.store.get(j) for j in ids]
        if all(j.done for j in jobs):
            return jobs
        time.sleep(0.05)


def run_pipeline(tmp: Path, brief: Path, short_side: int, retries: int,
                 name: str) -> dict[str, Any]:
    from aladdin_studio.director.service import submit_brief
    from aladdin_studio.timeline.project_io import new_project

    project = tmp / f"{name}.aladdin"
    new_project(project)
    queue, consumer = _queue(tmp, name, short_side)
    in_flight = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            active = queue.store.list(limit=100, kind="generation",
                                      status=("submitted", "running"))
            in_flight[0] = max(in_flight[0], len(active))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    job = submit_brief(queue, project, brief, publish=True, destination="local",
                       max_retries=retries)
    [job] = _wait(queue, [job.id])
    total = time.perf_counter() - start
    stop.set()
    watcher.join()
    consumer.close(10)
    if job.status != "succeeded":
        raise SystemExit(f"the pipeline failed: {job.error_message}")
    report = job.info["director"]["report"]
    return {"total": total, "timings": report["timings"], "status": report["status"],
            "in_flight": in_flight[0]}


def run_steps(tmp: Path, brief_path: Path, short_side: int, name: str) -> dict[str, float]:
    """The same work, step by step, without the assemble job."""
    from aladdin_studio.director.assembly import (
        ShotMedia,
        ShotTake,
        assemble_command,
        audio_command,
        director_scene,
        music_command,
        shot_starts,
    )
    from aladdin_studio.director.assess import assess
    from aladdin_studio.director.brief import load_brief
    from aladdin_studio.director.edits import apply_stage, read_project
    from aladdin_studio.generation.placement import provenance
    from aladdin_studio.generation.request import GenerationRequest
    from aladdin_studio.publish.job_kind import PublishPayload
    from aladdin_studio.render.presets import get_preset
    from aladdin_studio.services.render import ExportPayload
    from aladdin_studio.timeline import commands as C
    from aladdin_studio.timeline.project_io import new_project
    from aladdin_studio.voice.providers.base import SoundRequest
    from aladdin_studio.voice.script import ScriptLine
    from aladdin_studio.voice.service import VoiceService

    project_path = tmp / f"{name}.aladdin"
    new_project(project_path)
    key = str(project_path / "project.otio")
    queue, consumer = _queue(tmp, name, short_side)
    brief = load_brief(brief_path)
    t: dict[str, float] = {}

    s = time.perf_counter()
    assessment = assess(brief, read_project(key), queue)
    t["assess"] = time.perf_counter() - s

    s = time.perf_counter()
    jobs = _wait(queue, [queue.submit(r, key).id for r in assessment.requests])
    t["generate"] = time.perf_counter() - s

    s = time.perf_counter()
    project = read_project(key)
    media = [ShotMedia(i, shot.get("name") or f"Shot {i}", float(shot["duration"]),
                       [ShotTake(Path(j.output_path),
                                 provenance(project, j, GenerationRequest.from_dict(j.payload)),
                                 shot.get("name") or f"Shot {i}")])
             for i, (shot, j) in enumerate(zip(brief.shots, jobs, strict=True), start=1)]
    apply_stage(key, lambda p: assemble_command(p, brief, media))
    t["assemble"] = time.perf_counter() - s

    s = time.perf_counter()
    project = read_project(key)
    scene = director_scene(project, brief.scene)
    starts = shot_starts(scene)
    voice = VoiceService(queue, queue.settings)
    batch = voice.submit_script(project, key, scene, [
        ScriptLine(d["character"], d["text"], d.get("emotion", ""),
                   at=starts[d["shot"]] + float(d["offset"])) for d in brief.dialogue])
    sfx = [voice.submit_sfx(key, SoundRequest(e["prompt"], duration=float(e["duration"])))
           for e in brief.sfx]
    _wait(queue, list(dict.fromkeys(batch.job_ids + sfx)))

    def build(p: Any) -> Any:
        now = director_scene(p, brief.scene)
        music, clip = music_command(p, now, brief.path(brief.music["file"]))
        parts = [voice.place_command(p, batch, now), music,
                 *[voice.sfx_command(p, now, j, float(e["at"]))
                   for j, e in zip(sfx, brief.sfx, strict=True)]]
        return audio_command(p, now, parts,
                             after=[C.SetClipAudio(clip, volume=brief.music["volume"])])

    apply_stage(key, build)
    t["audio"] = time.perf_counter() - s

    s = time.perf_counter()
    out = project_path / "renders" / "steps.mp4"
    out.parent.mkdir(exist_ok=True)
    [render] = _wait(queue, [queue.submit(ExportPayload(key, str(out), get_preset(
        brief.data.get("preset") or "draft"), scene=brief.scene), key).id])
    t["render"] = time.perf_counter() - s

    s = time.perf_counter()
    _wait(queue, [queue.submit(PublishPayload(project=key, scene=brief.scene,
                                              render=render.output_path,
                                              destination="local"), key).id])
    t["publish"] = time.perf_counter() - s
    consumer.close(10)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short-side", type=int, default=180)
    parser.add_argument("--retries", type=int, default=0)
    args = parser.parse_args()
    from aladdin_studio.director.brief import BRIEF_DIR

    tmp = Path(tempfile.mkdtemp(prefix="bench-director-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(tmp / var.lower())
    os.environ.pop("ELEVENLABS_API_KEY", None)
    os.environ.pop("R2_ACCOUNT_ID", None)
    shutil.copytree(BRIEF_DIR, tmp / "briefs")
    brief = tmp / "briefs" / "park-morning.yaml"
    try:  # alternating, so warm-up and machine load fall on both sides
        step_runs = [run_steps(tmp, brief, args.short_side, "steps1")]
        pipe_runs = [run_pipeline(tmp, brief, args.short_side, args.retries, "pipeline1")]
        pipe_runs.append(run_pipeline(tmp, brief, args.short_side, args.retries, "pipeline2"))
        step_runs.append(run_steps(tmp, brief, args.short_side, "steps2"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    steps = {k: sum(r[k] for r in step_runs) / len(step_runs) for k in step_runs[0]}
    pipeline = {"total": sum(r["total"] for r in pipe_runs) / len(pipe_runs),
                "timings": {k: sum(r["timings"][k] for r in pipe_runs) / len(pipe_runs)
                            for k in pipe_runs[0]["timings"]},
                "status": "/".join(r["status"] for r in pipe_runs),
                "in_flight": min(r["in_flight"] for r in pipe_runs)}
    reference = sum(steps.values())
    print(f"5-shot brief, local providers, {args.short_side} px animatics, draft render, "
          "published to the local folder; mean of 2 runs each (steps, pipeline, pipeline, "
          "steps)")
    print(f"{'step':10} {'pipeline':>10} {'one by one':>11}")
    for name, seconds in pipeline["timings"].items():
        print(f"{name:10} {seconds:9.2f}s {steps.get(name, 0.0):10.2f}s")
    print(f"{'total':10} {pipeline['total']:9.2f}s {reference:10.2f}s")
    overhead = pipeline["total"] / reference - 1
    print(f"report status: {pipeline['status']}; generation jobs in flight at once: "
          f"{pipeline['in_flight']} of 5")
    print(f"pipeline / sum of steps: {pipeline['total'] / reference:.3f} "
          f"(overhead {overhead:+.1%}; goal <= +10%)")


if __name__ == "__main__":
    main()
