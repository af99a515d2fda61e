"""One writer per project: an advisory OS lock in the project's bundle.

The lock is ``fcntl.flock`` on ``writer.lock`` in the bundle (``NAME.aladdin/``), or in the
data folder of a plain ``.otio`` project (``FILE.aladdin-data/``). The kernel releases it
when the holder's file is closed or the holder dies, so a ``kill -9`` never leaves a stale
lock. The holder writes who it is (editor or CLI command, pid, since when) into the file so
that a refused writer can name it. Read-only work (``info``, ``render``, ``export``) takes no
lock.

The lock is re-entrant inside one process (the editor and the services it calls share it):
each :func:`acquire` of a project this process already holds returns another handle on the
same lock, and the lock is released when the last handle is.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AladdinError, ErrorKind
from .document import ProjectLocation
from .errors import ProjectFileError

__all__ = ["DEFAULT_WAIT_S", "LOCK_NAME", "ProjectLock", "ProjectLockedError", "acquire",
           "holder_of", "lock_path"]

LOCK_NAME = "writer.lock"
DEFAULT_WAIT_S = 2.0
_POLL_S = 0.05


class ProjectLockedError(AladdinError):
    """Another process is writing this project."""

    kind = ErrorKind.CONFLICT
    retryable = True

    def __init__(self, message: str, holder: dict | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}


def lock_path(location: ProjectLocation | str | Path) -> Path:
    """The lock file of a project (a location, bundle path or .otio path)."""
    loc = (location if isinstance(location, ProjectLocation)
           else ProjectLocation.for_path(location))
    return loc.root / LOCK_NAME


def _describe(holder: dict) -> str:
    who = holder.get("holder") or "another program"
    parts = []
    if holder.get("pid"):
        parts.append(f"pid {holder['pid']}")
    since = holder.get("since")
    if since:
        try:
            parts.append("since " + dt.datetime.fromisoformat(since).astimezone()
                         .strftime("%Y-%m-%d %H:%M:%S"))
        except (TypeError, ValueError):
            pass
    return f"{who} ({', '.join(parts)})" if parts else str(who)


def holder_of(location: ProjectLocation | str | Path) -> dict | None:
    """Who holds the project's lock now, or None when nobody does."""
    path = lock_path(location)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8", "replace")) if raw.strip() else {}
    except (OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) else {}


@dataclass
class _Held:
    fd: int
    count: int
    info: dict
    project_file: Path
    made_folder: bool  # the lock made the bundle/data folder: undo that if no project came


_held: dict[Path, _Held] = {}
_held_guard = threading.Lock()


class ProjectLock:
    """A handle on a held project lock; :meth:`release` (or ``with``) lets it go."""

    def __init__(self, path: Path, info: dict) -> None:
        self.path = path
        self.info = info
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with _held_guard:
            held = _held.get(self.path)
            if held is None:
                return
            held.count -= 1
            if held.count > 0:
                return
            del _held[self.path]
            try:
                os.ftruncate(held.fd, 0)
            except OSError:
                pass
            if held.made_folder and not held.project_file.exists():
                # `import typo.aladdin ...` must not leave an empty bundle behind
                self.path.unlink(missing_ok=True)
                try:
                    self.path.parent.rmdir()
                except OSError:
                    pass
            os.close(held.fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> ProjectLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # a forgotten handle must not hold the project forever
        try:
            self.release()
        except Exception:
            pass


def acquire(location: ProjectLocation | str | Path, holder: str, *,
            wait_s: float | None = None) -> ProjectLock:
    """Take the project's writer lock for ``holder`` (e.g. ``"the editor"``,
    ``"aladdin-studio import"``), waiting up to ``wait_s`` seconds (default
    :data:`DEFAULT_WAIT_S`) for another writer.

    Raises :class:`ProjectLockedError` naming the holder when it stays taken."""
    loc = (location if isinstance(location, ProjectLocation)
           else ProjectLocation.for_path(location))
    path = lock_path(loc)
    key = path.absolute()
    with _held_guard:
        held = _held.get(key)
        if held is not None:
            held.count += 1
            return ProjectLock(key, held.info)
    made_folder = not path.parent.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ProjectFileError(f"Cannot lock '{loc.file}' for writing: "
                               f"{exc.strerror or exc}.") from None
    wait_s = DEFAULT_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + max(wait_s, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise ProjectFileError(f"Cannot lock '{loc.file}' for writing: "
                                       f"{exc.strerror or exc}.") from None
            if time.monotonic() >= deadline:
                other = _read_holder(fd)
                os.close(fd)
                raise ProjectLockedError(
                    f"'{loc.file}' is being changed by {_describe(other)}; "
                    "try again when it has finished (or close it there).", other) from None
            time.sleep(_POLL_S)
    info = {"holder": holder, "pid": os.getpid(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    except OSError:
        pass  # the lock holds even if its note could not be written (full disk)
    with _held_guard:
        _held[key] = _Held(fd, 1, info, loc.file, made_folder)
    return ProjectLock(key, info)
