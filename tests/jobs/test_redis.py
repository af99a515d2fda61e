"""Two ``aladdin-studio worker`` processes (``run_worker``) sharing one Redis queue.

Starts a throwaway ``redis-server`` (no persistence) on a free port; skipped only when the
binary or the redis-py package is missing.
"""

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
from job_waits import wait_for

from aladdin_studio.config import Settings
from aladdin_studio.generation.request import GenerationRequest
from aladdin_studio.jobs import JobQueue, JobStore, make_huey

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(),
                                reason="redis-server binary not installed")
redis = pytest.importorskip("redis", reason="redis-py is not installed (RedisHuey needs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _ping(port) or proc.poll() is not None, timeout=10)
        assert proc.poll() is None, "redis-server exited at start"
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_two_workers_share_ten_jobs(redis_url, tmp_path, project):
    store_file = tmp_path / "jobs.sqlite3"
    env = dict(os.environ, ALADDIN_PROVIDER="local",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    for var in ("FAL_KEY", "FAL_API_KEY", "REDIS_URL"):
        env.pop(var, None)
    settings = Settings(provider="local", redis_url=redis_url)
    queue = JobQueue(make_huey(settings), JobStore(store_file), None, settings)
    assert type(queue.huey).__name__ == "RedisHuey"

    cmd = [sys.executable, "-m", "aladdin_studio.jobs.worker", "--redis-url", redis_url,
           "--store", str(store_file), "--workers", "2", "--log-level", "WARNING"]
    workers = [subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    try:
        # Both workers are up once their 2 + 2 threads block on the queue.
        client = redis.Redis.from_url(redis_url)
        wait_for(lambda: sum(c["cmd"] == "brpop" for c in client.client_list()) >= 4,
                 timeout=30, interval=0.1)
        jobs = [queue.submit(GenerationRequest("text-to-video", f"shot {i}", duration=1.0,
                                               aspect="1:1"), project)
                for i in range(10)]

        def finished():
            current = [queue.get(j.id) for j in jobs]
            return current if all(j.done for j in current) else None

        done = wait_for(finished, timeout=60, interval=0.1)
        assert [j.status for j in done] == ["succeeded"] * 10, [j.error_message for j in done]
        pids = {int(j.worker.split(":")[1]) for j in done}
        assert pids == {w.pid for w in workers}  # both workers processed some
        assert all(Path(j.output_path).is_file() for j in done)
        assert len({j.output_path for j in done}) == 10
        for w in workers:
            w.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        codes = [w.wait(40) for w in workers]
        assert codes == [0, 0], [w.stderr.read().decode()[-2000:] for w in workers]
        # clean and prompt: well below the 30 s a worker would wait for a stuck thread
        # (~1-2 s here; loose for a slower, loaded machine)
        assert time.monotonic() - t0 < 20
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
