"""Crash safety: a consumer process killed with SIGKILL after submitting leaves the remote
request id in the store; a fresh consumer re-attaches to it instead of paying twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from fakes import FileProvider, fake_registry
from job_waits import wait_done, wait_for

from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import JobQueue, JobStore, make_huey

SCRIPT = Path(__file__).with_name("consumer_proc.py")


def test_killed_consumer_job_completes_with_one_submit(tmp_path, settings, project,
                                                       start_consumer):
    settings.provider = "fal"
    queue_file, store_file, state = (tmp_path / "queue.sqlite3", tmp_path / "jobs.sqlite3",
                                     tmp_path / "remote")
    provider = FileProvider(state, complete_after=1.5)
    queue = JobQueue(make_huey(settings, path=queue_file), JobStore(store_file),
                     lambda name: provider, settings, registry=fake_registry(),
                     poll_interval=0.05)
    job = queue.submit(GenerationRequest("text-to-video", "a fox", duration=5.0), project)

    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(queue_file), str(store_file),
                             str(state)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        remote_id = wait_for(lambda: queue.get(job.id).remote_id, timeout=20)
        assert provider.submit_count == 1
        running = queue.get(job.id)
        assert running.status in ("submitted", "running")
        assert running.worker.split(":")[1] == str(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # The job's task message died with the process (a periodic task may still be queued).
    assert [t for t in queue.huey.pending() if t.args == (job.id,)] == []
    start_consumer(queue)  # recovers the orphan at start
    done = wait_done(queue.store, job.id, timeout=20)
    assert done.status == "succeeded", done.error_message
    assert done.remote_id == remote_id and done.attempts == 0
    assert provider.submit_count == 1  # re-attached: no second submit, no double spend
    assert Path(done.output_path).is_file()
    assert done.worker.split(":")[1] == str(os.getpid())
