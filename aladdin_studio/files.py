"""Writing generated files so a crash or a cancel never leaves a half-written one, and
sweeping the temporary names a killed process (kill -9, power loss) left behind."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

StrPath = str | os.PathLike[str]


@contextmanager
def atomic_path(path: StrPath) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success move it over ``path``, else delete it."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=temp_prefix(dest),
                                    suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with suppress(FileNotFoundError):
            tmp.unlink()
        raise


# --- leftovers of killed processes ------------------------------------------------------

# Temporary names that carry their writer's pid: ``.NAME.<pid>.tmp`` (project saves),
# ``.NAME.<pid>.<random>.part`` (atomic_path), ``.NAME.<pid>.<random>.parts/`` (renders,
# OTIOZ exports).
_STALE = re.compile(r"^\..+\.(?P<pid>\d+)(?:\.[A-Za-z0-9_]+)?\.(?:tmp|part|parts)$")
STALE_MAX_AGE_S = 24 * 3600.0  # past this, even a live pid is a reused one


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def temp_prefix(dest: StrPath) -> str:
    """``.NAME.<pid>.``: the start of a temporary file or folder beside ``dest`` (add a
    random part and ``.tmp``/``.part``/``.parts``) that :func:`sweep_stale` recognises."""
    return f".{Path(dest).name}.{os.getpid()}."


def sweep_stale(folder: StrPath, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files/folders in ``folder`` that a killed process left behind:
    their pid is dead on this machine, or they are over a day old (the pid was reused).
    Returns what was removed. Never raises."""
    import shutil
    import time

    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _STALE.match(entry.name)
        if match is None or int(match["pid"]) == os.getpid():
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        dead = not pid_alive(int(match["pid"]))
        if not (dead or age >= STALE_MAX_AGE_S):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed
