"""Artifacts on the team server (DESIGN §8 and §12): versions, aliases, run edges, the blobs the
object store holds, and the digests of each artifact's pushed documents.

A version deleted on the server keeps its row (``deleted_at`` set) so its number is never
taken again by a later push.
"""

from __future__ import annotations

from runicorn.server.database import Connection

STATEMENTS = (
    """CREATE TABLE artifact_blobs (
        sha256 TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        stored_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE artifact_versions (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        digest TEXT NOT NULL,
        created_at DOUBLE PRECISION,
        created_by TEXT,
        size BIGINT NOT NULL DEFAULT 0,
        file_count INTEGER NOT NULL DEFAULT 0,
        description TEXT NOT NULL DEFAULT '',
        metadata JSONB NOT NULL DEFAULT '{}',
        stage TEXT NOT NULL DEFAULT 'none',
        deleted_at DOUBLE PRECISION,
        PRIMARY KEY (project, name, version)
    )""",
    "CREATE INDEX artifact_versions_created_by ON artifact_versions (created_by)",
    "CREATE INDEX artifact_versions_type ON artifact_versions (type)",
    """CREATE TABLE artifact_aliases (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (project, name, alias)
    )""",
    """CREATE TABLE artifact_edges (
        run_id TEXT NOT NULL,
        run_project TEXT NOT NULL,
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('used', 'produced')),
        PRIMARY KEY (run_id, project, name, version, kind)
    )""",
    "CREATE INDEX artifact_edges_version ON artifact_edges (project, name, version)",
    """CREATE TABLE artifact_documents (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (project, name, document)
    )""",
)


def upgrade(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
