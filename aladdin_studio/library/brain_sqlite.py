"""The embedded Brain: nodes and relationships in two SQLite tables (standard library).

Same reasons as the embedded media collection (nothing to install, transactional, shared by
processes in WAL mode); the four questions are one or two indexed joins each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .brain import Props, newest_first
from .media import LibraryUnavailable
from .sqlite_conns import ThreadConnections

__all__ = ["SqliteBrain", "default_path"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS nodes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, key TEXT NOT NULL,
        project_id TEXT, name_key TEXT, ref_id TEXT, props TEXT NOT NULL,
        UNIQUE (label, key))""",
    "CREATE INDEX IF NOT EXISTS nodes_name ON nodes (label, project_id, name_key)",
    "CREATE INDEX IF NOT EXISTS nodes_ref ON nodes (label, ref_id)",
    """CREATE TABLE IF NOT EXISTS edges (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, rel TEXT NOT NULL,
        src_label TEXT NOT NULL, src_key TEXT NOT NULL,
        dst_label TEXT NOT NULL, dst_key TEXT NOT NULL, props TEXT NOT NULL,
        UNIQUE (src_label, src_key, rel, dst_label, dst_key))""",
    "CREATE INDEX IF NOT EXISTS edges_dst ON edges (dst_label, dst_key, rel)",
)


def default_path() -> Path:
    """``<user data dir>/brain.sqlite3``."""
    from aladdin_studio import paths

    return paths.data_dir() / "brain.sqlite3"


def _casefold(value: Any) -> str | None:
    return str(value).strip().casefold() if value not in (None, "") else None


class SqliteBrain:
    backend = "sqlite"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._db = ThreadConnections(self.path, "The Brain", schema=_SCHEMA)
        self._conn = self._db.get

    # ------------------------------------------------------------------ writing

    def merge_nodes(self, label: str, rows: list[tuple[str, Props]]) -> None:
        conn = self._conn()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for key, props in rows:
                old = conn.execute("SELECT props FROM nodes WHERE label = ? AND key = ?",
                                   (label, key)).fetchone()
                merged = {**(json.loads(old[0]) if old else {}), **props, "key": key}
                values = (merged.get("projectId"), _casefold(merged.get("name")),
                          merged.get("refId"), json.dumps(merged))
                if old:
                    conn.execute("UPDATE nodes SET project_id = ?, name_key = ?, ref_id = ?, "
                                 "props = ? WHERE label = ? AND key = ?",
                                 (*values, label, key))
                else:
                    conn.execute("INSERT INTO nodes (label, key, project_id, name_key, ref_id, "
                                 "props) VALUES (?, ?, ?, ?, ?, ?)", (label, key, *values))

    def merge_edges(self, src_label: str, rel: str, dst_label: str,
                    rows: list[tuple[str, str, Props]]) -> None:
        conn = self._conn()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for src, dst, props in rows:
                for label, key in ((src_label, src), (dst_label, dst)):
                    if conn.execute("SELECT 1 FROM nodes WHERE label = ? AND key = ?",
                                    (label, key)).fetchone() is None:
                        raise LibraryUnavailable(f"The Brain has no {label} '{key}' to relate.")
                old = conn.execute(
                    "SELECT props FROM edges WHERE src_label = ? AND src_key = ? AND rel = ? "
                    "AND dst_label = ? AND dst_key = ?",
                    (src_label, src, rel, dst_label, dst)).fetchone()
                merged = json.dumps({**(json.loads(old[0]) if old else {}), **props})
                conn.execute(
                    "INSERT INTO edges (rel, src_label, src_key, dst_label, dst_key, props) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (src_label, src_key, rel, dst_label, "
                    "dst_key) DO UPDATE SET props = excluded.props",
                    (rel, src_label, src, dst_label, dst, merged))

    # ------------------------------------------------------------------ reading

    def node(self, label: str, key: str) -> Props | None:
        row = self._conn().execute("SELECT props FROM nodes WHERE label = ? AND key = ?",
                                   (label, key)).fetchone()
        return json.loads(row[0]) if row else None

    def find_node(self, label: str, project_id: str, text: str) -> Props | None:
        row = self._conn().execute(
            "SELECT props FROM nodes WHERE label = ? AND project_id = ? AND "
            "(key = ? OR name_key = ? OR ref_id = ? OR key = ?) ORDER BY seq LIMIT 1",
            (label, project_id, text, _casefold(text), text,
             f"{project_id}:{_casefold(text)}")).fetchone()
        return json.loads(row[0]) if row else None

    def media_to(self, rel: str, label: str, key: str) -> list[Props]:
        rows = self._conn().execute(
            "SELECT n.props FROM edges e JOIN nodes n ON n.label = 'Media' AND n.key = e.src_key "
            "WHERE e.dst_label = ? AND e.dst_key = ? AND e.rel = ? AND e.src_label = 'Media' "
            "ORDER BY n.seq DESC", (label, key, rel)).fetchall()
        return newest_first([json.loads(r[0]) for r in rows])

    def scenes_with_media_to(self, rel: str, label: str, key: str) -> list[Props]:
        rows = self._conn().execute(
            "SELECT DISTINCT s.seq, s.props FROM edges e "
            "JOIN edges p ON p.src_label = 'Media' AND p.src_key = e.src_key "
            "  AND p.rel = 'PART_OF' AND p.dst_label = 'Scene' "
            "JOIN nodes s ON s.label = 'Scene' AND s.key = p.dst_key "
            "WHERE e.dst_label = ? AND e.dst_key = ? AND e.rel = ? AND e.src_label = 'Media' "
            "UNION SELECT s.seq, s.props FROM edges e "
            "JOIN nodes s ON s.label = 'Scene' AND s.key = e.src_key "
            "WHERE e.dst_label = ? AND e.dst_key = ? AND e.rel = ? AND e.src_label = 'Scene' "
            "ORDER BY 1", (label, key, rel, label, key, rel)).fetchall()
        return [json.loads(r[1]) for r in rows]

    def out_edges(self, label: str, key: str) -> list[tuple[str, str, Props, Props]]:
        rows = self._conn().execute(
            "SELECT e.rel, e.dst_label, n.props, e.props FROM edges e "
            "JOIN nodes n ON n.label = e.dst_label AND n.key = e.dst_key "
            "WHERE e.src_label = ? AND e.src_key = ? ORDER BY e.seq", (label, key)).fetchall()
        return [(r[0], r[1], json.loads(r[2]), json.loads(r[3])) for r in rows]

    def close(self) -> None:
        self._db.close()
