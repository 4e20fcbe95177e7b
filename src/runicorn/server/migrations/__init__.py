"""Versioned schema migrations: ``NNNN_<what>.py`` modules, each with ``upgrade(conn)``.

The ``schema_version`` table records every version applied. :func:`migrate` applies the
missing ones in order, in one transaction (PostgreSQL DDL is transactional) under an
advisory lock, so several server
processes starting at once migrate exactly once.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from runicorn.server.database import Connection, Database

_MODULE = re.compile(r"^(\d{4})_(\w+)\.py$")
_LOCK_ID = 0x52554E49  # "RUNI": one advisory lock for migrations


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[Connection], None]


def available() -> list[Migration]:
    """Every migration shipped with this version, oldest first."""
    found = []
    for path in sorted(Path(__file__).parent.iterdir()):
        match = _MODULE.match(path.name)
        if match is None:
            continue
        module = importlib.import_module(f"{__name__}.{path.stem}")
        upgrade = cast(Callable[[Connection], None], module.upgrade)
        found.append(Migration(int(match.group(1)), match.group(2), upgrade))
    return found


def latest_version() -> int:
    return max((m.version for m in available()), default=0)


def current_version(database: Database) -> int:
    """The newest version applied (0 for an empty database)."""

    def read(conn: Connection) -> int:
        exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL AS e").fetchone()
        if not exists or not exists["e"]:
            return 0
        row = conn.execute("SELECT MAX(version) AS v FROM schema_version").fetchone()
        return int(row["v"] or 0) if row else 0

    return database.run(read)


def migrate(database: Database) -> list[Migration]:
    """Apply the migrations the database lacks; returns those applied (none when current)."""
    applied: list[Migration] = []

    def apply_all(conn: Connection) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        rows: list[dict[str, Any]] = conn.execute("SELECT version FROM schema_version").fetchall()
        done = {int(row["version"]) for row in rows}
        for migration in available():
            if migration.version in done:
                continue
            migration.upgrade(conn)
            conn.execute(
                "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(migration)

    database.run(apply_all)
    return applied
