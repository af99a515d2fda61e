"""Where published objects go: the interface, S3 metadata rules, and the local publish folder
(the embedded default: the same key layout under ``<data dir>/publish`` with ``file://``
URLs, so everything but the network works offline)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from ..files import atomic_path
from .errors import PublishCancelled, PublishIntegrityError
from .keys import validate_key

__all__ = ["METADATA_LIMIT", "LocalStore", "ObjectStore", "Progress", "StoredObject",
           "UploadResult", "default_publish_dir", "trim_metadata"]

METADATA_LIMIT = 2000  # bytes of user metadata (S3 allows 2 KB incl. names)
Progress = Callable[[int, int], None]  # (bytes done, bytes total)
# The order metadata is kept in when it does not all fit.
_PRIORITY = ("sha256", "project-id", "scene-id", "media-id", "render-id", "method", "duration",
             "fps", "resolution", "uploaded-at", "provider", "model", "seed", "quality",
             "cost", "character", "location", "prompt")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str | None
    etag: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class UploadResult:
    key: str
    size: int
    sha256: str
    url: str
    etag: str | None = None
    uploaded_bytes: int = 0  # sent in this run (0: it was already there)
    skipped: bool = False  # the same content was already published under the key
    resumed_parts: int = 0  # parts of an interrupted upload kept and not sent again
    parts: int = 1
    url_expires_at: str | None = None
    metadata_dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ascii(value: Any) -> str:
    text = str(value)
    if all(0x20 <= ord(c) <= 0x7E for c in text):
        return text
    return quote(text, safe=" !\"#$'()*+,-./:;<=>?@[]^_`{|}~")


def trim_metadata(values: dict[str, Any], limit: int = METADATA_LIMIT
                  ) -> tuple[dict[str, str], list[str]]:
    """S3 user metadata from ``values``: lower-case names, printable-ASCII values (others
    percent-encoded), at most ``limit`` bytes in priority order; long text values are cut to
    what is left. Returns (kept, names dropped or cut) — the manifest holds everything."""
    items = {k.lower().replace("_", "-"): _ascii(v) for k, v in values.items()
             if v is not None and v != ""}
    order = [k for k in _PRIORITY if k in items] + sorted(k for k in items if k not in _PRIORITY)
    kept: dict[str, str] = {}
    dropped: list[str] = []
    used = 0
    for name in order:
        value = items[name]
        room = limit - used - len(name)
        if room <= 0:
            dropped.append(name)
            continue
        if len(value) > room:
            if name in ("prompt",) and room >= 16:
                value = value[: room - 1] + "~"
                dropped.append(name)
            else:
                dropped.append(name)
                continue
        kept[name] = value
        used += len(name) + len(value)
    return kept, dropped


class ObjectStore(Protocol):
    name: str  # "r2" or "local"

    def describe(self) -> str:
        """Where objects go, for people (no secret)."""

    def head(self, key: str) -> StoredObject | None: ...

    def upload(self, key: str, path: Path, *, sha256: str, content_type: str,
               metadata: dict[str, Any], progress: Progress | None = None,
               cancel: threading.Event | None = None) -> UploadResult: ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, Any]) -> UploadResult: ...

    def url(self, key: str) -> tuple[str, str | None]:
        """(URL, expiry ISO time or None for a permanent one)."""

    def close(self) -> None: ...


def default_publish_dir() -> Path:
    from aladdin_studio import paths

    return paths.data_dir() / "publish"


class LocalStore:
    """The key layout under a folder; metadata in ``.meta/<key>.json``; writes are atomic
    (temp file + rename), so no partial file ever has a final name."""

    name = "local"
    CHUNK = 8 << 20

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_publish_dir()
        self.root.mkdir(parents=True, exist_ok=True)

    def describe(self) -> str:
        return f"the local publish folder {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / ".meta" / (validate_key(key) + ".json")

    def head(self, key: str) -> StoredObject | None:
        path, meta_path = self._path(key), self._meta_path(key)
        if not path.is_file() or not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("size") != path.stat().st_size:
            return None
        return StoredObject(key, meta["size"], meta.get("sha256"), None, meta.get("metadata", {}))

    def url(self, key: str) -> tuple[str, str | None]:
        return self._path(key).as_uri(), None

    def _finish(self, key: str, size: int, sha256: str, metadata: dict[str, Any],
                content_type: str) -> None:
        kept, _ = trim_metadata(metadata)
        with atomic_path(self._meta_path(key)) as tmp:
            tmp.write_text(json.dumps({"size": size, "sha256": sha256,
                                       "contentType": content_type, "metadata": kept}))

    def upload(self, key: str, path: Path, *, sha256: str, content_type: str,
               metadata: dict[str, Any], progress: Progress | None = None,
               cancel: threading.Event | None = None) -> UploadResult:
        size = path.stat().st_size
        existing = self.head(key)
        url, _ = self.url(key)
        if existing is not None and existing.sha256 == sha256:
            if progress:
                progress(size, size)
            return UploadResult(key, size, sha256, url, skipped=True)
        digest = hashlib.sha256()
        done = 0
        with atomic_path(self._path(key)) as tmp:
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                while data := src.read(self.CHUNK):
                    if cancel is not None and cancel.is_set():
                        raise PublishCancelled("Publishing was cancelled.")
                    dst.write(data)
                    digest.update(data)
                    done += len(data)
                    if progress:
                        progress(done, size)
                dst.flush()
                os.fsync(dst.fileno())
            if digest.hexdigest() != sha256:
                raise PublishIntegrityError(f"{path.name} changed while it was published.")
        self._finish(key, size, sha256, metadata, content_type)
        return UploadResult(key, size, sha256, url, uploaded_bytes=size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, Any]) -> UploadResult:
        sha = hashlib.sha256(data).hexdigest()
        with atomic_path(self._path(key)) as tmp:
            tmp.write_bytes(data)
        self._finish(key, len(data), sha, metadata, content_type)
        return UploadResult(key, len(data), sha, self.url(key)[0], uploaded_bytes=len(data))

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._meta_path(key)):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        pass

