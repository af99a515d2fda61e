"""Who holds a job: ``host:pid:thread`` ids and whether their holder is still alive.

A consumer claims a job before working on it; a claim held by a dead process (kill -9, power
loss) or a dead thread is stale and the job may be taken over. On this host liveness is
checked directly; a holder on another host is alive while its heartbeat is fresh.
"""

from __future__ import annotations

import os
import socket
import threading
import time

__all__ = ["holder_alive", "worker_id"]

_HOST = socket.gethostname()


def worker_id() -> str:
    """This thread's holder id."""
    return f"{_HOST}:{os.getpid()}:{threading.get_ident()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is dead for our purposes
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def holder_alive(holder: str, heartbeat: float | None, lease_s: float) -> bool:
    """Whether ``holder`` (a ``worker_id()``) still runs; ``heartbeat`` decides for remote hosts."""
    try:
        host, pid_text, tid_text = holder.rsplit(":", 2)
        pid, tid = int(pid_text), int(tid_text)
    except ValueError:
        return False
    if host != _HOST:
        return heartbeat is not None and time.time() - heartbeat < lease_s
    if pid == os.getpid():
        return any(t.ident == tid for t in threading.enumerate())
    return _pid_alive(pid)
