"""GIN indexes (``jsonb_path_ops``) on every run's config, summary and tags: a filter such as
``tag:baseline and config.optimizer.name = adam`` compiles to containment (``@>``), which these
answer without reading every run when the value is selective."""

from __future__ import annotations

from runicorn.server.database import Connection

STATEMENTS = (
    "CREATE INDEX runs_config_contains ON runs USING gin (config jsonb_path_ops)",
    "CREATE INDEX runs_summary_contains ON runs USING gin (summary jsonb_path_ops)",
    "CREATE INDEX runs_tags_contains ON runs USING gin (tags jsonb_path_ops)",
)


def upgrade(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
