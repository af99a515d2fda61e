"""The user's projects by id: every project the editor or the CLI creates or opens.

The automation API addresses projects by these ids and never by a path from a request, so
a client can only reach projects the user has opened here. The registry is one JSON file
in the data dir (``projects.json``: ``{"projects": [{"id", "path", "name", "last_opened"}]}``),
rewritten atomically under a lock file so the editor, CLI commands and the API server can
register concurrently.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from . import paths
from .files import atomic_path

__all__ = ["ProjectEntry", "find", "find_path", "forget", "project_file", "projects",
           "register", "registry_file", "try_register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProjectEntry:
    id: str
    path: str  # the bundle folder (NAME.aladdin) or the plain .otio file
    name: str
    last_opened: float


_files: dict[str, Path] = {}


def registry_file() -> Path:
    """``<data dir>/projects.json`` (the data dir is resolved once per XDG_DATA_HOME)."""
    key = os.environ.get("XDG_DATA_HOME", "")
    if key not in _files:
        _files[key] = paths.data_dir() / "projects.json"
    return _files[key]


def project_file(path: str | Path) -> Path:
    """The project document of a bundle folder or .otio file (may not exist)."""
    path = Path(path)
    return path / "project.otio" if path.suffix == ".aladdin" or path.is_dir() else path


def _normal(path: str | Path) -> str:
    """One spelling per project: the absolute, resolved bundle folder or .otio file."""
    path = Path(path).expanduser().resolve()
    if path.name == "project.otio" and path.parent.suffix == ".aladdin":
        path = path.parent
    return str(path)


@contextmanager
def _locked() -> Iterator[None]:
    lock = registry_file().with_suffix(".lock")
    lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(lock, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_cache: dict[str, tuple[tuple[int, int, int], list[ProjectEntry]]] = {}


def _read() -> list[ProjectEntry]:
    """The entries, parsed again only when the file changed (the API reads them on every
    request)."""
    path = registry_file()
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = _cache.get(str(path))
        if hit is not None and hit[0] == stamp:
            return list(hit[1])
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [ProjectEntry(**{k: e[k] for k in ("id", "path", "name", "last_opened")})
                   for e in data.get("projects", [])]
        _cache[str(path)] = (stamp, entries)
        return list(entries)
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("the projects registry %s is damaged (%s); starting a new one",
                    registry_file(), exc)
        return []


def _write(entries: list[ProjectEntry]) -> None:
    with atomic_path(registry_file()) as tmp:
        tmp.write_text(json.dumps({"projects": [asdict(e) for e in entries]}, indent=1),
                       encoding="utf-8")


def register(path: str | Path, name: str | None = None) -> ProjectEntry:
    """Add (or refresh) the project at ``path``; returns its entry with a stable id."""
    key = _normal(path)
    label = name or Path(key).stem
    with _locked():
        entries = _read()
        old = next((e for e in entries if e.path == key), None)
        entry = ProjectEntry(old.id if old else uuid.uuid4().hex[:12], key, label, time.time())
        _write([entry] + [e for e in entries if e.path != key])
    return entry


def try_register(path: str | Path, name: str | None = None) -> ProjectEntry | None:
    """:func:`register`, logging instead of raising (opening a project must not fail on it)."""
    try:
        return register(path, name)
    except OSError as exc:
        log.warning("could not add %s to the projects registry: %s", path, exc)
        return None


def projects(existing_only: bool = True) -> list[ProjectEntry]:
    """Registered projects, most recently opened first (by default only those still on disk)."""
    entries = _read()
    if existing_only:
        entries = [e for e in entries if project_file(e.path).is_file()]
    return sorted(entries, key=lambda e: e.last_opened, reverse=True)


def find(project_id: str) -> ProjectEntry | None:
    """The entry with this id (None when unknown or its project file is gone)."""
    entry = next((e for e in _read() if e.id == project_id), None)
    if entry is None:
        return None
    path = entry.path  # strings, not Paths: the API asks on every request
    document = (path + "/project.otio" if path.endswith(".aladdin") or os.path.isdir(path)
                else path)
    return entry if os.path.isfile(document) else None


def find_path(path: str | Path) -> ProjectEntry | None:
    key = _normal(path)
    return next((e for e in _read() if e.path == key), None)


def forget(project_id: str) -> bool:
    with _locked():
        entries = _read()
        kept = [e for e in entries if e.id != project_id]
        if len(kept) == len(entries):
            return False
        _write(kept)
    return True
