"""Top-level numbers of each run's config and summary, indexed by (key, value): a page of runs
sorted by ``summary.acc`` reads 50 index entries instead of every run. Also a partial index of
live runs, so counting them is an index-only scan."""

from __future__ import annotations

from runicorn.server.database import Connection

STATEMENTS = (
    """CREATE TABLE run_numbers (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (run_id, namespace, key)
    )""",
    "CREATE INDEX run_numbers_sorted ON run_numbers (namespace, key, value, run_id)",
    "CREATE INDEX runs_live ON runs (id) WHERE deleted_at IS NULL",
    """INSERT INTO run_numbers (run_id, namespace, key, value)
    SELECT runs.id, s.namespace, e.key,
        CASE jsonb_typeof(e.value)
            WHEN 'number' THEN (e.value)::float8
            WHEN 'boolean' THEN CASE WHEN (e.value)::boolean THEN 1.0 ELSE 0.0 END
            ELSE CASE e.value #>> '{}' WHEN 'Infinity' THEN 'Infinity'::float8
                 ELSE '-Infinity'::float8 END
        END
    FROM runs
    CROSS JOIN LATERAL (VALUES ('config', runs.config), ('summary', runs.summary))
        AS s (namespace, doc)
    CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.doc) = 'object' THEN s.doc
        ELSE '{}'::jsonb END) AS e
    WHERE jsonb_typeof(e.value) IN ('number', 'boolean')
        OR e.value IN ('"Infinity"'::jsonb, '"-Infinity"'::jsonb)""",
)


def upgrade(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
