"""Who has proved they hold each blob's bytes (by uploading them).

Blobs are shared by hash across projects, so "does the server hold sha256 X" must not be
answered from the whole store: a writer who only knew a file's hash could otherwise learn that
it exists, then name it in a version of their own project and download it. A blob counts as
held for a user once that user's upload of it has hashed to its name. Nothing is backfilled:
after the upgrade each user sends a blob's bytes once more before naming it again.
"""

from __future__ import annotations

from runicorn.server.database import Connection


def upgrade(conn: Connection) -> None:
    conn.execute(
        """CREATE TABLE artifact_blob_holders (
            sha256 TEXT NOT NULL REFERENCES artifact_blobs (sha256) ON DELETE CASCADE,
            holder TEXT NOT NULL,
            PRIMARY KEY (sha256, holder)
        )"""
    )
