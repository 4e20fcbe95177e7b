"""Opening ``index.db`` and keeping its schema current.

The index is a cache of the run folders (the truth), so a schema change never needs a data
migration: a newer schema version simply rebuilds the tables, and ``runicorn reindex`` refills
them from the files.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

SCHEMA_VERSION = 4
# Versions whose tables only lack columns added since: upgraded in place (ALTER TABLE) rather
# than rebuilt, so the artifact tables survive. A NULL ``runs.alias`` marks a row written
# before the column existed; ``HybridStorageBackend`` fills those from meta.json.
_UPGRADES = {3: ("ALTER TABLE runs ADD COLUMN alias TEXT",)}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL,
    ended_at REAL,
    heartbeat_at REAL,
    hostname TEXT,
    pid INTEGER,
    pid_started_at REAL,
    heartbeat_interval REAL,
    exit_reason TEXT,
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '',
    last_step INTEGER NOT NULL DEFAULT 0,
    deleted_at REAL,
    updated_at REAL,
    alias TEXT
);
CREATE INDEX IF NOT EXISTS runs_project_name ON runs (project, name);
CREATE INDEX IF NOT EXISTS runs_created_at ON runs (created_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE TABLE IF NOT EXISTS run_tags (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
);
CREATE INDEX IF NOT EXISTS run_tags_tag ON run_tags (tag);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    last REAL,
    min REAL,
    max REAL,
    step INTEGER,
    count INTEGER NOT NULL DEFAULT 0,
    last_is_nan INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX IF NOT EXISTS metrics_key ON metrics (key);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    ts REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'sdk',
    rule TEXT NOT NULL,
    key TEXT,
    step INTEGER,
    value REAL,
    level TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alerts_run_ts ON alerts (run_id, ts);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts (ts);
CREATE TABLE IF NOT EXISTS preferences (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Artifacts, versions, aliases and run edges: a cache of ``.runicorn/artifacts`` and each run's
# ``artifacts.json``. Every statement is idempotent, so ``storage/artifact_index.py`` also runs
# it on an index made before these tables existed.
ARTIFACT_SCHEMA = """
CREATE TABLE IF NOT EXISTS artifacts (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    version_count INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    updated_at REAL,
    PRIMARY KEY (project, name)
);
CREATE INDEX IF NOT EXISTS artifacts_type ON artifacts (type);
CREATE TABLE IF NOT EXISTS artifact_versions (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at REAL,
    created_by TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    file_count INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    stage TEXT NOT NULL DEFAULT 'none',
    PRIMARY KEY (project, name, version)
);
CREATE INDEX IF NOT EXISTS artifact_versions_digest ON artifact_versions (project, name, digest);
CREATE INDEX IF NOT EXISTS artifact_versions_created_by ON artifact_versions (created_by);
CREATE TABLE IF NOT EXISTS artifact_aliases (
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project, name, alias)
);
CREATE TABLE IF NOT EXISTS artifact_edges (
    run_id TEXT NOT NULL,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (run_id, project, name, version, kind)
);
CREATE INDEX IF NOT EXISTS artifact_edges_version ON artifact_edges (project, name, version);
"""
SCHEMA += ARTIFACT_SCHEMA

_DROP_ALL = """
DROP TABLE IF EXISTS artifact_edges;
DROP TABLE IF EXISTS artifact_aliases;
DROP TABLE IF EXISTS artifact_versions;
DROP TABLE IF EXISTS artifacts;
DROP TABLE IF EXISTS alerts;
DROP TABLE IF EXISTS metrics;
DROP TABLE IF EXISTS run_tags;
DROP TABLE IF EXISTS runs;
"""


def connect(path: Path, *, timeout: float = 10.0) -> sqlite3.Connection:
    """A connection to the index at ``path`` in WAL mode, with the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        ensure_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_memory() -> sqlite3.Connection:
    """An in-memory index with the current schema (for a storage root that cannot be written)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    ensure_schema(conn)
    return conn


# SQLite's primary result codes for "the file is damaged" and "the file is not a database".
_CORRUPTION_CODES = frozenset({11, 26})


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_corruption(exc: BaseException) -> bool:
    """Whether ``exc`` says the index file is damaged (so it can only be rebuilt)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = _primary_code(exc)
    if code is not None:
        return code in _CORRUPTION_CODES
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def move_aside(path: Path) -> Path:
    """Rename a damaged index (and its WAL files) to ``<name>.corrupt-<time>``; returns it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            # A stale WAL next to a new index would be replayed into it.
            companion.replace(target.with_name(target.name + suffix))
    return target


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables, or rebuild them when they were made by another schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version in _UPGRADES:
            for statement in _UPGRADES[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if version != 0:
            for statement in _DROP_ALL.split(";"):
                if statement.strip():
                    conn.execute(statement)
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
