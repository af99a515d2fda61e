"""`aladdin-studio worker` with an unreachable REDIS_URL: says so once, retries with
backoff, starts when Redis appears, and never prints a traceback storm."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is installed by `make setup`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    """`aladdin-studio worker` in a process, its stderr collected line by line."""

    def __init__(self, port: int, tmp_path) -> None:
        env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
               "QT_QPA_PLATFORM": "offscreen"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aladdin_studio.cli", "worker", "--store",
             str(tmp_path / "jobs.sqlite")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def err(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.err:
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.err}"
            time.sleep(0.05)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=40)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class DeadQueue:
    """A listener on the queue's port that closes every connection at once: each poll of
    the worker fails (like an unreachable Redis), and the test counts them."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            conn.close()

    def wait_for_polls(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.accepted < count:
            assert time.monotonic() < deadline, f"only {self.accepted} polls in {timeout} s"
            time.sleep(0.05)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept (a bare close would not)
        self.sock.close()
        self._thread.join(5)
        assert not self._thread.is_alive(), "the listener did not stop"


def start_redis(port: int, tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("redis-server did not start")


def test_unreachable_redis_is_one_line_then_it_starts_when_redis_appears(tmp_path):
    port = free_port()
    worker = Worker(port, tmp_path)
    redis = None
    try:
        worker.wait_for("cannot reach the job queue")
        dead = DeadQueue(port)  # the next attempts (after 1 s, 2 s backoff) fail too ...
        try:
            dead.wait_for_polls(2)
        finally:
            dead.close()
        assert worker.err.count("cannot reach the job queue") == 1  # ... and say nothing
        redis = start_redis(port, tmp_path)
        worker.wait_for("Huey consumer started", timeout=40)
        code = worker.stop()
    finally:
        worker.kill()
        if redis is not None:
            redis.kill()
            redis.wait()
    err = worker.err
    assert "Traceback" not in err, err[:2000]
    assert err.count("cannot reach the job queue") == 1, err
    assert "the job queue answers; starting" in err
    assert code == 0


def test_losing_redis_while_running_is_reported_once(tmp_path):
    port = free_port()
    redis = start_redis(port, tmp_path)
    worker = Worker(port, tmp_path)
    dead = None
    try:
        worker.wait_for("Huey consumer started", timeout=40)
        redis.kill()
        redis.wait()
        worker.wait_for("the job queue cannot be reached")
        dead = DeadQueue(port)  # the five worker threads keep polling a dead queue ...
        dead.wait_for_polls(5)
        code = worker.stop()
    finally:
        worker.kill()
        if redis.poll() is None:
            redis.kill()
        if dead is not None:
            dead.close()
    err = worker.err
    assert "Traceback" not in err, err[:2000]
    assert err.count("the job queue cannot be reached") == 1, err
    assert code == 0
