"""Users, their hashed tokens and the projects each may see (empty: every project)."""

from __future__ import annotations

from runicorn.server.database import Connection

STATEMENTS = (
    """CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('reader', 'writer', 'admin')),
        created_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    )""",
    """CREATE TABLE user_tokens (
        token_sha256 TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX user_tokens_user ON user_tokens (user_name)",
    """CREATE TABLE user_projects (
        user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        project TEXT NOT NULL,
        PRIMARY KEY (user_name, project)
    )""",
)


def upgrade(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
