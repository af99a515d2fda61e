"""The Brain in Neo4j through the real ``neo4j`` driver (``NEO4J_URI``).

Parameterised Cypher only (labels and relationship types come from the fixed sets in
``brain.py``, never from user text), MERGE for every write, batched with ``UNWIND``, inside
managed transactions (``execute_write`` / ``execute_read``, which retry transient errors). A
uniqueness constraint on ``key`` per label is created on start, or a plain index where the
server does not know constraints.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .brain import ALLOWED, LABELS, Props, newest_first
from .media import LibraryError, LibraryUnavailable

__all__ = ["Neo4jBrain"]

log = logging.getLogger(__name__)
_ENSURED: set[tuple[int, str | None]] = set()  # (driver, database) whose indexes exist


def _safe_uri(uri: str) -> str:
    return re.sub(r"//[^@/]*@", "//", uri)


def _label(label: str) -> str:
    if label not in LABELS:
        raise LibraryError(f"Unknown Brain node label '{label}'.")
    return label


def _rel(src: str, rel: str, dst: str) -> str:
    if (src, rel, dst) not in ALLOWED:
        raise LibraryError(f"The Brain has no ({src})-[:{rel}]->({dst}).")
    return rel


class Neo4jBrain:
    backend = "neo4j"

    def __init__(self, uri: str, user: str | None = None, password: str | None = None, *,
                 database: str | None = None, driver: Any = None) -> None:
        import neo4j
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        auth = (user, password) if user and password else None
        self.database = database
        try:
            self.driver = driver or neo4j.GraphDatabase.driver(
                uri, auth=auth, connection_timeout=10, max_transaction_retry_time=10,
                user_agent="aladdin-studio")
            self.driver.verify_connectivity()
        except neo4j.exceptions.AuthError:
            raise LibraryUnavailable(f"Neo4j at {_safe_uri(uri)} refused the credentials "
                                     "(NEO4J_USER / NEO4J_PASSWORD).") from None
        except (ServiceUnavailable, Neo4jError, OSError, ValueError) as exc:
            raise LibraryUnavailable(f"Neo4j at {_safe_uri(uri)} is not reachable "
                                     f"({type(exc).__name__}).") from None
        self._owns_driver = driver is None
        self._ensure_indexes()

    def _ensure_indexes(self) -> None:
        from neo4j.exceptions import Neo4jError

        if (id(self.driver), self.database) in _ENSURED:
            return
        _ENSURED.add((id(self.driver), self.database))
        for label in LABELS:
            name = f"aladdin_{label.lower()}_key"
            for statement in (
                f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.key IS UNIQUE",
                f"CREATE INDEX FOR (n:{label}) ON (n.key)",
            ):
                try:
                    self.driver.execute_query(statement, database_=self.database)
                    break
                except Neo4jError as exc:  # no constraints here, or the index exists
                    log.debug("brain: %s failed: %s", statement.split(" FOR")[0],
                              type(exc).__name__)

    # ------------------------------------------------------------------ plumbing

    def _write(self, cypher: str, **params: Any) -> None:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        def work(tx: Any) -> None:
            tx.run(cypher, params).consume()

        try:
            with self.driver.session(database=self.database) as session:
                session.execute_write(work)
        except (ServiceUnavailable, SessionExpired, Neo4jError) as exc:
            raise LibraryUnavailable(f"Neo4j refused a Brain write ({type(exc).__name__}).") \
                from None

    def _read(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        def work(tx: Any) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(cypher, params)]

        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_read(work)
        except (ServiceUnavailable, SessionExpired, Neo4jError) as exc:
            raise LibraryUnavailable(f"Neo4j refused a Brain query ({type(exc).__name__}).") \
                from None

    # ------------------------------------------------------------------ writing

    def merge_nodes(self, label: str, rows: list[tuple[str, Props]]) -> None:
        self._write(f"UNWIND $rows AS row MERGE (n:{_label(label)} {{key: row.key}}) "
                    "SET n += row.props",
                    rows=[{"key": key, "props": {**props, "key": key}} for key, props in rows])

    def merge_edges(self, src_label: str, rel: str, dst_label: str,
                    rows: list[tuple[str, str, Props]]) -> None:
        rel = _rel(src_label, rel, dst_label)
        missing = [key for label, key in
                   [(src_label, r[0]) for r in rows] + [(dst_label, r[1]) for r in rows]
                   if self.node(label, key) is None]
        if missing:
            raise LibraryUnavailable(f"The Brain has no node '{missing[0]}' to relate.")
        self._write(f"UNWIND $rows AS row MATCH (a:{_label(src_label)} {{key: row.src}}) "
                    f"MATCH (b:{_label(dst_label)} {{key: row.dst}}) "
                    f"MERGE (a)-[r:{rel}]->(b) SET r += row.props",
                    rows=[{"src": s, "dst": d, "props": p} for s, d, p in rows])

    # ------------------------------------------------------------------ reading

    def node(self, label: str, key: str) -> Props | None:
        rows = self._read(f"MATCH (n:{_label(label)} {{key: $key}}) RETURN properties(n) AS p",
                          key=key)
        return rows[0]["p"] if rows else None

    def find_node(self, label: str, project_id: str, text: str) -> Props | None:
        folded = str(text).strip().casefold()
        rows = self._read(
            f"MATCH (n:{_label(label)}) WHERE n.projectId = $project AND "
            "(n.key = $text OR n.key = $scoped OR toLower(n.name) = $folded OR n.refId = $text "
            "OR n.sceneId = $text) RETURN properties(n) AS p ORDER BY n.key LIMIT 1",
            project=project_id, text=text, scoped=f"{project_id}:{folded}", folded=folded)
        return rows[0]["p"] if rows else None

    def media_to(self, rel: str, label: str, key: str) -> list[Props]:
        rel = _rel("Media", rel, label)
        rows = self._read(f"MATCH (m:Media)-[:{rel}]->(x:{_label(label)} {{key: $key}}) "
                          "RETURN properties(m) AS p", key=key)
        return newest_first([r["p"] for r in rows])

    def scenes_with_media_to(self, rel: str, label: str, key: str) -> list[Props]:
        rel = _rel("Media", rel, label)
        rows = self._read(
            f"MATCH (s:Scene)<-[:PART_OF]-(m:Media)-[:{rel}]->(x:{_label(label)} {{key: $key}}) "
            "RETURN DISTINCT properties(s) AS p", key=key)
        if ("Scene", rel, label) in ALLOWED:
            rows += self._read(f"MATCH (s:Scene)-[:{rel}]->(x:{_label(label)} {{key: $key}}) "
                               "RETURN properties(s) AS p", key=key)
        unique = {r["p"]["key"]: r["p"] for r in rows}
        return sorted(unique.values(), key=lambda p: str(p.get("name")))

    def out_edges(self, label: str, key: str) -> list[tuple[str, str, Props, Props]]:
        rows = self._read(
            f"MATCH (n:{_label(label)} {{key: $key}})-[r]->(x) "
            "RETURN type(r) AS rel, labels(x) AS labels, properties(x) AS p, "
            "properties(r) AS e", key=key)
        return [(r["rel"], r["labels"][0], r["p"], r["e"]) for r in rows]

    def close(self) -> None:
        if self._owns_driver:
            self.driver.close()

