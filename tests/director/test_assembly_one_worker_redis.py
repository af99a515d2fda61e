"""``aladdin-studio worker --workers 1`` on a real Redis queue: a scene assembly with a spoken
line (its voice job queued on the same queue) finishes; the assembly hands its one worker to
the line instead of waiting for it forever. Starts a throwaway ``redis-server``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_clip_assembly import _dialogue, _payload, _wait, talk_project  # noqa: F401

from aladdin_studio.config import Settings

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is installed by `make setup`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    import redis

    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"

    def up() -> bool:
        assert proc.poll() is None, "redis-server exited at start"
        try:
            return bool(redis.Redis.from_url(url).ping())
        except redis.ConnectionError:
            return False

    try:
        _wait(up, 30, "redis-server")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_one_worker_process_runs_an_assembly_and_its_line(talk_project, tmp_path,  # noqa: F811
                                                          redis_url):
    from aladdin_studio.jobs import JobQueue, JobStore, make_huey

    store_file = tmp_path / "jobs.sqlite3"
    settings = Settings(provider="local", elevenlabs_api_key="", redis_url=redis_url)
    queue = JobQueue(make_huey(settings), JobStore(store_file), None, settings)
    assert type(queue.huey).__name__ == "RedisHuey"
    job = queue.submit(_payload(talk_project, tmp_path), talk_project / "project.otio")

    env = dict(os.environ, ALADDIN_PROVIDER="local",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    for var in ("FAL_KEY", "FAL_API_KEY", "REDIS_URL", "ELEVENLABS_API_KEY"):
        env.pop(var, None)
    worker = subprocess.Popen([sys.executable, "-m", "aladdin_studio.cli", "worker",
                               "--redis-url", redis_url, "--store", str(store_file),
                               "--workers", "1"],
                              env=env, stderr=subprocess.PIPE, text=True)
    try:
        def finished() -> object:
            assert worker.poll() is None, worker.stderr.read()[-2000:]
            current = queue.store.get(job.id)
            return current if current.done else None

        done = _wait(finished, 180, "the assembly on one worker")
        assert done.status == "succeeded", done.error_message
        assert Path(done.output_path).is_file()
        [line] = queue.store.list(kind="voice")
        assert line.status == "succeeded"
        assert line.worker == done.worker  # the one worker process ran both
        assert len(_dialogue(talk_project)) == 1
        worker.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert worker.wait(40) == 0, worker.stderr.read()[-2000:]
        assert time.monotonic() - t0 < 35
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
