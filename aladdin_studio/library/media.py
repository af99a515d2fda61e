"""The media collection: one document per generated or published asset (design doc shape),
behind one repository interface with two back-ends (``media_sqlite``, ``media_mongo``).

A document::

    {"id", "projectId", "type": "video" | "audio" | "image", "url", "storageKey", "sha256",
     "size", "metadata": {"method", "duration", "fps", "resolution", "qualityScore",
     "characterReference", "locationReference", "sceneId", "voice", "provider", "model",
     "cost", ...}, "createdAt"}

``characterReference`` / ``locationReference`` hold the reference library ids (as in the
design doc); ``characterName`` / ``locationName`` hold the names a user knows, and a scene
render lists everyone in it in ``characters`` / ``locations``; queries match any of them
(names case-insensitively).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..errors import AladdinError, ErrorKind

__all__ = [
    "MEDIA_TYPES",
    "METADATA_FIELDS",
    "MediaDocument",
    "MediaQuery",
    "MediaRepository",
    "LibraryError",
    "LibraryUnavailable",
    "utc_now",
]

MEDIA_TYPES = ("video", "audio", "image")
METADATA_FIELDS = ("method", "duration", "fps", "resolution", "qualityScore",
                   "characterReference", "locationReference", "sceneId", "voice", "provider",
                   "model", "cost", "characterName", "locationName", "characters", "locations")
MAX_PAGE = 500


class LibraryError(AladdinError):
    """The media collection or the Brain refused a request or cannot be reached."""

    kind = ErrorKind.INVALID_INPUT


class LibraryUnavailable(LibraryError):
    kind = ErrorKind.UNAVAILABLE
    retryable = True


def utc_now() -> _dt.datetime:
    """Now, in UTC, at millisecond precision (what MongoDB stores)."""
    now = _dt.datetime.now(_dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _as_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, int | float):
        return _dt.datetime.fromtimestamp(float(value), _dt.UTC)
    if isinstance(value, str) and value:
        return _as_datetime(_dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return utc_now()


@dataclass(frozen=True)
class MediaDocument:
    id: str
    project_id: str
    type: str
    url: str = ""
    storage_key: str | None = None
    sha256: str | None = None
    size: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: _dt.datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise LibraryError("A media document needs an id.")
        if not self.project_id:
            raise LibraryError("A media document needs a project id.")
        if self.type not in MEDIA_TYPES:
            raise LibraryError(f"Unknown media type '{self.type}': use video, audio or image.")
        object.__setattr__(self, "created_at", _as_datetime(self.created_at))

    def meta(self, name: str, default: Any = None) -> Any:
        return self.metadata.get(name, default)

    def with_changes(self, **changes: Any) -> MediaDocument:
        """A copy with fields replaced; ``metadata=`` is merged into the current one."""
        if "metadata" in changes:
            changes["metadata"] = {**self.metadata, **(changes["metadata"] or {})}
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The design doc's JSON shape (``createdAt`` as ISO 8601)."""
        return {"id": self.id, "projectId": self.project_id, "type": self.type,
                "url": self.url, "storageKey": self.storage_key, "sha256": self.sha256,
                "size": self.size, "metadata": dict(self.metadata),
                "createdAt": self.created_at.isoformat(timespec="milliseconds")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaDocument:
        return cls(id=str(data.get("id") or data.get("_id") or ""),
                   project_id=str(data.get("projectId") or ""),
                   type=str(data.get("type") or ""), url=str(data.get("url") or ""),
                   storage_key=data.get("storageKey"), sha256=data.get("sha256"),
                   size=None if data.get("size") is None else int(data["size"]),
                   metadata=dict(data.get("metadata") or {}),
                   created_at=_as_datetime(data.get("createdAt")))


@dataclass(frozen=True)
class MediaQuery:
    """Filters (all optional, combined with AND), newest first, one page."""

    project_id: str | None = None
    type: str | None = None
    character: str | None = None  # reference id or name
    location: str | None = None  # reference id or name
    method: str | None = None
    min_quality: float | None = None
    scene_id: str | None = None
    since: _dt.datetime | None = None
    until: _dt.datetime | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in MEDIA_TYPES:
            raise LibraryError(f"Unknown media type '{self.type}': use video, audio or image.")
        if not 1 <= int(self.limit) <= MAX_PAGE:
            raise LibraryError(f"A page holds 1 to {MAX_PAGE} documents, not {self.limit}.")
        if int(self.offset) < 0:
            raise LibraryError("The page offset cannot be negative.")
        if self.min_quality is not None and not 0.0 <= float(self.min_quality) <= 1.0:
            raise LibraryError(f"Quality scores go from 0 to 1, not {self.min_quality}.")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _as_datetime(value))


class MediaRepository(Protocol):
    """What both back-ends offer. ``put`` inserts or replaces by id."""

    backend: str

    def put(self, doc: MediaDocument) -> MediaDocument: ...

    def get(self, media_id: str) -> MediaDocument | None: ...

    def delete(self, media_id: str) -> bool: ...

    def find(self, query: MediaQuery) -> list[MediaDocument]: ...

    def count(self, query: MediaQuery) -> int: ...

    def by_sha256(self, sha256: str, project_id: str | None = None) -> list[MediaDocument]: ...

    def close(self) -> None: ...
