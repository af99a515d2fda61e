"""kill -9 while the shots are generating, then resume: finished steps are not redone and
every shot is submitted exactly once (generations re-attach to their requests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def test_kill_during_generation_and_resume(tmp_path: Path, director_project: Path,
                                            brief_copy: Path, director_queue: Any) -> None:
    from aladdin_studio.jobs import JobStore

    proc = subprocess.Popen([sys.executable, str(HERE / "director_proc.py"), str(tmp_path),
                             str(director_project), str(brief_copy), "hold-shots"],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    try:
        assemble_id = proc.stdout.readline().strip()
        assert assemble_id, "the director process did not start"
        store = JobStore(tmp_path / "jobs.sqlite3")
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "generation never got going"
            shots = [j for j in store.list(limit=100, kind="generation")]
            if any(j.status == "succeeded" for j in shots) and \
                    any(j.status in ("queued", "submitted", "running") for j in shots):
                break
            assert proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    before = {j.id: (j.status, j.remote_id) for j in store.list(limit=100, kind="generation")}
    state = store.get(assemble_id).info["director"]
    assert state["steps"]["assess"]["status"] == "done"
    assert state["steps"]["generate"]["status"] == "running"
    assess_s = state["steps"]["assess"]["seconds"]

    queue = director_queue()  # a new consumer: recovers the dead one's jobs
    provider = queue.provider("local")
    submits: list[str] = []
    original = provider.submit

    def counting(request: Any, model: Any) -> str:
        submits.append(request.prompt)
        return original(request, model)

    provider.submit = counting
    deadline = time.monotonic() + 300
    while not (job := queue.store.get(assemble_id)).done:
        assert time.monotonic() < deadline, job.message
        time.sleep(0.1)
    assert job.status == "succeeded", job.error_message
    report = job.info["director"]["report"]
    assert report["status"] == "complete", report["issues"]  # every animatic passes
    generated = [j for j in queue.store.list(limit=100, kind="generation")
                 if (j.info or {}).get("director", {}).get("job") == assemble_id]
    by_shot: dict[int, int] = {}
    for j in generated:
        by_shot[j.info["director"]["shot"]] = by_shot.get(j.info["director"]["shot"], 0) + 1
    assert by_shot == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}  # exactly one submit per shot
    # jobs already sent to the provider were re-attached, not submitted again
    submitted_before = [jid for jid, (_s, remote) in before.items() if remote]
    assert len(submits) == 5 - len(submitted_before)
    assert all(queue.store.get(j).remote_id == before[j][1] for j in submitted_before)
    # the finished step was not redone
    assert job.info["director"]["steps"]["assess"]["seconds"] == assess_s


AUDIO_BRIEF = """scene: Audio Resume
size: [320, 180]
shots:
  - {name: One, prompt: A quiet street, duration: 2, quality: draft}
  - {name: Two, prompt: A closed door, duration: 2, quality: draft}
dialogue:
  - {character: Ann, text: "Is anyone home?", shot: 1, offset: 0.2}
  - {character: Ben, text: Just me., shot: 2, offset: 0.2}
sfx:
  - {prompt: a door knock, at: 2.5, duration: 1}
"""


def test_kill_during_audio_and_resume_queues_no_line_twice(
        tmp_path: Path, director_project: Path, brief_copy: Path,
        director_queue: Any) -> None:
    from aladdin_studio.jobs import JobStore

    brief = brief_copy.with_name("audio.yaml")
    brief.write_text(AUDIO_BRIEF)
    proc = subprocess.Popen([sys.executable, str(HERE / "director_proc.py"), str(tmp_path),
                             str(director_project), str(brief), "slow-sfx"],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    store = JobStore(tmp_path / "jobs.sqlite3")
    try:
        assemble_id = proc.stdout.readline().strip()
        assert assemble_id, "the director process did not start"
        deadline = time.monotonic() + 120
        while True:  # the lines are made, the (slow) sound effect is still running
            assert time.monotonic() < deadline, "the audio step never got going"
            voice = store.list(limit=20, kind="voice")
            if len(voice) == 3 and sum(j.status == "succeeded" for j in voice) == 2:
                break
            assert proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    state = store.get(assemble_id).info["director"]
    assert state["steps"]["audio"]["status"] == "running"
    before = {j.id for j in store.list(limit=20, kind="voice")}

    queue = director_queue()
    deadline = time.monotonic() + 300
    while not (job := queue.store.get(assemble_id)).done:
        assert time.monotonic() < deadline, job.message
        time.sleep(0.1)
    assert job.status == "succeeded", job.error_message
    report = job.info["director"]["report"]
    assert report["status"] == ("partial" if report["qualityFailures"] else "complete")
    after = {j.id for j in queue.store.list(limit=20, kind="voice")}
    assert after == before  # the same three jobs, waited for again, none queued twice
    assert job.info["director"]["audio"]["sfx"] == 1
