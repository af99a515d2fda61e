"""The token check, once for every route and WebSocket under ``/api/v1`` (pure ASGI, so the
hot job-status route pays a header comparison, not a dependency resolution)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from .access import token_matches
from .errors import error_body, error_kind, status_for

__all__ = ["AUTH_MESSAGE", "ApiApp", "FastRoute", "TokenGate"]

AUTH_MESSAGE = ("Missing or wrong API token: send 'Authorization: Bearer <token>' "
                "(aladdin-studio serve --show-token).")
_BODY = json.dumps({"error": AUTH_MESSAGE, "kind": "auth"}).encode()


class TokenGate:
    """401 (HTTP) or a refused handshake (WebSocket: 403) without the bearer token;
    WebSockets may pass it as ``?token=`` instead (browsers cannot set the header)."""

    def __init__(self, app: ASGIApp, token: str, prefix: str = "/api/v1") -> None:
        self.app = app
        self.token = token
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                       if k == b"authorization"), None)
        if kind == "websocket" and header is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            header = (query.get("token") or [None])[0]
        if token_matches(header, self.token):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008,
                        "reason": "missing or wrong API token"})
            return
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(_BODY)).encode()),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": _BODY})


class FastRoute:
    """Answers one hot GET route (``pattern``'s groups → ``handler(*groups)`` → JSON, or
    JSON already encoded as bytes) before FastAPI's routing and validation; the same route
    stays declared in the app for OpenAPI and gives the same answer. ``handler`` raises
    user errors like the routes do."""

    def __init__(self, app: ASGIApp, pattern: str, handler: object) -> None:
        import re

        self.app = app
        self.pattern = re.compile(pattern)
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (self.pattern.fullmatch(scope["path"])
                 if scope["type"] == "http" and scope["method"] == "GET" else None)
        if match is None:
            await self.app(scope, receive, send)
            return
        try:
            status, data = 200, self.handler(*match.groups())  # type: ignore[operator]
        except Exception as exc:
            kind = error_kind(exc)
            if kind is None:  # a bug: let the app's error handling report it
                raise
            status, data = status_for(exc), error_body(str(exc), kind)
        body = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")
                                                             ).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class ApiApp:
    """The ASGI app that is served: :class:`TokenGate`, then :class:`FastRoute` for the hot
    route, then the FastAPI app (``fastapi``; its ``state`` is this app's ``state``). There
    is no way to serve the routes without the gate."""

    def __init__(self, fastapi_app: Any, token: str, pattern: str, handler: Any) -> None:
        self.fastapi = fastapi_app
        self.state = fastapi_app.state
        self._asgi = TokenGate(FastRoute(fastapi_app, pattern, handler), token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)
