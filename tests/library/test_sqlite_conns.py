"""The embedded library stores share one per-thread SQLite connection helper: a file that
cannot be opened is one line naming the store; each thread gets its own connection."""

from __future__ import annotations

import threading

import pytest

from aladdin_studio.library.brain_sqlite import SqliteBrain
from aladdin_studio.library.media import LibraryUnavailable
from aladdin_studio.library.media_sqlite import SqliteMediaRepository
from aladdin_studio.library.sqlite_conns import ThreadConnections


@pytest.mark.parametrize(("store", "what"), [(SqliteBrain, "The Brain"),
                                             (SqliteMediaRepository, "The media library")])
def test_a_library_file_that_cannot_be_opened_is_named(tmp_path, store, what):
    folder = tmp_path / "library.sqlite3"
    folder.mkdir()  # a folder where the database file should be
    with pytest.raises(LibraryUnavailable, match=f"^{what} .*library.sqlite3 cannot be opened"):
        store(folder)


def test_each_thread_has_its_own_connection_and_close_closes_them_all(tmp_path):
    db = ThreadConnections(tmp_path / "t.sqlite3", "Test",
                           schema=["CREATE TABLE t (x INTEGER)"])
    mine = db.get()
    assert db.get() is mine
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(db.get()))
    worker.start()
    worker.join(10)
    assert theirs and theirs[0] is not mine
    assert mine.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with pytest.raises(Exception, match="closed"):
        mine.execute("SELECT 1")
    assert db.get() is not mine  # a fresh one after close
    db.close()
