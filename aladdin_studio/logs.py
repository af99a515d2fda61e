"""Logging to a rotating file with secrets redacted.

``setup_logging()`` attaches a size-rotated file handler (and optionally a stderr handler) to the
``aladdin_studio`` logger. Every record passing through them goes through a shared
:class:`RedactingFilter`, which replaces registered secret values and credential-looking text
(``Authorization: Key …``, ``Bearer …``, ``api_key=…``, ``"xi-api-key": "…"``, URL passwords, …)
with ``***`` in the message, its arguments, the exception traceback and the stack info.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import quote

from aladdin_studio import paths

__all__ = [
    "BACKUP_COUNT",
    "LOGGER_NAME",
    "LOG_FILE_NAME",
    "MAX_BYTES",
    "RedactingFilter",
    "add_secret",
    "redact",
    "setup_logging",
]

LOGGER_NAME = "aladdin_studio"
LOG_FILE_NAME = "aladdin-studio.log"
MAX_BYTES = 1024 * 1024  # read at setup time, so tests may patch these
BACKUP_COUNT = 5
#: Shorter secret values are not registered: replacing them everywhere would garble the log.
MIN_SECRET_LEN = 4
FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"
MASK = "***"

_HANDLER_MARK = "_aladdin_studio_handler"

_SECRET_KEY = (
    r"(?:api[_-]?key|fal[_-]?key|secret[_-]?access[_-]?key|client[_-]?secret|secret"
    r"|password|passwd|pwd|access[_-]?token|refresh[_-]?token|auth[_-]?token|token)"
)


def _keep_quotes(match: re.Match[str]) -> str:
    """Mask the value after ``key=`` / ``"key": ``, keeping its quotes."""
    value = match.group(0)[len(match.group(1)) :]
    quote_char = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote_char}{MASK}{quote_char}"


_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # Authorization: Key xxx / Authorization: Bearer xxx / {'Authorization': 'Basic xxx'}
    (
        re.compile(
            r"""(?i)(\bauthorization["']?\s*[:=]\s*["']?)((?:key|bearer|basic|token|digest)\s+)?"""
            r"""[^\s"',;}\])]+"""
        ),
        rf"\1\2{MASK}",
    ),
    # Bearer xxx anywhere
    (re.compile(r"(?i)\b(bearer\s+)[\w\-.~+/]+=*"), rf"\1{MASK}"),
    # api_key=xxx, FAL_KEY=xxx, "xi-api-key": "xxx", aws_secret_access_key = xxx, password: xxx
    (
        re.compile(
            rf"""(?i)(["']?(?<![\w.-])[\w.-]*?{_SECRET_KEY}["']?\s*[:=]\s*)"""
            r"""(?:"[^"]*"|'[^']*'|[^\s"',;&}\])]+)"""
        ),
        _keep_quotes,
    ),
    # scheme://user:password@host
    (
        re.compile(r"(?i)(?<![\w+.-])([a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^@/\s]+@"),
        rf"\1{MASK}@",
    ),
)


_EXC_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Replace known secret values and credential patterns in log records with ``***``.

    The record is rewritten in place (message pre-formatted, traceback pre-rendered), so
    handlers further along the chain only ever see the redacted text.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._secret_re: re.Pattern[str] | None = None
        for value in secrets:
            self.add_secret(value)

    def add_secret(self, value: str | None) -> None:
        """Register a secret value (and its URL-/JSON-escaped forms) for redaction."""
        if not value or not isinstance(value, str):
            return
        variants = {value, value.strip(), quote(value, safe=""), json.dumps(value)[1:-1]}
        variants.add(repr(value)[1:-1])
        with self._lock:
            new = {v for v in variants if len(v) >= MIN_SECRET_LEN} - self._secrets
            if not new:
                return
            self._secrets |= new
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest match first
            self._secret_re = re.compile("|".join(map(re.escape, ordered)))

    def redact(self, text: str) -> str:
        """Return ``text`` with secrets and credential patterns replaced by ``***``."""
        secret_re = self._secret_re
        if secret_re is not None:
            text = secret_re.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad format args: keep everything, but redacted
            message = f"{record.msg} (unformattable arguments: {record.args!r})"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _EXC_FORMATTER.formatException(record.exc_info)
            # Drop the live exception so no formatter can render it unredacted again.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def add_secret(value: str | None) -> None:
    """Register a secret value to be redacted from all Aladdin Studio log output."""
    _FILTER.add_secret(value)


def redact(text: str) -> str:
    """Redact ``text`` like the log handlers do (e.g. for error dialogs)."""
    return _FILTER.redact(text)


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler whose files are readable by the owner only (POSIX)."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        if os.name == "posix":
            try:
                os.chmod(self.baseFilename, 0o600)
            except OSError:
                pass
        return stream


def setup_logging(
    level: int | str = "INFO", *, secrets: Iterable[str] = (), console: bool = False
) -> Path:
    """Configure the ``aladdin_studio`` logger; return the log file path.

    Logs go to ``paths.log_dir()/"aladdin-studio.log"`` (rotated at 1 MB, 5 backups kept) and,
    with ``console=True``, to stderr. The logger stops propagating to the root logger so no
    unfiltered handler sees its records. Calling again replaces the handlers it added earlier.
    """
    for value in secrets:
        add_secret(value)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level.upper() if isinstance(level, str) else level)  # ValueError if unknown

    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
            handler.close()

    path = paths.log_dir() / LOG_FILE_NAME
    handlers: list[logging.Handler] = [
        _PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    ]
    if console:
        handlers.append(logging.StreamHandler())
    formatter = logging.Formatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_FILTER)
        setattr(handler, _HANDLER_MARK, True)
        logger.addHandler(handler)
    logger.propagate = False
    return path
