"""The embedded media collection: SQLite from the standard library in the user data dir.

Why SQLite: it ships with Python (nothing to install or start), it is transactional and
crash-safe, WAL mode lets the editor, the CLI and worker processes read and write one file at
once, and indexed columns answer every collection query in well under a millisecond at
10,000 documents. The document-store look-alikes measured here (litemongo, montydb, mongita)
either pull in mongomock or miss unique indexes / upserts, so they would be a weaker copy of
MongoDB than a few SQL columns. The whole document is kept as JSON beside the columns the
queries filter on, so nothing the MongoDB back-end stores is lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .media import MediaDocument, MediaQuery
from .sqlite_conns import ThreadConnections

__all__ = ["SqliteMediaRepository", "default_path"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS media (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, type TEXT NOT NULL,
        sha256 TEXT, created_at REAL NOT NULL, method TEXT, character_ref TEXT,
        character_name TEXT, location_ref TEXT, location_name TEXT, quality REAL,
        scene_id TEXT, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS media_project_created_id ON media (project_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS media_sha256 ON media (sha256)",
    "CREATE INDEX IF NOT EXISTS media_method ON media (project_id, method, created_at)",
    "CREATE INDEX IF NOT EXISTS media_character_ref ON media (character_ref)",
    "CREATE INDEX IF NOT EXISTS media_location_ref ON media (location_ref)",
    # Every character / location name of a document (a render lists several), case-folded.
    """CREATE TABLE IF NOT EXISTS media_names (
        kind TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, name, id))
        WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS media_names_id ON media_names (id)",
)
_COLUMNS = ("id", "project_id", "type", "sha256", "created_at", "method", "character_ref",
            "character_name", "location_ref", "location_name", "quality", "scene_id", "doc")


def default_path() -> Path:
    """``<user data dir>/library.sqlite3``."""
    from aladdin_studio import paths

    return paths.data_dir() / "library.sqlite3"


def _lower(value: Any) -> str | None:
    return str(value).casefold() if value not in (None, "") else None


def _names(meta: dict[str, Any], kind: str) -> list[str]:
    """The case-folded names of the single ``{kind}Name`` and the ``{kind}s`` list."""
    names = [meta.get(f"{kind}Name"), *(meta.get(f"{kind}s") or [])]
    return sorted({str(n).casefold() for n in names if n not in (None, "")})


def _row(doc: MediaDocument) -> tuple[Any, ...]:
    m = doc.metadata
    quality = m.get("qualityScore")
    return (doc.id, doc.project_id, doc.type, doc.sha256, doc.created_at.timestamp(),
            m.get("method"), m.get("characterReference"), "|".join(_names(m, "character")),
            m.get("locationReference"), "|".join(_names(m, "location")),
            None if quality is None else float(quality), m.get("sceneId"),
            json.dumps(doc.to_dict(), separators=(",", ":")))


class SqliteMediaRepository:
    """The media collection in one SQLite file (one connection per thread)."""

    backend = "sqlite"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._db = ThreadConnections(self.path, "The media library", schema=_SCHEMA,
                                     pragmas=("PRAGMA synchronous=NORMAL",))
        self._conn = self._db.get
        self._backfill_names()

    def _backfill_names(self) -> None:
        """A library written before ``media_names`` existed gets its names indexed once."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM media_names LIMIT 1").fetchone() is None:
            for (doc,) in conn.execute("SELECT doc FROM media").fetchall():
                self.put(MediaDocument.from_dict(json.loads(doc)))

    def put(self, doc: MediaDocument) -> MediaDocument:
        names = ", ".join(_COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        updates = ", ".join(f"{c}=excluded.{c}" for c in _COLUMNS[1:])
        with self._conn() as conn:
            conn.execute(f"INSERT INTO media ({names}) VALUES ({marks}) "
                         f"ON CONFLICT(id) DO UPDATE SET {updates}", _row(doc))
            conn.execute("DELETE FROM media_names WHERE id = ?", (doc.id,))
            conn.executemany("INSERT INTO media_names (kind, name, id) VALUES (?, ?, ?)",
                             [(kind, name, doc.id) for kind in ("character", "location")
                              for name in _names(doc.metadata, kind)])
        return doc

    def get(self, media_id: str) -> MediaDocument | None:
        row = self._conn().execute("SELECT doc FROM media WHERE id = ?", (media_id,)).fetchone()
        return MediaDocument.from_dict(json.loads(row[0])) if row else None

    def delete(self, media_id: str) -> bool:
        with self._conn() as conn:
            conn.execute("DELETE FROM media_names WHERE id = ?", (media_id,))
            return conn.execute("DELETE FROM media WHERE id = ?", (media_id,)).rowcount > 0

    @staticmethod
    def _where(query: MediaQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []

        def add(sql: str, *values: Any) -> None:
            clauses.append(sql)
            args.extend(values)

        named = query.character is not None or query.location is not None
        if query.project_id is not None:  # "+": with a name, the name's id list drives
            add("+project_id = ?" if named else "project_id = ?", query.project_id)
        if query.type is not None:
            add("type = ?", query.type)
        if query.character is not None:
            add("id IN (SELECT id FROM media_names WHERE kind = 'character' AND name = ? "
                "UNION ALL SELECT id FROM media WHERE character_ref = ?)", _lower(query.character),
                query.character)
        if query.location is not None:
            add("id IN (SELECT id FROM media_names WHERE kind = 'location' AND name = ? "
                "UNION ALL SELECT id FROM media WHERE location_ref = ?)", _lower(query.location),
                query.location)
        if query.method is not None:
            add("method = ?", query.method)
        if query.min_quality is not None:
            add("quality >= ?", float(query.min_quality))
        if query.scene_id is not None:
            add("scene_id = ?", query.scene_id)
        if query.since is not None:
            add("created_at >= ?", query.since.timestamp())
        if query.until is not None:
            add("created_at < ?", query.until.timestamp())
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def find(self, query: MediaQuery) -> list[MediaDocument]:
        where, args = self._where(query)
        rows = self._conn().execute(
            f"SELECT doc FROM media{where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*args, int(query.limit), int(query.offset)]).fetchall()
        return [MediaDocument.from_dict(json.loads(r[0])) for r in rows]

    def count(self, query: MediaQuery) -> int:
        where, args = self._where(query)
        return int(self._conn().execute(f"SELECT COUNT(*) FROM media{where}", args).fetchone()[0])

    def by_sha256(self, sha256: str, project_id: str | None = None) -> list[MediaDocument]:
        sql, args = "SELECT doc FROM media WHERE sha256 = ?", [sha256]
        if project_id is not None:
            sql += " AND project_id = ?"
            args.append(project_id)
        rows = self._conn().execute(sql + " ORDER BY created_at DESC", args).fetchall()
        return [MediaDocument.from_dict(json.loads(r[0])) for r in rows]

    def close(self) -> None:
        self._db.close()
