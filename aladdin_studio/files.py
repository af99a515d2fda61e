"""Writing generated files so a crash or a cancel never leaves a half-written one."""

from __future__ import annotations

import os
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
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
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
