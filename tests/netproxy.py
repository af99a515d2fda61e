"""A small TCP proxy on 127.0.0.1 for tests: a plain relay (the Bolt server in its network
namespace) or an HTTP/1.1 fault injector between boto3 and the S3 server.

In HTTP mode every request gets its own upstream connection (``Connection: close`` is added),
so a fault hits exactly one request. ``decide(method, target, index)`` returns None (forward),
``"reset"`` (half the body is forwarded, then both sides are reset), ``"delay"`` (the request
is held for ``stall_s`` seconds, then served normally), ``"stall"`` (the
response is held back for ``stall_s`` seconds, then the connection is dropped) or ``"500"``
(an S3-style InternalError is answered without reaching the server) or
``"http:STATUS:Code"`` (that S3 error, e.g. ``"http:403:InvalidAccessKeyId"``).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

Decide = Callable[[str, str, int], str | None]



def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def _pump(src: socket.socket, dst: socket.socket, delay: float = 0.0) -> None:
    try:
        if delay:
            time.sleep(delay)
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TcpProxy:
    def __init__(self, connect: Callable[[], socket.socket], *, decide: Decide | None = None,
                 stall_s: float = 3.0) -> None:
        self.connect = connect
        self.decide = decide
        self.stall_s = stall_s
        self.requests: list[tuple[str, str, str | None]] = []  # (method, target, fault)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closing = False
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closing = True
        self._server.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            handler = self._http if self.decide else self._relay
            threading.Thread(target=handler, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = self.connect()
        except OSError:
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def _http(self, client: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    client.close()
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            method, target = lines[0].decode("latin-1").split(" ")[:2]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            with self._lock:
                index = len(self.requests)
                fault = self.decide(method, target, index) if self.decide else None
                self.requests.append((method, target, fault))
            length = int(headers.get("content-length", "0") or 0)
            if fault == "500" or (fault or "").startswith("http:"):
                status, code = (500, "InternalError") if fault == "500" else \
                    (int(fault.split(":")[1]), fault.split(":")[2])
                body = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                        + code.encode() + b"</Code><Message>" + code.encode()
                        + b"</Message></Error>")
                if headers.get("expect", "").lower() != "100-continue":
                    while len(rest) < length:
                        chunk = client.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                client.sendall(f"HTTP/1.1 {status} Error\r\n".encode()
                               + b"Content-Type: application/xml\r\nConnection: close\r\n"
                               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                               + (b"" if method == "HEAD" else body))
                client.close()
                return
            if fault == "delay":
                time.sleep(self.stall_s)
            kept = [line for line in lines if not line.lower().startswith(b"connection:")]
            upstream = self.connect()
            upstream.sendall(b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n")
            if fault == "reset":
                self._reset_midway(client, upstream, rest, length)
                return
            if rest:
                upstream.sendall(rest)
            delay = self.stall_s if fault == "stall" else 0.0
            threading.Thread(target=_pump, args=(upstream, client, delay), daemon=True).start()
            _pump(client, upstream)
        except OSError:
            client.close()

    @staticmethod
    def _reset_midway(client: socket.socket, upstream: socket.socket, rest: bytes,
                      length: int) -> None:
        """Forward about half the body (answering a 100-continue wait with one), then reset."""
        if not rest:
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        sent = 0
        half = max(1, length // 2)
        data = rest
        while sent < half:
            if not data:
                data = client.recv(65536)
                if not data:
                    break
            take = data[: half - sent]
            upstream.sendall(take)
            sent += len(take)
            data = data[len(take):]
        _reset(client)
        _reset(upstream)
