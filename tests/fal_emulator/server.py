"""A local HTTPS stand-in for FAL: the queue API and the storage upload API that the real
``fal_client`` speaks, with scriptable failures for tests.

One threaded server serves several "hosts" by path prefix (FAL uses separate hosts):

* queue (``FAL_QUEUE_RUN_HOST`` = ``127.0.0.1:<port>``):
  ``POST /<endpoint>`` → ``{request_id, response_url, status_url, cancel_url, queue_position}``;
  ``GET /<owner>/<alias>/requests/<id>/status[?logs=true]``; ``GET .../requests/<id>``;
  ``PUT .../requests/<id>/cancel``. As on FAL, the three URLs drop the endpoint's sub-path.
* sync run host (``FAL_RUN_HOST`` = ``localhost:<port>``): not emulated, answers 501.
* REST (``fal_client.client.REST_URL`` → ``<base>/_rest``): ``POST /storage/auth/token``
  (CDN token) and ``POST /storage/upload/initiate`` (signed-URL fallback upload).
* CDN (``fal_client.client.CDN_URL`` → ``<base>/_cdn``): ``POST /files/upload``.
* Media: ``GET /_media/...`` serves uploaded files and result videos (no auth, like the CDN);
  ``PUT /_storage/put/<id>`` is the signed upload URL of the fallback path.

Scripting: ``emulator.script(endpoint, [behaviours])`` queues behaviours for an endpoint.
A submit attempt first consumes submit-phase errors (``on="submit"``) at the head of the
queue, one attempt per ``times``; an accepted submit then takes the following behaviours up
to the next submit-phase error or second :class:`Job`: one :class:`Job` (its timeline) plus
errors for its later calls (``on="status" | "result" | "cancel" | "download"``). An error with
``times=None`` repeats forever. Unscripted submits complete at once.

Known approximations: a cancelled request reports COMPLETED with ``error_type`` "cancelled"
and its result answers 400; a wrong key gets 401 ``{"detail": "No user found for Key ID and
Secret"}``; CDN multipart uploads (> 100 MB) and the sync run host are not emulated.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import json
import logging
import math
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .certs import CertPair

log = logging.getLogger(__name__)

DEFAULT_KEY = "0e6f3a1c-emulator-key-id:5b7d9e2f4a6c8e0b1d3f5a7c9e1b3d5f"
CONTENT_POLICY_MSG = "The content was flagged by a content checker."
QUEUE_ROUTES = ("submit", "status", "result", "cancel", "download")
STORAGE_ROUTES = ("cdn_token", "cdn_upload", "storage_initiate", "storage_put")

# ---------------------------------------------------------------------------------------
# Behaviours


@dataclass(frozen=True)
class HttpError:
    """Answer a call on route ``on`` with ``status``/``body`` (``times=None``: forever)."""

    status: int
    body: Any
    on: str = "submit"
    times: int | None = 1
    headers: tuple[tuple[str, str], ...] = ()
    raw: bool = False  # body is text sent as text/html (an ingress error page)

    @property
    def message(self) -> str:
        detail = self.body.get("detail") if isinstance(self.body, dict) else self.body
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            return str(detail[0].get("msg", detail))
        return str(detail)

    @property
    def error_type(self) -> str | None:
        if isinstance(self.body, dict):
            detail = self.body.get("detail")
            if isinstance(detail, list) and detail and isinstance(detail[0], dict):
                return detail[0].get("type")
            return self.body.get("error_type")
        return None


@dataclass(frozen=True)
class Stall:
    """Delay the answer to a call on route ``on`` by ``seconds`` (client timeouts)."""

    seconds: float
    on: str = "download"
    times: int | None = 1


@dataclass(frozen=True)
class Job:
    """What an accepted request does over time (seconds on the emulator's clock).

    ``queue`` positions are spread evenly over ``queue_seconds``; ``logs`` are revealed
    evenly over ``run_seconds``; then the request is COMPLETED, unless ``never_completes``.
    ``result`` replaces the default ``{"video": {...}, "seed": ...}`` body; ``video_size``
    pads the served video to that many bytes; ``chunked`` serves it without Content-Length;
    ``video`` serves these bytes instead of the default video (a degraded result, e.g.
    :func:`frozen_mp4` or :func:`off_model_mp4`).
    """

    queue: tuple[int, ...] = ()
    queue_seconds: float = 0.0
    logs: tuple[str, ...] = ()
    run_seconds: float = 0.0
    never_completes: bool = False
    result: dict[str, Any] | None = None
    video_size: int | None = None
    content_type: str = "video/mp4"
    chunked: bool = False
    video: bytes | None = None


Behaviour = HttpError | Stall | Job


def http_error(
    status: int,
    detail: Any,
    *,
    on: str = "submit",
    times: int | None = 1,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpError:
    """A FAL error: ``{"detail": detail}`` (+ ``error_type`` and ``X-Fal-Error-Type``)."""
    body: dict[str, Any] = {"detail": detail}
    hdrs = dict(headers or {})
    if error_type:
        body["error_type"] = error_type
        hdrs.setdefault("X-Fal-Error-Type", error_type)
    return HttpError(status, body, on, times, tuple(hdrs.items()))


def validation_error(
    msg: str = "Input should be a valid string",
    *,
    loc: Iterable[str | int] = ("body", "prompt"),
    kind: str = "value_error",
    on: str = "submit",
    times: int | None = 1,
) -> HttpError:
    """A 422 model error: ``{"detail": [{"loc", "msg", "type"}]}``."""
    detail = [{"loc": list(loc), "msg": msg, "type": kind}]
    return HttpError(422, {"detail": detail}, on, times)


def content_policy(
    msg: str = CONTENT_POLICY_MSG,
    *,
    loc: Iterable[str | int] = ("body", "prompt"),
    categories: Iterable[str] = ("violence",),
    on: str = "result",
    times: int | None = None,
) -> HttpError:
    """A 422 ``content_policy_violation`` (by default when the result is fetched, forever)."""
    detail = [
        {
            "loc": list(loc),
            "msg": msg,
            "type": "content_policy_violation",
            "url": "https://docs.fal.ai/errors#content_policy_violation",
            "categories": list(categories),
        }
    ]
    return HttpError(422, {"detail": detail}, on, times)


def rate_limit(times: int | None = 1, *, retry_after: float = 1, on: str = "submit") -> HttpError:
    """429 with ``Retry-After`` (seconds)."""
    body = {"detail": "Rate limit exceeded: too many concurrent requests"}
    retry = f"{retry_after:g}"
    return HttpError(429, body, on, times, (("Retry-After", retry),))


def server_error(
    status: int = 500,
    *,
    times: int | None = 1,
    on: str = "submit",
    detail: str = "Internal server error",
    error_type: str | None = None,
    ingress: bool = False,
) -> HttpError:
    """A 5xx: FAL's JSON shape, or with ``ingress=True`` an nginx HTML page (retried by
    fal_client when the status is 502/503/504)."""
    if ingress:
        page = f"<html><body><center><h1>{status}</h1></center><hr>nginx</body></html>"
        return HttpError(status, page, on, times, raw=True)
    return http_error(status, detail, on=on, times=times, error_type=error_type)


def stall(seconds: float, *, on: str = "download", times: int | None = 1) -> Stall:
    return Stall(seconds, on, times)


def progress(
    queue: Iterable[int] = (2, 1, 0),
    logs: Iterable[str] = ("progress: 10%", "progress: 50%", "progress: 90%"),
    *,
    queue_seconds: float = 1.0,
    run_seconds: float = 1.0,
    **job: Any,
) -> Job:
    """IN_QUEUE with decreasing positions, then IN_PROGRESS with logs, then COMPLETED."""
    return Job(tuple(queue), queue_seconds, tuple(logs), run_seconds, **job)


def never_completes(logs: Iterable[str] = ("progress: 5%",), **job: Any) -> Job:
    """IN_PROGRESS forever (a generation that times out)."""
    return Job(logs=tuple(logs), never_completes=True, **job)


def completes(**job: Any) -> Job:
    """Complete at once (``result=``, ``video_size=``, ``chunked=`` … to vary the output)."""
    return Job(**job)


# ---------------------------------------------------------------------------------------
# Records


@dataclass
class RecordedRequest:
    """One HTTP request as the emulator saw it. ``headers`` never hold the key: the
    Authorization value is replaced by ``<scheme> ***``; ``auth`` tells what it carried:
    "key" (the right key), "wrong-key", "cdn-token", "bad-token" or "none"."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    route: str
    auth: str
    status: int = 0
    endpoint: str | None = None
    request_id: str | None = None
    at: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Upload:
    url: str
    name: str
    content_type: str
    data: bytes
    via: str  # "cdn" (v3 CDN) or "storage" (signed-URL fallback)


@dataclass
class _Pending:
    behaviour: Behaviour
    remaining: int | None

    def use(self) -> bool:
        """Consume one use; True when exhausted."""
        if self.remaining is None:
            return False
        self.remaining -= 1
        return self.remaining <= 0


@dataclass
class JobState:
    request_id: str
    endpoint: str
    app_root: str
    arguments: Any
    spec: Job
    extras: list[_Pending]
    created: float
    cancelled: bool = False
    video: bytes | None = None
    seed: int = 0

    def failure(self) -> HttpError | None:
        """A permanent result-phase error: the request failed."""
        for p in self.extras:
            b = p.behaviour
            if isinstance(b, HttpError) and b.on == "result" and p.remaining is None:
                return b
        return None


# ---------------------------------------------------------------------------------------
# Default output video


def tiny_mp4(seconds: float = 0.5, size: tuple[int, int] = (64, 36), rate: int = 12) -> bytes:
    """A small, decodable H.264 MP4 made with PyAV (the fallback output)."""
    import av
    import numpy as np

    buf = io.BytesIO()
    w, h = size
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(max(1, round(seconds * rate))):
            img = np.full((h, w, 3), (i * 20) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def _mp4(frames: Any, rate: int = 24) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
        for i, img in enumerate(frames):
            if i == 0:
                stream.height, stream.width = img.shape[:2]
                stream.pix_fmt = "yuv420p"
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def _texture(size: tuple[int, int], seed: int) -> Any:
    """A busy picture (blocks of colour over noise) that any motion would change."""
    import numpy as np

    rng = np.random.default_rng(seed)
    w, h = size
    img = rng.integers(0, 256, (h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
    img = np.kron(img, np.ones((16, 16, 1), dtype=np.uint8))[:h, :w]
    return np.clip(img.astype(np.int16) + rng.integers(-20, 20, img.shape), 0, 255) \
        .astype(np.uint8)


def frozen_mp4(seconds: float = 6.0, size: tuple[int, int] = (1280, 720), rate: int = 24,
               seed: int = 0) -> bytes:
    """A degraded result: the same picture for the whole clip (a frozen generation)."""
    still = _texture(size, seed)
    return _mp4((still for _ in range(max(2, round(seconds * rate)))), rate)


def off_model_mp4(seconds: float = 6.0, size: tuple[int, int] = (1280, 720),
                  rate: int = 24, seed: int = 1) -> bytes:
    """A degraded result: moving footage of something else (random blocks panning), which
    matches no character or location reference."""
    import numpy as np

    w, h = size
    wide = _texture((w + 4 * round(seconds * rate), h), seed)
    n = max(2, round(seconds * rate))
    return _mp4((np.ascontiguousarray(wide[:, 4 * i: 4 * i + w]) for i in range(n)), rate)


_default_video_lock = threading.Lock()
_default_video_cache: list[bytes] = []


def default_video(endpoint: str, arguments: Any) -> bytes:
    """The output for every job, made once per process: an animatic from our LocalProvider,
    else from its renderer (``animatic.render_animatic``, small), else :func:`tiny_mp4`."""
    with _default_video_lock:
        if not _default_video_cache:
            _default_video_cache.append(_animatic() or tiny_mp4())
        return _default_video_cache[0]


def _animatic() -> bytes | None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fal-emulator-") as tmp:
        for make in (_with_local_provider, _with_animatic_renderer):
            try:
                path = make(Path(tmp))
            except Exception as exc:  # optional: fall through to the next way
                log.debug("fal emulator: %s failed (%r)", make.__name__, exc)
                continue
            if path is not None and path.is_file() and path.stat().st_size:
                return path.read_bytes()
    return None


_PROMPT = "FAL emulator result"


def _with_local_provider(folder: Path) -> Path:
    """A 1 s text-to-video animatic (320x180) through ``LocalProvider`` (lazily imported)."""
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.generation.registry import load_registry
    from aladdin_studio.generation.request import GenerationRequest

    model = load_registry().local("text-to-video")
    request = GenerationRequest(method="text-to-video", prompt=_PROMPT, duration=1.0)
    provider = LocalProvider(folder / "work", short_side=180, background=False)
    try:
        rid = provider.submit(request, model)
        return Path(provider.fetch(rid, model, request, folder).path)
    finally:
        provider.close()


def _with_animatic_renderer(folder: Path) -> Path:
    """The local provider's renderer directly, at 320x180 for 1 s."""
    from aladdin_studio.generation.providers.animatic import render_animatic
    from aladdin_studio.generation.request import GenerationRequest

    request = GenerationRequest(method="text-to-video", prompt=_PROMPT, duration=1.0)
    dest = folder / "animatic.mp4"
    render_animatic(request, dest, seed=1, size=(320, 180), n_frames=24)
    return dest


# ---------------------------------------------------------------------------------------
# The emulator


def reserve_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a free port, kept open until the emulator listens on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


class FalEmulator:
    """FAL's queue + storage APIs over HTTPS on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        cert: CertPair,
        *,
        key: str = DEFAULT_KEY,
        sock: socket.socket | None = None,
        video_factory: Callable[[str, Any], bytes] = default_video,
    ) -> None:
        self.cert = cert
        self.key = key
        self.video_factory = video_factory
        self._sock = sock or reserve_socket()
        self.port: int = self._sock.getsockname()[1]
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._offset = 0.0
        self.reset()

    # -- lifecycle --------------------------------------------------------------------

    @property
    def queue_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def run_host(self) -> str:
        return f"localhost:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.queue_host}"

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/_rest"

    @property
    def cdn_url(self) -> str:
        return f"{self.base_url}/_cdn"

    def start(self) -> FalEmulator:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert.cert, self.cert.key)
        self._httpd = _Server(self._sock, ctx, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name="fal-emulator", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FalEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control API --------------------------------------------------------------------

    def reset(self) -> None:
        """Forget scripts, jobs, uploads, records and unknown endpoints."""
        with self._lock:
            self._scripts: dict[str, collections.deque[_Pending]] = {}
            self._storage_script: collections.deque[_Pending] = collections.deque()
            self._unknown: set[str] = set()
            self._jobs: dict[str, JobState] = {}
            self._blobs: dict[str, tuple[str, bytes]] = {}  # media path → (type, data)
            self._pending_puts: dict[str, tuple[str, str]] = {}  # uid → (type, name)
            self._uploads: list[Upload] = []
            self._requests: list[RecordedRequest] = []
            self._cdn_tokens: set[str] = set()
            self._offset = 0.0

    def script(self, endpoint: str, behaviours: Iterable[Behaviour]) -> None:
        """Queue behaviours for ``endpoint`` (the full FAL app id, sub-path included)."""
        with self._lock:
            queue = self._scripts.setdefault(endpoint, collections.deque())
            queue.extend(_Pending(b, getattr(b, "times", 1)) for b in behaviours)

    def script_storage(self, behaviours: Iterable[HttpError | Stall]) -> None:
        """Errors/stalls for upload routes (``on`` in :data:`STORAGE_ROUTES`)."""
        with self._lock:
            self._storage_script.extend(_Pending(b, b.times) for b in behaviours)

    def mark_unknown(self, endpoint: str) -> None:
        """Make ``endpoint`` (and its app) answer 404 like an app FAL does not host."""
        with self._lock:
            self._unknown.add(endpoint)

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (jobs' queue/run timelines)."""
        with self._lock:
            self._offset += seconds

    def clock(self) -> float:
        return time.monotonic() + self._offset

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls(
        self,
        route: str | None = None,
        *,
        endpoint: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests filtered by route/endpoint/request id/response status."""
        return [
            r for r in self.requests
            if (route is None or r.route == route)
            and (endpoint is None or r.endpoint == endpoint)
            and (request_id is None or r.request_id == request_id)
            and (status is None or r.status == status)
        ]

    def submits(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """Accepted submits (one per request id)."""
        return self.calls("submit", endpoint=endpoint, status=200)

    @property
    def jobs(self) -> dict[str, JobState]:
        with self._lock:
            return dict(self._jobs)

    @property
    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._uploads)

    def media_url(self, *parts: str) -> str:
        return f"{self.base_url}/_media/" + "/".join(quote(p) for p in parts)

    # -- job timeline -------------------------------------------------------------------

    def _job_status(self, job: JobState) -> tuple[str, int | None, list[str]]:
        """(state, queue position, revealed logs) at the current clock."""
        spec = job.spec
        if job.cancelled:
            return "COMPLETED", None, list(spec.logs)
        elapsed = self.clock() - job.created
        if spec.queue and elapsed < spec.queue_seconds:
            idx = min(len(spec.queue) - 1, int(elapsed / spec.queue_seconds * len(spec.queue)))
            return "IN_QUEUE", spec.queue[idx], []
        if spec.queue:
            elapsed -= spec.queue_seconds
        if spec.never_completes or elapsed < spec.run_seconds:
            if spec.run_seconds > 0 and elapsed < spec.run_seconds:
                shown = min(len(spec.logs), math.floor(elapsed / spec.run_seconds
                                                       * len(spec.logs)) + 1)
            else:
                shown = len(spec.logs)
            return "IN_PROGRESS", None, list(spec.logs[:shown])
        return "COMPLETED", None, list(spec.logs)


# ---------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, sock: socket.socket, ctx: ssl.SSLContext, emulator: FalEmulator) -> None:
        super().__init__(sock.getsockname(), _Handler, bind_and_activate=False)
        self.socket.close()
        # Handshakes happen in the handler threads, not in the accept loop.
        self.socket = ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        self.server_activate()
        self.emulator = emulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("fal emulator: connection error from %s", client_address, exc_info=True)


@dataclass
class _Reply:
    status: int
    body: Any = None  # dict/list → JSON; bytes/str → raw
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None  # chunked body
    content_type: str = "application/json"


_REQ_PATH = re.compile(r"^/(?P<root>.+?)/requests/(?P<rid>[^/]+)(?P<op>/status|/cancel)?/?$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # idle keep-alive connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fal emulator: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # -- request plumbing ------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        emu = self.server.emulator
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = self._read_body()
        auth_value = self.headers.get("Authorization", "")
        headers = {k.lower(): v for k, v in self.headers.items()}
        if auth_value:
            headers["authorization"] = auth_value.split(" ", 1)[0] + " ***"
        rec = RecordedRequest(
            method=self.command, path=url.path, query=query, headers=headers, body=body,
            route="unknown", auth=self._auth_kind(auth_value), at=time.monotonic(),
        )
        try:
            reply = self._route(emu, rec)
        except Exception as exc:  # a bug in the emulator: say so loudly in the reply
            log.exception("fal emulator failed on %s %s", self.command, url.path)
            reply = _Reply(500, {"detail": f"emulator error: {exc!r}"})
        rec.status = reply.status
        with emu._lock:
            emu._requests.append(rec)
        self._send(reply)

    def _auth_kind(self, value: str) -> str:
        emu = self.server.emulator
        if not value:
            return "none"
        scheme, _, token = value.partition(" ")
        if scheme == "Key":
            return "key" if token == emu.key else "wrong-key"
        if scheme == "Bearer":
            return "cdn-token" if token in emu._cdn_tokens else "bad-token"
        return "wrong-key"

    def _send(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if reply.stream is not None:
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.stream:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
                return
            if isinstance(reply.body, (bytes, bytearray)):
                data = bytes(reply.body)
            elif isinstance(reply.body, str):
                data = reply.body.encode()
            elif reply.body is None:
                data = b""
            else:
                data = json.dumps(reply.body).encode()
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    # -- routing ----------------------------------------------------------------------

    def _route(self, emu: FalEmulator, rec: RecordedRequest) -> _Reply:
        path, method = rec.path, rec.method
        host = (self.headers.get("Host") or "").lower()
        if path.startswith("/_rest/"):
            return self._rest(emu, rec, path[len("/_rest"):])
        if path.startswith("/_cdn/"):
            return self._cdn(emu, rec, path[len("/_cdn"):])
        if path.startswith("/_storage/put/") and method == "PUT":
            return self._storage_put(emu, rec, path.rsplit("/", 1)[-1])
        if path.startswith("/_media/") and method in ("GET", "HEAD"):
            return self._media(emu, rec, path[len("/_media/"):])
        if host.startswith("localhost"):
            rec.route = "run"
            return _Reply(501, {"detail": "the FAL emulator only speaks the queue API"})
        m = _REQ_PATH.match(path)
        if m:
            rec.request_id = m["rid"]
            op = (m["op"] or "").strip("/")
            rec.route = {"status": "status", "cancel": "cancel", "": "result"}[op]
            allowed = {"status": "GET", "cancel": "PUT", "result": "GET"}[rec.route]
            if method != allowed:
                return _Reply(405, {"detail": "Method Not Allowed"})
            return self._queue_call(emu, rec, m["root"])
        if method == "POST":
            rec.route = "submit"
            return self._submit(emu, rec, path.strip("/"))
        return _Reply(404, {"detail": "Not Found"})

    def _auth_error(self, rec: RecordedRequest) -> _Reply | None:
        if rec.auth == "key":
            return None
        if rec.auth == "none":
            return _Reply(401, {"detail": "Authentication is required to perform this action"})
        return _Reply(401, {"detail": "No user found for Key ID and Secret"})

    # queue ------------------------------------------------------------------------------

    def _scripted(self, emu: FalEmulator, queue: collections.deque[_Pending] | list[_Pending],
                  route: str, *, head_only: bool = False) -> _Reply | None:
        """Apply the first scripted error/stall for ``route`` in ``queue`` (with
        ``head_only``, only if it is the first item: an endpoint's submit phase)."""
        while True:
            with emu._lock:
                head = next((p for p in queue if getattr(p.behaviour, "on", None) == route),
                            None)
                if head is None or (head_only and queue[0] is not head):
                    return None
                if head.use():
                    queue.remove(head)
            b = head.behaviour
            if isinstance(b, Stall):
                emu._stop.wait(b.seconds)
                continue
            assert isinstance(b, HttpError)
            if b.raw:
                return _Reply(b.status, b.body, dict(b.headers), content_type="text/html")
            return _Reply(b.status, b.body, dict(b.headers))

    def _submit(self, emu: FalEmulator, rec: RecordedRequest, endpoint: str) -> _Reply:
        rec.endpoint = endpoint
        if (err := self._auth_error(rec)) is not None:
            return err
        if endpoint in emu._unknown or not endpoint:
            return _not_found_app(endpoint)
        queue = emu._scripts.setdefault(endpoint, collections.deque())
        if (reply := self._scripted(emu, queue, "submit", head_only=True)) is not None:
            return reply
        try:
            arguments = json.loads(rec.body or b"{}")
        except ValueError:
            return _Reply(422, {"detail": [{"loc": ["body"], "msg": "Invalid JSON",
                                            "type": "json_invalid"}]})
        with emu._lock:
            spec, extras = _take_for_job(queue)
            rid = str(uuid.uuid4())
            root = _app_root(endpoint)
            seed = arguments.get("seed") if isinstance(arguments, dict) else None
            job = JobState(rid, endpoint, root, arguments, spec, extras, emu.clock(),
                           seed=int(seed) if isinstance(seed, int) else 4242)
            emu._jobs[rid] = job
        rec.request_id = rid
        base = f"{emu.base_url}/{root}/requests/{rid}"
        return _Reply(200, {
            "request_id": rid, "response_url": base, "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel", "queue_position": spec.queue[0] if spec.queue else 0,
        }, {"x-fal-request-id": rid})

    def _queue_call(self, emu: FalEmulator, rec: RecordedRequest, root: str) -> _Reply:
        if (err := self._auth_error(rec)) is not None:
            return err
        if any(_app_root(e) == root for e in emu._unknown):
            return _not_found_app(root)
        job = emu._jobs.get(rec.request_id or "")
        if job is None or job.app_root != root:
            if rec.route == "cancel":
                return _Reply(404, {"status": "NOT_FOUND"})
            return _Reply(404, {"detail": "Request not found"})
        rec.endpoint = job.endpoint
        if (reply := self._scripted(emu, job.extras, rec.route)) is not None:
            return reply
        state, position, logs = emu._job_status(job)
        base = f"{emu.base_url}/{root}/requests/{job.request_id}"
        if rec.route == "status":
            with_logs = rec.query.get("logs", "").lower() in ("1", "true")
            body: dict[str, Any] = {
                "status": state, "request_id": job.request_id, "response_url": base,
                "status_url": f"{base}/status", "cancel_url": f"{base}/cancel",
                "logs": [_log_entry(m) for m in logs] if with_logs else None,
                "metrics": {},
            }
            if state == "IN_QUEUE":
                body["queue_position"] = position
            if state == "COMPLETED":
                if job.cancelled:
                    body["error"], body["error_type"] = "Request was cancelled", "cancelled"
                elif (failure := job.failure()) is not None:
                    body["error"], body["error_type"] = failure.message, failure.error_type
                else:
                    body["metrics"] = {"inference_time": job.spec.run_seconds}
            return _Reply(200, body)
        if rec.route == "cancel":
            if state == "COMPLETED":
                return _Reply(400, {"status": "ALREADY_COMPLETED"})
            job.cancelled = True
            return _Reply(202, {"status": "CANCELLATION_REQUESTED"})
        # result
        if job.cancelled:
            return _Reply(400, {"detail": "Request was cancelled"})
        if state != "COMPLETED":
            return _Reply(400, {"detail": "Request is still in progress"})
        if job.spec.result is not None:
            return _Reply(200, job.spec.result, {"x-fal-request-id": job.request_id})
        video = self._video(emu, job)
        name = "output.mp4"
        return _Reply(200, {
            "video": {
                "url": emu.media_url("results", job.request_id, name),
                "content_type": job.spec.content_type, "file_name": name,
                "file_size": len(video),
            },
            "seed": job.seed,
            "timings": {"inference": job.spec.run_seconds},
        }, {"x-fal-request-id": job.request_id})

    def _video(self, emu: FalEmulator, job: JobState) -> bytes:
        if job.video is None:
            video = job.spec.video if job.spec.video is not None else \
                emu.video_factory(job.endpoint, job.arguments)
            if job.spec.video_size and job.spec.video_size > len(video):
                video += bytes(job.spec.video_size - len(video))
            job.video = video
        return job.video

    # media ------------------------------------------------------------------------------

    def _media(self, emu: FalEmulator, rec: RecordedRequest, rest: str) -> _Reply:
        parts = rest.split("/")
        if parts[0] == "results" and len(parts) >= 2:
            rec.route, rec.request_id = "download", parts[1]
            job = emu._jobs.get(parts[1])
            if job is None or job.video is None:
                return _Reply(404, {"detail": "File not found"})
            rec.endpoint = job.endpoint
            if (reply := self._scripted(emu, job.extras, "download")) is not None:
                return reply
            data, ctype = job.video, job.spec.content_type
            if job.spec.chunked:
                step = 64 * 1024
                chunks = (data[i:i + step] for i in range(0, len(data), step))
                return _Reply(200, stream=chunks, content_type=ctype)
            return _Reply(200, data, content_type=ctype)
        rec.route = "media"
        with emu._lock:
            blob = emu._blobs.get(rest)
        if blob is None:
            return _Reply(404, {"detail": "File not found"})
        return _Reply(200, blob[1], content_type=blob[0])

    # storage ----------------------------------------------------------------------------

    def _rest(self, emu: FalEmulator, rec: RecordedRequest, path: str) -> _Reply:
        if path.startswith("/storage/auth/token") and rec.method == "POST":
            rec.route = "cdn_token"
            if (err := self._auth_error(rec)) is not None:
                return err
            if (reply := self._scripted(emu, emu._storage_script, "cdn_token")) is not None:
                return reply
            token = uuid.uuid4().hex
            with emu._lock:
                emu._cdn_tokens.add(token)
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            return _Reply(200, {"token": token, "token_type": "Bearer",
                                "base_url": emu.cdn_url, "expires_at": expires.isoformat()})
        if path.startswith("/storage/upload/initiate") and rec.method == "POST":
            rec.route = "storage_initiate"
            if (err := self._auth_error(rec)) is not None:
                return err
            if (reply := self._scripted(emu, emu._storage_script, rec.route)) is not None:
                return reply
            info = json.loads(rec.body or b"{}")
            uid = uuid.uuid4().hex
            name = info.get("file_name") or "upload.bin"
            with emu._lock:
                emu._pending_puts[uid] = (info.get("content_type", ""), name)
            return _Reply(200, {"upload_url": f"{emu.base_url}/_storage/put/{uid}",
                                "file_url": emu.media_url("uploads", uid, name)})
        rec.route = "rest"
        return _Reply(404, {"detail": "Not Found"})

    def _storage_put(self, emu: FalEmulator, rec: RecordedRequest, uid: str) -> _Reply:
        rec.route = "storage_put"
        if (reply := self._scripted(emu, emu._storage_script, rec.route)) is not None:
            return reply
        with emu._lock:
            pending = emu._pending_puts.pop(uid, None)
            if pending is None:
                return _Reply(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>",
                              content_type="application/xml")
            name = pending[1]
            ctype = rec.headers.get("content-type") or pending[0]
            url = emu.media_url("uploads", uid, name)
            emu._blobs[f"uploads/{uid}/{quote(name)}"] = (ctype, rec.body)
            emu._uploads.append(Upload(url, name, ctype, rec.body, "storage"))
        return _Reply(200, b"", content_type="text/plain")

    def _cdn(self, emu: FalEmulator, rec: RecordedRequest, path: str) -> _Reply:
        if path.rstrip("/") == "/files/upload" and rec.method == "POST":
            rec.route = "cdn_upload"
            if rec.auth != "cdn-token":
                return _Reply(401, {"detail": "Invalid token"})
            if (reply := self._scripted(emu, emu._storage_script, rec.route)) is not None:
                return reply
            uid = uuid.uuid4().hex
            name = rec.headers.get("x-fal-file-name") or f"{uid}.bin"
            ctype = rec.headers.get("content-type", "application/octet-stream")
            url = emu.media_url("uploads", uid, name)
            with emu._lock:
                emu._blobs[f"uploads/{uid}/{quote(name)}"] = (ctype, rec.body)
                emu._uploads.append(Upload(url, name, ctype, rec.body, "cdn"))
            return _Reply(200, {"access_url": url, "content_type": ctype})
        rec.route = "cdn"
        return _Reply(404, {"detail": "multipart uploads are not emulated"})


def _take_for_job(queue: collections.deque[_Pending]) -> tuple[Job, list[_Pending]]:
    """The behaviours an accepted submit takes: one Job and its later-call errors."""
    spec: Job | None = None
    extras: list[_Pending] = []
    while queue:
        b = queue[0].behaviour
        if getattr(b, "on", None) == "submit":
            break
        if isinstance(b, Job):
            if spec is not None:
                break
            spec = b
        else:
            extras.append(queue[0])
        queue.popleft()
    return spec or Job(), extras


def _app_root(endpoint: str) -> str:
    """``owner/alias`` (with a ``workflows/``/``comfy/`` namespace kept), like fal_client."""
    parts = endpoint.strip("/").split("/")
    n = 3 if parts[0] in ("workflows", "comfy") else 2
    return "/".join(parts[:n])


def _not_found_app(endpoint: str) -> _Reply:
    alias = _app_root(endpoint).split("/")[-1] if endpoint else ""
    return _Reply(404, {"detail": f"Application '{alias}' not found"})


def _log_entry(message: str) -> dict[str, str]:
    return {
        "message": message, "level": "INFO", "source": "user",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
    }
