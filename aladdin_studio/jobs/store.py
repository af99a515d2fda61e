"""The job ledger: one SQLite row per job of any kind (see ``kinds.py``), shared by every
process.

A row holds the job's ``kind`` ("generation", "export", ...) and its ``payload`` (the kind's
payload type as JSON) beside the columns every kind shares (status, progress, cost, output,
errors, claim). ``provider``/``chain``/``model``/``remote_id``/``cache_key`` are used by kinds
that call a remote service. Ledgers written before kinds existed (a ``request`` column, no
``kind``) are migrated in place when opened: ``request`` becomes ``payload``, ``kind`` is
"generation".

The store, not Huey, is the truth about a job: Huey only carries "run job X now" messages.
SQLite in WAL mode lets the editor, embedded consumers and ``aladdin-studio worker`` processes
read and write the same file; each thread gets its own connection and multi-statement changes
run inside ``BEGIN IMMEDIATE`` so concurrent writers serialise instead of deadlocking.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from aladdin_studio.errors import AladdinError, ErrorKind

__all__ = ["ACTIVE", "STATUSES", "TERMINAL", "Job", "JobStore", "LimitExceeded", "Spend",
           "default_path"]

STATUSES = ("queued", "submitted", "running", "succeeded", "failed", "cancelled")
ACTIVE = ("queued", "submitted", "running")
TERMINAL = ("succeeded", "failed", "cancelled")


class LimitExceeded(AladdinError):
    """The hourly limit of a job kind would be exceeded."""

    kind = ErrorKind.QUOTA
    retryable = True  # later, once the hour has passed


@dataclass
class Job:
    id: str
    project: str
    payload: dict[str, Any]
    kind: str = "generation"
    provider: str = ""
    chain: list[str] = field(default_factory=list)
    model: str = ""
    scene: str | None = None
    track: str | None = None
    at: float | None = None
    status: str = "queued"
    progress: float = 0.0
    message: str = ""
    remote_id: str | None = None  # provider request id, stored the moment submit returns
    attempts: int = 0  # generation attempts that failed (see queue.py for the accounting)
    rate_limited: int = 0  # requeues after a 429 (not counted in attempts)
    est_cost: float = 0.0
    actual_cost: float | None = None
    output_path: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    cache_key: str | None = None
    cached_from: str | None = None  # id of the job whose output a cache hit reuses
    new_take: bool = False
    take_applied: bool = False
    task_id: str | None = None  # latest Huey task id (for revoke)
    worker: str | None = None  # "host:pid:thread" of the consumer holding (or last holding) it
    heartbeat: float | None = None
    info: dict[str, Any] = field(default_factory=dict)  # seed, endpoint, provider timings
    created_at: float = 0.0
    updated_at: float = 0.0
    submitted_at: float | None = None
    finished_at: float | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @property
    def request(self) -> dict[str, Any]:
        """A generation job's request (its payload)."""
        return self.payload

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Spend:
    """USD spent on jobs (see ``JobStore.spend_summary``)."""

    estimated: float
    actual: float
    pending: float  # estimate of the jobs still queued, submitted or running
    jobs: int  # jobs counted (cache hits are not)

    def to_dict(self) -> dict[str, Any]:
        return {"estimated": round(self.estimated, 4), "actual": round(self.actual, 4)}


_JSON = {"payload", "chain", "info"}
_BOOL = {"new_take", "take_applied"}
_COLUMNS = [f.name for f in fields(Job)]
_TYPES = {
    "at": "REAL", "progress": "REAL", "est_cost": "REAL", "actual_cost": "REAL",
    "heartbeat": "REAL", "created_at": "REAL", "updated_at": "REAL", "submitted_at": "REAL",
    "finished_at": "REAL", "attempts": "INTEGER", "rate_limited": "INTEGER",
    "new_take": "INTEGER", "take_applied": "INTEGER",
}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jobs ("
    + ", ".join(
        f"{name} {_TYPES.get(name, 'TEXT')}" + (" PRIMARY KEY" if name == "id" else "")
        for name in _COLUMNS
    )
    + ")",
    "CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_project ON jobs (project, created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_cache ON jobs (cache_key, status)",
    "CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status)",
    "CREATE INDEX IF NOT EXISTS jobs_kind ON jobs (kind, created_at)",
)
LEDGER_VERSION = 2  # PRAGMA user_version: 1 = generation-only ledger, 2 = kinds + payload


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an older ledger's table up to ``_COLUMNS`` (inside the caller's transaction)."""
    have = [row[1] for row in conn.execute("PRAGMA table_info(jobs)")]
    if not have:
        return
    if "payload" not in have and "request" in have:
        conn.execute("ALTER TABLE jobs RENAME COLUMN request TO payload")
        have[have.index("request")] = "payload"
    for name in _COLUMNS:
        if name not in have:
            default = " NOT NULL DEFAULT 'generation'" if name == "kind" else ""
            conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {_TYPES.get(name, 'TEXT')}"
                         f"{default}")


def default_path() -> Path:
    """``<user data dir>/jobs.sqlite3``."""
    from aladdin_studio import paths

    return paths.data_dir() / "jobs.sqlite3"


def _encode(name: str, value: Any) -> Any:
    if name in _JSON:
        return json.dumps(value)
    if name in _BOOL:
        return int(bool(value))
    return value


def _row_to_job(row: sqlite3.Row) -> Job:
    values = {}
    for name in _COLUMNS:
        value = row[name]
        if name in _JSON:
            value = json.loads(value) if value else ({} if name != "chain" else [])
        elif name in _BOOL:
            value = bool(value)
        values[name] = value
    return Job(**values)


class JobStore:
    """SQLite job ledger; safe to use from several threads and processes."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._local = threading.local()
        with self._tx() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] < LEDGER_VERSION:
                _migrate(conn)
                conn.execute(f"PRAGMA user_version = {LEDGER_VERSION}")
            for sql in _SCHEMA:
                conn.execute(sql)

    # --- connections ------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection (other threads' close when they exit)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- writes -----------------------------------------------------------------------

    def create(self, *, project: str | Path, payload: dict[str, Any], kind: str = "generation",
               provider: str = "", chain: list[str] | tuple[str, ...] = (),
               model: str | None = None, limit: tuple[int, float] | None = None,
               **extra: Any) -> Job:
        """Insert a new job and return it.

        ``limit=(max_jobs, since)`` refuses (LimitExceeded) when ``count_started_since(since,
        kind)`` already reaches ``max_jobs``; the count and the insert share one transaction,
        so concurrent submitters cannot both slip under the limit.
        """
        now = time.time()
        job = Job(id=uuid.uuid4().hex, project=str(project), payload=payload, kind=kind,
                  provider=provider, chain=list(chain),
                  model=model or (chain[0] if chain else ""), created_at=now, updated_at=now,
                  **extra)
        if job.status not in STATUSES:
            raise ValueError(f"unknown job status {job.status!r}")
        names = ", ".join(_COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        values = [_encode(n, getattr(job, n)) for n in _COLUMNS]
        with self._tx() as conn:
            if limit is not None and job.cached_from is None:
                max_jobs, since = limit
                if self._count_started(conn, since, kind) >= max_jobs:
                    raise LimitExceeded(max_jobs)
            conn.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", values)
        return job

    def update(self, job_id: str, **values: Any) -> Job:
        """Set columns of one job (``updated_at`` too); return the updated job."""
        self.transition(job_id, None, **values)
        return self.get(job_id)

    def transition(self, job_id: str, when_status: Iterable[str] | None,
                   *, when_worker: Any = ..., **values: Any) -> bool:
        """Set columns only if the job's status is in ``when_status`` (None: any) and, when
        ``when_worker`` is given, its worker is that value (None matches an unclaimed job).
        Returns whether the row changed: a compare-and-set for racing processes."""
        unknown = set(values) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown job field(s): {', '.join(sorted(unknown))}")
        if values.get("status", "queued") not in STATUSES:
            raise ValueError(f"unknown job status {values['status']!r}")
        values["updated_at"] = time.time()
        sets = ", ".join(f"{name} = ?" for name in values)
        params = [_encode(n, v) for n, v in values.items()] + [job_id]
        sql = f"UPDATE jobs SET {sets} WHERE id = ?"
        if when_status is not None:
            statuses = list(when_status)
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += statuses
        if when_worker is not ...:
            sql += " AND worker IS ?"
            params.append(when_worker)
        with self._tx() as conn:
            return conn.execute(sql, params).rowcount == 1

    def claim(self, job_id: str, worker: str, previous: str | None, *,
              max_claimed: int | None = None) -> str:
        """Take an active job over from ``previous`` (None: unclaimed) for ``worker``.

        Returns "ok", "held" (someone else changed the claim or the job is no longer active),
        or "busy" (``max_claimed`` active jobs of the same kind are already claimed: the
        kind's concurrency limit).
        """
        now = time.time()
        marks = ", ".join("?" for _ in ACTIVE)
        with self._tx() as conn:
            if max_claimed is not None:
                claimed = conn.execute(
                    f"SELECT COUNT(*) FROM jobs WHERE worker IS NOT NULL AND status IN ({marks})"
                    " AND id != ? AND kind = (SELECT kind FROM jobs WHERE id = ?)",
                    (*ACTIVE, job_id, job_id)).fetchone()[0]
                if claimed >= max_claimed:
                    return "busy"
            changed = conn.execute(
                f"UPDATE jobs SET worker = ?, heartbeat = ?, updated_at = ?"
                f" WHERE id = ? AND status IN ({marks}) AND worker IS ?",
                (worker, now, now, job_id, *ACTIVE, previous)).rowcount
        return "ok" if changed else "held"

    def delete(self, job_id: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # --- reads ------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(f"no job {job_id!r}")
        return _row_to_job(row)

    def list(self, project: str | Path | None = None, limit: int = 100, *,
             status: Iterable[str] | None = None, kind: str | None = None) -> list[Job]:
        """Newest first, optionally only one project's jobs, some statuses or one kind."""
        sql, params = "SELECT * FROM jobs WHERE 1", []
        if project is not None:
            sql += " AND project = ?"
            params.append(str(project))
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if status is not None:
            statuses = list(status)
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += statuses
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        params.append(limit)
        return [_row_to_job(r) for r in self._conn().execute(sql, params)]

    def spend(self, since: float | None = None, *, project: str | Path | None = None,
              kind: str | None = None) -> tuple[float, float]:
        """(estimated, actual) USD; see :meth:`spend_summary`."""
        summary = self.spend_summary(since, project=project, kind=kind)
        return summary.estimated, summary.actual

    def spend_summary(self, since: float | None = None, *, project: str | Path | None = None,
                      kind: str | None = None) -> Spend:
        """The one definition of spend, over the jobs created since ``since`` (all if None),
        optionally of one project or kind. A reused result (cache hit) costs nothing and is
        left out; ``actual`` is what providers billed (also for jobs that failed after being
        paid for); ``pending`` is the estimate of the jobs still running."""
        marks = ", ".join("?" for _ in ACTIVE)
        sql = ("SELECT COALESCE(SUM(est_cost), 0), COALESCE(SUM(actual_cost), 0),"
               f" COALESCE(SUM(CASE WHEN status IN ({marks}) THEN est_cost END), 0),"
               " COUNT(*) FROM jobs WHERE created_at >= ? AND cached_from IS NULL")
        params: list[Any] = [*ACTIVE, since if since is not None else float("-inf")]
        if project is not None:
            sql += " AND project = ?"
            params.append(str(project))
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        row = self._conn().execute(sql, params).fetchone()
        return Spend(float(row[0]), float(row[1]), float(row[2]), int(row[3]))

    def count_started_since(self, ts: float, kind: str = "generation") -> int:
        """Jobs of ``kind`` started (created, cache hits excluded) at or after ``ts``."""
        return self._count_started(self._conn(), ts, kind)

    @staticmethod
    def _count_started(conn: sqlite3.Connection, ts: float, kind: str) -> int:
        return conn.execute(
            "SELECT COUNT(*) FROM jobs WHERE created_at >= ? AND cached_from IS NULL"
            " AND kind = ?", (ts, kind)).fetchone()[0]

    def first_started_since(self, ts: float, kind: str = "generation") -> float | None:
        """Creation time of the oldest job of ``kind`` started at or after ``ts``."""
        return self._conn().execute(
            "SELECT MIN(created_at) FROM jobs WHERE created_at >= ? AND cached_from IS NULL"
            " AND kind = ?", (ts, kind)).fetchone()[0]

    def find_cached(self, cache_key: str) -> Job | None:
        """The newest succeeded job with this cache key whose output file still exists."""
        rows = self._conn().execute(
            "SELECT * FROM jobs WHERE cache_key = ? AND status = 'succeeded'"
            " AND output_path IS NOT NULL ORDER BY finished_at DESC",
            (cache_key,),
        )
        for row in rows:
            job = _row_to_job(row)
            if job.output_path and Path(job.output_path).is_file():
                return job
        return None
