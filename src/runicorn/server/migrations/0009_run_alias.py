"""The original SDK's run alias (``meta.json`` ``alias``), so run lists can show it.

Rows already stored keep NULL, which means "not read yet": the server fills them from each
run's meta.json in the object store when it starts (``server.app.prepare``), since a
migration sees only the database. New rows hold the alias or ``""`` (none).
"""

from __future__ import annotations

from runicorn.server.database import Connection


def upgrade(conn: Connection) -> None:
    conn.execute("ALTER TABLE runs ADD COLUMN alias TEXT")
