"""The run index: runs, tags, metric summaries, alerts, preferences, and what the object store
holds per run (append-only segments by start offset, documents by digest; recorded before
the run's row may exist, so without a foreign key)."""

from __future__ import annotations

from runicorn.server.database import Connection

STATEMENTS = (
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at DOUBLE PRECISION,
        ended_at DOUBLE PRECISION,
        heartbeat_at DOUBLE PRECISION,
        hostname TEXT,
        pid BIGINT,
        pid_started_at DOUBLE PRECISION,
        heartbeat_interval DOUBLE PRECISION,
        exit_reason TEXT,
        config JSONB NOT NULL DEFAULT '{}',
        summary JSONB NOT NULL DEFAULT '{}',
        tags JSONB NOT NULL DEFAULT '[]',
        notes TEXT NOT NULL DEFAULT '',
        last_step BIGINT NOT NULL DEFAULT 0,
        deleted_at DOUBLE PRECISION,
        updated_at DOUBLE PRECISION
    )""",
    "CREATE INDEX runs_project_name ON runs (project, name)",
    "CREATE INDEX runs_created_at ON runs (created_at DESC, id DESC)",
    "CREATE INDEX runs_status ON runs (status)",
    """CREATE TABLE run_tags (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
    )""",
    "CREATE INDEX run_tags_tag ON run_tags (tag)",
    """CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        last DOUBLE PRECISION,
        min DOUBLE PRECISION,
        max DOUBLE PRECISION,
        step BIGINT,
        count BIGINT NOT NULL DEFAULT 0,
        last_is_nan BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (run_id, key)
    )""",
    "CREATE INDEX metrics_key ON metrics (key)",
    """CREATE TABLE alerts (
        id BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        ts DOUBLE PRECISION NOT NULL,
        source TEXT NOT NULL DEFAULT 'sdk',
        rule TEXT NOT NULL,
        key TEXT,
        step BIGINT,
        value DOUBLE PRECISION,
        level TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX alerts_run_ts ON alerts (run_id, ts)",
    "CREATE INDEX alerts_ts ON alerts (ts)",
    "CREATE TABLE preferences (key TEXT PRIMARY KEY, value JSONB NOT NULL)",
    """CREATE TABLE run_segments (
        run_id TEXT NOT NULL,
        file TEXT NOT NULL,
        start_offset BIGINT NOT NULL,
        length BIGINT NOT NULL,
        PRIMARY KEY (run_id, file, start_offset)
    )""",
    """CREATE TABLE run_documents (
        run_id TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        PRIMARY KEY (run_id, path)
    )""",
)


def upgrade(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
