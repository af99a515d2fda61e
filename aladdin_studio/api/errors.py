"""Errors as HTTP answers: one table from the error ``kind`` to the status code.

Every user-facing error derives from :class:`AladdinError` (``kind``, ``str(err)`` for the
user). Errors of packages not migrated to it yet are given a kind here by class, once.
The JSON body is ``{"error": message, "kind": kind}`` (plus ``field`` for validation).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AladdinError, ErrorKind

__all__ = ["STATUS", "ApiError", "error_kind", "install_handlers", "status_for"]

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.CORRUPT: 422,
    ErrorKind.AUTH: 401,
    ErrorKind.QUOTA: 429,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.POLICY: 422,
    ErrorKind.CANCELLED: 409,
    ErrorKind.RESOURCE: 507,
    ErrorKind.INTERNAL: 500,
}

# Errors of packages that do not derive from AladdinError yet, by class name (most
# specific first along the MRO).
_LEGACY_KINDS = {
    "GenerationLimitError": ErrorKind.QUOTA,
    "RateLimitError": ErrorKind.RATE_LIMITED,
    "InvalidInputError": ErrorKind.INVALID_INPUT,
    "ContentPolicyError": ErrorKind.POLICY,
    "ProviderAuthError": ErrorKind.UNAVAILABLE,  # the server's FAL key, not the client's token
    "ModelUnavailableError": ErrorKind.UNAVAILABLE,
    "GenerationTimeout": ErrorKind.UNAVAILABLE,
    "GenerationCancelled": ErrorKind.CANCELLED,
    "CorruptProjectError": ErrorKind.CORRUPT,
    "NewerSchemaError": ErrorKind.CORRUPT,
    "ProjectFileError": ErrorKind.NOT_FOUND,
    "EditError": ErrorKind.INVALID_INPUT,
    "TimelineError": ErrorKind.INVALID_INPUT,
    "MediaProbeError": ErrorKind.INVALID_INPUT,
    "ConfigError": ErrorKind.INVALID_INPUT,
    "RenderError": ErrorKind.INTERNAL,
}


class ApiError(AladdinError):
    """An error of the API itself with an explicit kind (unknown project, job, video...)."""

    def __init__(self, message: str, kind: str = ErrorKind.INVALID_INPUT, *,
                 status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.field = field


# Limits reached are quota errors whatever base class they inherit their kind from.
_QUOTA_NAMES = ("GenerationLimitError", "LimitExceeded")


def error_kind(exc: BaseException) -> str | None:
    """The kind of a user-facing error, or None for a bug."""
    if any(cls.__name__ in _QUOTA_NAMES for cls in type(exc).__mro__):
        return ErrorKind.QUOTA
    if isinstance(exc, AladdinError):
        return exc.kind
    for cls in type(exc).__mro__:
        if cls.__name__ in _LEGACY_KINDS:
            return _LEGACY_KINDS[cls.__name__]
    return None


def status_for(exc: BaseException) -> int:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    kind = error_kind(exc)
    if kind == ErrorKind.AUTH and not isinstance(exc, ApiError):
        return 503  # the server's own credentials (e.g. no FAL key), not the client's token
    return STATUS.get(kind, 500) if kind else 500


def error_body(message: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "kind": kind, **{k: v for k, v in extra.items() if v is not None}}


def _field(loc: tuple[Any, ...]) -> str:
    """``("body", "audio", 0, "text")`` → ``audio[0].text`` (as ApiError fields name it)."""
    name = ""
    for part in loc:
        if part in ("body", "query", "path"):
            continue
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def install_handlers(app: FastAPI) -> None:
    """Map exceptions to JSON answers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg', 'invalid value')}"
        return JSONResponse(error_body(message, ErrorKind.INVALID_INPUT, field=field,
                                       details=[{"field": _field(tuple(e.get("loc", ()))),
                                                 "message": e.get("msg")} for e in errors]),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {401: ErrorKind.AUTH, 404: ErrorKind.NOT_FOUND, 413: ErrorKind.INVALID_INPUT,
                405: ErrorKind.INVALID_INPUT}.get(exc.status_code, ErrorKind.INTERNAL)
        return JSONResponse(error_body(str(exc.detail), kind), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def _user(request: Request, exc: Exception) -> JSONResponse:
        kind = error_kind(exc) or ErrorKind.INTERNAL
        status = status_for(exc)
        headers = {"Retry-After": "60"} if status == 429 else None
        return JSONResponse(error_body(str(exc) or type(exc).__name__, kind,
                                       field=getattr(exc, "field", None)),
                            status_code=status, headers=headers)

    for cls in _user_error_bases():
        app.add_exception_handler(cls, _user)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("API %s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("Internal error; see the server log.",
                                       ErrorKind.INTERNAL), status_code=500)


def _user_error_bases() -> list[type[Exception]]:
    """AladdinError and the bases of the user-facing errors not migrated to it yet."""
    from ..config import ConfigError
    from ..generation.errors import GenerationError
    from ..timeline.errors import TimelineError
    from ..timeline.probe import MediaProbeError

    return [AladdinError, GenerationError, TimelineError, MediaProbeError, ConfigError]
