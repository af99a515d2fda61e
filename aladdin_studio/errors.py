"""One error hierarchy for every package and front end.

Every error a user may see derives from :class:`AladdinError`: ``str(err)`` is the message
for the user (it names the clip, file or field and, where possible, what to do instead),
``kind`` says what sort of failure it is (front ends map it once: the CLI prints one line
and exits 2, the editor shows a message box or a status line, the API answers with an HTTP
status), and ``retryable`` says whether trying again unchanged can help.
"""

from __future__ import annotations

__all__ = ["AladdinError", "ErrorKind"]


class ErrorKind:
    """The kinds a front end distinguishes (plain strings, so they cross processes)."""

    INVALID_INPUT = "invalid_input"  # the user must change what they asked for
    NOT_FOUND = "not_found"  # a file, project, clip or id that does not exist
    CONFLICT = "conflict"  # another writer holds the project, or the state changed
    CORRUPT = "corrupt"  # a damaged file (project, media)
    AUTH = "auth"  # missing or wrong credentials
    QUOTA = "quota"  # a limit or quota reached
    RATE_LIMITED = "rate_limited"  # back off and try again later
    UNAVAILABLE = "unavailable"  # a service or model is down or missing
    POLICY = "policy"  # a provider refused the content
    CANCELLED = "cancelled"
    RESOURCE = "resource"  # disk full, out of memory
    INTERNAL = "internal"  # a failure of ours or of a library


class AladdinError(Exception):
    """Base of every user-facing error. Subclasses set ``kind`` and ``retryable``."""

    kind: str = ErrorKind.INTERNAL
    retryable: bool = False

    @property
    def message(self) -> str:
        return str(self)
