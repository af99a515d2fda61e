"""The editor's one mapping of user-facing errors (``AladdinError``) to what the user sees:
a message box for what stops a command, a status-bar line for what only refuses a gesture."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from ..errors import AladdinError, ErrorKind

__all__ = ["error_text", "error_title", "show_error", "show_status"]

APP = "Aladdin Studio"

_TITLES = {
    ErrorKind.INVALID_INPUT: "Cannot Do That",
    ErrorKind.NOT_FOUND: "Not Found",
    ErrorKind.CONFLICT: "Project Busy",
    ErrorKind.CORRUPT: "Damaged File",
    ErrorKind.AUTH: "Key Needed",
    ErrorKind.QUOTA: "Limit Reached",
    ErrorKind.RATE_LIMITED: "Busy, Try Later",
    ErrorKind.UNAVAILABLE: "Not Available",
    ErrorKind.POLICY: "Refused by the Provider",
    ErrorKind.CANCELLED: "Cancelled",
    ErrorKind.RESOURCE: "Out of Space or Memory",
}


def error_title(exc: BaseException) -> str:
    """A window title for ``exc`` by its kind ("Aladdin Studio" for others)."""
    kind = exc.kind if isinstance(exc, AladdinError) else None
    return _TITLES.get(kind, APP) if kind else APP


def error_text(exc: BaseException) -> str:
    """The user's message (with "try again later" when retrying can help)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, AladdinError) and exc.retryable and "again" not in text.lower():
        text += " You can try again later."
    return text


def show_error(parent: QWidget | None, exc: BaseException, title: str | None = None) -> None:
    """A warning box for ``exc`` (non-blocking in tests via QMessageBox patching)."""
    QMessageBox.warning(parent, title or error_title(exc), error_text(exc))


def show_status(status_bar: QStatusBar, exc: BaseException, ms: int = 8000) -> None:
    """One status-bar line for ``exc``."""
    status_bar.showMessage(" ".join(error_text(exc).split()), ms)
