"""One SQLite connection per thread to a library file (WAL, shared with other processes),
for the embedded media collection and the embedded Brain."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .media import LibraryUnavailable

__all__ = ["ThreadConnections"]


class ThreadConnections:
    """Connections to ``path`` made on first use in each thread; ``schema`` statements run
    once here; :meth:`close` closes every thread's. ``what`` names the store in the one-line
    error when the file cannot be opened (e.g. "The Brain")."""

    def __init__(self, path: Path, what: str, *, schema: Iterable[str] = (),
                 pragmas: Iterable[str] = ()) -> None:
        self.path = path
        self.what = what
        self._pragmas = ("PRAGMA journal_mode=WAL", *pragmas)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.get() as conn:
            for statement in schema:
                conn.execute(statement)

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                for pragma in self._pragmas:
                    conn.execute(pragma)
            except sqlite3.Error as exc:
                raise LibraryUnavailable(f"{self.what} {self.path} cannot be opened: {exc}") \
                    from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
