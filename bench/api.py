"""Automation API latency: 50 concurrent clients polling a job's status, against a bare
uvicorn route returning a constant, measured in the same run; and WebSocket event latency
from a job's progress write in the ledger to the client.

Both servers run as separate processes (``aladdin-studio serve`` on a private data dir, and
uvicorn on a raw ASGI app); the clients (a minimal keep-alive HTTP/1.1 client on asyncio,
to cost little CPU) run here. Each load phase lasts ``--seconds`` in total (bounded), in
alternating rounds. Prints p50/p99 latency and requests/s of both, the p99 ratio (goal:
API p99 <= 2x the bare route's and < 20 ms) and the WebSocket event latency p50/p99 (goal:
p99 < 50 ms)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOKEN = "bench-token-0123456789abcdef0123"
ROUNDS = 4

BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"22")]})
    await send({"type": "http.response.body", "body": b'{"status": "complete"}'})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up within {timeout:g} s")


class Connection:
    """A minimal HTTP/1.1 keep-alive client (GET only): the clients should cost as little
    CPU as possible, so that the servers are what is measured."""

    def __init__(self, host: str, port: int, headers: dict) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> tuple[int, bytes]:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n"
                          .encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(line.split(":", 1)[1]) for line in lines
                      if line.lower().startswith("content-length:"))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def load(url: str, headers: dict, clients: int, seconds: float) -> tuple[list, float]:
    """``clients`` connections polling ``url`` back to back for ``seconds``; ms each."""
    parts = httpx.URL(url)
    path = parts.raw_path.decode()
    conns = [Connection(parts.host, parts.port, headers) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def poll(conn: Connection) -> None:
        while time.perf_counter() < stop:
            t = time.perf_counter()
            status, body = await conn.get(path)
            latencies.append((time.perf_counter() - t) * 1000)
            assert status == 200, body

    start = time.perf_counter()
    await asyncio.gather(*(poll(c) for c in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return latencies, len(latencies) / elapsed


def report(name: str, latencies: list[float], rps: float) -> float:
    p99 = pct(latencies, 0.99)
    print(f"{name:28} p50 {pct(latencies, 0.5):6.2f} ms  p99 {p99:6.2f} ms  "
          f"{rps:7.0f} req/s  ({len(latencies)} requests)")
    return p99


async def ws_latency(ws_url: str, store: object, job_id: str, events: int) -> tuple[list, int]:
    """Write ``events`` progress values into the ledger (as a job runner does) and time
    each one's arrival on the project's WebSocket; also returns how many arrived (writes
    closer together than the watcher's interval may be folded into one event)."""
    from websockets.asyncio.client import connect

    sent: dict[float, float] = {}
    got: list[float] = []
    last = round(0.1 + 0.8 * events / (events + 1), 4)
    async with connect(ws_url) as ws:
        json.loads(await ws.recv())  # the snapshot

        async def receive() -> None:
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                progress = event["job"]["progress"]
                if progress in sent:
                    got.append((time.time() - sent[progress]) * 1000)
                if progress == last:
                    return

        reader = asyncio.create_task(receive())
        for i in range(events):
            progress = round(0.1 + 0.8 * (i + 1) / (events + 1), 4)
            sent[progress] = time.time()
            await asyncio.to_thread(store.update, job_id, progress=progress,
                                    message=f"Generating step {i + 1}", heartbeat=time.time())
            await asyncio.sleep(0.05)
        await asyncio.wait_for(reader, 10)
    return got, len(got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load phase")
    parser.add_argument("--events", type=int, default=200, help="WebSocket events timed")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="aladdin-bench-api-"))
    env = {**os.environ, "ALADDIN_API_TOKEN": TOKEN, "ALADDIN_PROVIDER": "local"}
    for var in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{var}_HOME"] = str(root / var.lower())
        os.environ[f"XDG_{var}_HOME"] = env[f"XDG_{var}_HOME"]
    procs: list[subprocess.Popen] = []
    try:
        from aladdin_studio.cli import main as cli

        project = root / "Bench.aladdin"
        cli(["new", str(project), "--size", "320x180"])  # registered, as the CLI does
        api_port, bare_port = free_port(), free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "aladdin_studio.cli", "--log-level", "WARNING", "serve",
             "--port", str(api_port)], env=env, stderr=subprocess.DEVNULL))
        (root / "bare.py").write_text(BARE_APP)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(root), "bare:app", "--port",
             str(bare_port), "--log-level", "warning", "--no-access-log"],
            env=env, stderr=subprocess.DEVNULL))
        api = f"http://127.0.0.1:{api_port}"
        wait_up(f"{api}/healthz", procs[0])
        wait_up(f"http://127.0.0.1:{bare_port}/", procs[1])
        headers = {"Authorization": f"Bearer {TOKEN}"}
        pid = httpx.get(f"{api}/api/v1/projects", headers=headers).json()["projects"][0]["id"]
        job_id = httpx.post(f"{api}/api/v1/projects/{pid}/videos/generate", headers=headers,
                            json={"method": "text-to-video",
                                  "input": {"prompt": "a lighthouse in fog"},
                                  "parameters": {"duration": 1, "quality": "draft"}},
                            timeout=30).json()["jobId"]
        status_url = f"{api}/api/v1/projects/{pid}/videos/jobs/{job_id}"
        deadline = time.monotonic() + 120
        while httpx.get(status_url, headers=headers).json()["status"] != "complete":
            if time.monotonic() > deadline:
                raise SystemExit("the job did not complete within 120 s")
            time.sleep(0.2)

        print(f"{args.clients} clients, {args.seconds:g} s per phase "
              f"(GET .../videos/jobs/{{jobId}} vs a bare uvicorn route)")
        bare: list[float] = []
        ours: list[float] = []
        bare_time = ours_time = 0.0
        for _ in range(ROUNDS):  # alternating, so both see the same machine load
            lat, rps = asyncio.run(load(f"http://127.0.0.1:{bare_port}/", {}, args.clients,
                                        args.seconds / ROUNDS))
            bare += lat
            bare_time += len(lat) / rps
            lat, rps = asyncio.run(load(status_url, headers, args.clients,
                                        args.seconds / ROUNDS))
            ours += lat
            ours_time += len(lat) / rps
        bare_rps, ours_rps = len(bare) / bare_time, len(ours) / ours_time
        ref_p99 = report("bare uvicorn constant", bare, bare_rps)
        api_p99 = report("API job status", ours, ours_rps)
        ratio = api_p99 / ref_p99
        print(f"p99 ratio API / bare: {ratio:.2f}x (goal <= 2x); API p99 {api_p99:.2f} ms "
              f"(goal < 20 ms): {'met' if ratio <= 2 and api_p99 < 20 else 'NOT met'}")

        from aladdin_studio.jobs import JobStore

        store = JobStore(root / "data" / "aladdin-studio" / "jobs.sqlite3")
        running = store.create(kind="generation", project=str(project / "project.otio"),
                               payload={"method": "text-to-video", "prompt": "timed"},
                               provider="local", chain=["local-text-to-video"],
                               status="running", message="Generating")
        ws_url = (f"ws://127.0.0.1:{api_port}/api/v1/projects/{pid}/jobs/events"
                  f"?token={TOKEN}")
        lat, received = asyncio.run(ws_latency(ws_url, store, running.id, args.events))
        p99 = pct(lat, 0.99)
        print(f"WebSocket event latency (ledger write -> client), {received} of "
              f"{args.events} writes seen as events: "
              f"p50 {pct(lat, 0.5):.2f} ms  p99 {p99:.2f} ms  max {max(lat):.2f} ms "
              f"(goal p99 < 50 ms): {'met' if p99 < 50 else 'NOT met'}")
        store.update(running.id, status="cancelled", finished_at=time.time())
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
