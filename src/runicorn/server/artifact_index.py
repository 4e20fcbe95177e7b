"""The artifact tables of the team server's PostgreSQL index (migration 0008).

The same reads as :class:`runicorn.storage.artifact_index.ArtifactIndex` (lists, lineage
walks), answered for the user of the current request only: a user limited to some projects
never sees another project's versions, aliases, edges or runs here, so every route built on
this index obeys per-project access without knowing about users.
"""

# Only fixed column lists and "%s" placeholders are interpolated into SQL here.
# ruff: noqa: S608

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runicorn.artifacts.models import Stage, validate_stage
from runicorn.server.database import Connection, Database
from runicorn.server.project_access import current_user
from runicorn.storage.artifact_index import EdgeRow, VersionKey
from runicorn.storage.jsonio import dumps

_VERSION_COLUMNS = (
    "project, name, version, type, digest, created_at, created_by, size, file_count, "
    "description, metadata, stage"
)
_LIVE = "deleted_at IS NULL"


def readable_projects() -> list[str] | None:
    """The projects the current request's user may read; None when it may read all."""
    user = current_user.get()
    if user is None or not user.limited:
        return None
    return sorted(user.projects)


def _scope(column: str, params: list[Any]) -> str:
    """`` AND <column> = ANY(%s)`` for a limited user (its parameter appended), else ``""``."""
    projects = readable_projects()
    if projects is None:
        return ""
    params.append(projects)
    return f" AND {column} = ANY(%s)"


def _version_row(row: dict[str, Any]) -> dict[str, Any]:
    values = dict(row)
    values["metadata"] = values.get("metadata") or {}
    return values


class PostgresArtifactIndex:
    """Reads and writes of the artifact tables on one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        def read(conn: Connection) -> list[dict[str, Any]]:
            return conn.execute(sql, params).fetchall()

        return self.database.run(read)

    def list_artifacts(
        self,
        *,
        project: str | None = None,
        type: str | None = None,
        name: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of artifacts (newest change first) and how many match."""
        params: list[Any] = []
        where = _LIVE + _scope("project", params)
        if project:
            where += " AND project = %s"
            params.append(project)
        if name:
            where += " AND strpos(lower(name), %s) > 0"
            params.append(name.lower())
        latest = (
            "SELECT DISTINCT ON (project, name) project, name, type, version AS latest_version, "
            "description, created_at AS updated_at, "
            "count(*) OVER (PARTITION BY project, name) AS version_count, "
            "sum(size) OVER (PARTITION BY project, name) AS size "
            f"FROM artifact_versions WHERE {where} ORDER BY project, name, version DESC"
        )
        outer: list[Any] = []
        type_filter = ""
        if type:
            type_filter = "WHERE type = %s"
            outer.append(type)
        total = self._rows(f"SELECT count(*) AS n FROM ({latest}) a {type_filter}", params + outer)
        rows = self._rows(
            f"SELECT * FROM ({latest}) a {type_filter} "
            "ORDER BY updated_at DESC NULLS LAST, project, name LIMIT %s OFFSET %s",
            [*params, *outer, limit, offset],
        )
        items = [
            {
                "project": r["project"],
                "name": r["name"],
                "type": r["type"],
                "latest_version": r["latest_version"],
                "version_count": int(r["version_count"]),
                "size": int(r["size"] or 0),
                "description": r["description"],
                "updated_at": r["updated_at"],
            }
            for r in rows
        ]
        return items, int(total[0]["n"])

    def list_versions(
        self, project: str, name: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of one artifact's live versions, newest first, and how many there are."""
        params: list[Any] = [project, name]
        where = f"project = %s AND name = %s AND {_LIVE}" + _scope("project", params)
        total = self._rows(f"SELECT count(*) AS n FROM artifact_versions WHERE {where}", params)
        rows = self._rows(
            f"SELECT {_VERSION_COLUMNS} FROM artifact_versions WHERE {where} "
            "ORDER BY version DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [_version_row(row) for row in rows], int(total[0]["n"])

    def version_numbers(self, project: str, name: str, *, deleted: bool = False) -> list[int]:
        """Live version numbers ascending (``deleted``: the deleted ones instead)."""
        state = "deleted_at IS NOT NULL" if deleted else _LIVE
        params: list[Any] = [project, name]
        where = f"project = %s AND name = %s AND {state}" + _scope("project", params)
        rows = self._rows(
            f"SELECT version FROM artifact_versions WHERE {where} ORDER BY version", params
        )
        return [int(row["version"]) for row in rows]

    def versions_of(self, keys: Iterable[VersionKey]) -> dict[VersionKey, dict[str, Any]]:
        """Index rows of the given live versions (missing ones left out)."""
        keys = sorted(set(keys))
        if not keys:
            return {}
        params: list[Any] = [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
        scope = _scope("v.project", params)
        rows = self._rows(
            f"SELECT {', '.join('v.' + c.strip() for c in _VERSION_COLUMNS.split(','))} "
            "FROM artifact_versions v JOIN unnest(%s::text[], %s::text[], %s::int[]) "
            "AS k(project, name, version) USING (project, name, version) "
            f"WHERE v.{_LIVE}{scope}",
            params,
        )
        return {(r["project"], r["name"], r["version"]): _version_row(r) for r in rows}

    def aliases_of(self, project: str, name: str) -> dict[str, int]:
        params: list[Any] = [project, name]
        scope = _scope("project", params)
        rows = self._rows(
            f"SELECT alias, version FROM artifact_aliases WHERE project = %s AND name = %s{scope}",
            params,
        )
        return {row["alias"]: int(row["version"]) for row in rows}

    def aliases_by_version(self, keys: Iterable[VersionKey]) -> dict[VersionKey, list[str]]:
        artifacts = sorted({(p, n) for p, n, _ in keys})
        if not artifacts:
            return {}
        params: list[Any] = [[a[0] for a in artifacts], [a[1] for a in artifacts]]
        scope = _scope("a.project", params)
        rows = self._rows(
            "SELECT a.project, a.name, a.alias, a.version FROM artifact_aliases a "
            "JOIN unnest(%s::text[], %s::text[]) AS k(project, name) USING (project, name) "
            f"WHERE true{scope}",
            params,
        )
        result: dict[VersionKey, list[str]] = {}
        for row in rows:
            result.setdefault((row["project"], row["name"], row["version"]), []).append(
                row["alias"]
            )
        return result

    def _edges(self, condition: str, params: list[Any]) -> list[EdgeRow]:
        scope = _scope("e.project", params) + _scope("e.run_project", params)
        rows = self._rows(
            "SELECT e.run_id, e.project, e.name, e.version, e.kind FROM artifact_edges e "
            f"WHERE {condition}{scope}",
            params,
        )
        return [(r["run_id"], r["project"], r["name"], int(r["version"]), r["kind"]) for r in rows]

    def edges_of_versions(self, keys: Iterable[VersionKey]) -> list[EdgeRow]:
        keys = sorted(set(keys))
        if not keys:
            return []
        params: list[Any] = [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
        return self._edges(
            "(e.project, e.name, e.version) IN (SELECT * FROM "
            "unnest(%s::text[], %s::text[], %s::int[]))",
            params,
        )

    def edges_of_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]:
        ids = sorted(set(run_ids))
        return self._edges("e.run_id = ANY(%s)", [ids]) if ids else []

    def produced_by_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]:
        """``produced`` edges from the versions' ``created_by``."""
        ids = sorted(set(run_ids))
        if not ids:
            return []
        params: list[Any] = [ids]
        scope = _scope("v.project", params) + _scope("r.project", params)
        rows = self._rows(
            "SELECT v.created_by, v.project, v.name, v.version FROM artifact_versions v "
            "LEFT JOIN runs r ON r.id = v.created_by "
            f"WHERE v.created_by = ANY(%s) AND v.{_LIVE}{scope}",
            params,
        )
        return [
            (r["created_by"], r["project"], r["name"], int(r["version"]), "produced") for r in rows
        ]

    def runs_summary(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Project, name, status and creation time of the runs the user may see."""
        ids = sorted(set(run_ids))
        if not ids:
            return {}
        params: list[Any] = [ids]
        scope = _scope("project", params)
        rows = self._rows(
            f"SELECT id, project, name, status, created_at FROM runs WHERE id = ANY(%s){scope}",
            params,
        )
        return {row["id"]: dict(row) for row in rows}

    def models(
        self, *, project: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Artifacts of type ``model`` with how many versions sit in each stage."""
        items, total = self.list_artifacts(
            project=project, type="model", limit=limit, offset=offset
        )
        for item in items:
            rows = self._rows(
                "SELECT stage, count(*) AS n, max(version) AS top FROM artifact_versions "
                f"WHERE project = %s AND name = %s AND {_LIVE} GROUP BY stage",
                (item["project"], item["name"]),
            )
            item["stages"] = {row["stage"]: int(row["n"]) for row in rows}
            production = [row["top"] for row in rows if row["stage"] == "production"]
            item["production_version"] = production[0] if production else None
        return items, total

    def stages(self, project: str, name: str) -> dict[int, Stage]:
        """The stage of each live version not in ``none``."""
        params: list[Any] = [project, name]
        scope = _scope("project", params)
        rows = self._rows(
            "SELECT version, stage FROM artifact_versions WHERE project = %s AND name = %s "
            f"AND stage <> 'none' AND {_LIVE}{scope}",
            params,
        )
        return {int(row["version"]): validate_stage(row["stage"]) for row in rows}

    def version_row(self, project: str, name: str, version: int) -> dict[str, Any] | None:
        """One version's row, deleted or not, whoever asks (for the push receiver)."""
        rows = self._rows(
            f"SELECT {_VERSION_COLUMNS}, deleted_at FROM artifact_versions "
            "WHERE project = %s AND name = %s AND version = %s",
            (project, name, version),
        )
        return _version_row(rows[0]) if rows else None

    def push_state(self, project: str, name: str) -> dict[str, Any]:
        """What the server holds of one artifact: version digests and document digests."""
        versions = self._rows(
            "SELECT version, digest, deleted_at FROM artifact_versions "
            "WHERE project = %s AND name = %s",
            (project, name),
        )
        documents = self._rows(
            "SELECT document, sha256 FROM artifact_documents WHERE project = %s AND name = %s",
            (project, name),
        )
        return {
            "versions": {
                str(r["version"]): None if r["deleted_at"] is not None else r["digest"]
                for r in versions
            },
            "documents": {r["document"]: r["sha256"] for r in documents},
        }

    def insert_version(self, document: dict[str, Any]) -> None:
        """Record a version pushed or checked as new (an existing number is left as it is)."""

        def write(conn: Connection) -> None:
            conn.execute(
                f"INSERT INTO artifact_versions ({_VERSION_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, 'none') "
                "ON CONFLICT (project, name, version) DO NOTHING",
                (
                    document["project"],
                    document["name"],
                    document["version"],
                    document["type"],
                    document["digest"],
                    document["created_at"],
                    document["created_by"],
                    document["size"],
                    len(document["files"]),
                    document["description"],
                    dumps(document["metadata"]).decode(),
                ),
            )

        self.database.run(write)

    def mark_deleted(self, project: str, name: str, version: int) -> None:
        def write(conn: Connection) -> None:
            conn.execute(
                "UPDATE artifact_versions SET deleted_at = %s "
                "WHERE project = %s AND name = %s AND version = %s",
                (time.time(), project, name, version),
            )
            conn.execute(
                "DELETE FROM artifact_aliases WHERE project = %s AND name = %s AND version = %s",
                (project, name, version),
            )

        self.database.run(write)

    def set_aliases(self, project: str, name: str, aliases: dict[str, int]) -> None:
        """Replace the aliases of one artifact."""

        def write(conn: Connection) -> None:
            conn.execute(
                "DELETE FROM artifact_aliases WHERE project = %s AND name = %s", (project, name)
            )
            for alias, version in sorted(aliases.items()):
                conn.execute(
                    "INSERT INTO artifact_aliases (project, name, alias, version) "
                    "VALUES (%s, %s, %s, %s)",
                    (project, name, alias, version),
                )

        self.database.run(write)

    def set_stages(self, project: str, name: str, stages: dict[int, str]) -> None:
        """Set the lifecycle stage of versions of one artifact (others become ``none``)."""

        def write(conn: Connection) -> None:
            conn.execute(
                "UPDATE artifact_versions SET stage = 'none' WHERE project = %s AND name = %s",
                (project, name),
            )
            for version, stage in stages.items():
                conn.execute(
                    "UPDATE artifact_versions SET stage = %s "
                    "WHERE project = %s AND name = %s AND version = %s",
                    (stage, project, name, version),
                )

        self.database.run(write)

    def set_document(self, project: str, name: str, document: str, sha256: str) -> None:
        def write(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO artifact_documents (project, name, document, sha256) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (project, name, document) "
                "DO UPDATE SET sha256 = EXCLUDED.sha256",
                (project, name, document, sha256),
            )

        self.database.run(write)

    def set_run_edges(self, run_id: str, run_project: str, edges: Iterable[EdgeRow]) -> None:
        """Replace what the index knows a run used and produced."""
        rows = sorted(set(edges))

        def write(conn: Connection) -> None:
            conn.execute("DELETE FROM artifact_edges WHERE run_id = %s", (run_id,))
            for run, project, name, version, kind in rows:
                conn.execute(
                    "INSERT INTO artifact_edges (run_id, run_project, project, name, version, "
                    "kind) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (run, run_project, project, name, version, kind),
                )

        self.database.run(write)

    def missing_blobs(self, hashes: Sequence[str], holder: str | None = None) -> list[str]:
        """Which of ``hashes`` the object store does not hold, or, given a ``holder``, which
        that user has not proved to hold by uploading them (see migration 0011)."""
        wanted = sorted(set(hashes))
        if not wanted:
            return []
        args: tuple[Any, ...]
        if holder is None:
            query, args = "SELECT sha256 FROM artifact_blobs WHERE sha256 = ANY(%s)", (wanted,)
        else:
            query = (
                "SELECT sha256 FROM artifact_blob_holders WHERE holder = %s AND sha256 = ANY(%s)"
            )
            args = (holder, wanted)
        held = {row["sha256"] for row in self._rows(query, args)}
        return [sha for sha in wanted if sha not in held]

    def hold_blob(self, sha256: str, holder: str) -> bool:
        """Record that ``holder`` uploaded bytes hashing to ``sha256``, a blob already stored;
        False when it is no longer stored (collected since it was looked up)."""

        def write(conn: Connection) -> bool:
            self.lock_blob(conn, sha256)
            updated = conn.execute(
                "UPDATE artifact_blobs SET stored_at = %s WHERE sha256 = %s",
                (time.time(), sha256),
            ).rowcount
            if updated:
                self.add_holder(conn, sha256, holder)
            return bool(updated)

        return self.database.run(write)

    def add_holder(self, conn: Connection, sha256: str, holder: str) -> None:
        conn.execute(
            "INSERT INTO artifact_blob_holders (sha256, holder) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (sha256, holder),
        )

    def blob_size(self, sha256: str) -> int | None:
        rows = self._rows("SELECT size FROM artifact_blobs WHERE sha256 = %s", (sha256,))
        return int(rows[0]["size"]) if rows else None

    def add_blob(self, conn: Connection, sha256: str, size: int) -> None:
        """Record a stored blob; one stored again is fresh again (kept by the collector)."""
        conn.execute(
            "INSERT INTO artifact_blobs (sha256, size, stored_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (sha256) DO UPDATE SET stored_at = EXCLUDED.stored_at",
            (sha256, size, time.time()),
        )

    def lock_blob(self, conn: Connection, sha256: str) -> None:
        """Serialize storing and collecting one blob across server processes (until commit)."""
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"blob:{sha256}",))

    def touch_blobs(self, hashes: Sequence[str]) -> int:
        """Mark blobs as just named by an accepted version, so the collector keeps them for its
        grace period; how many of them are still stored."""
        wanted = sorted(set(hashes))
        if not wanted:
            return 0

        def write(conn: Connection) -> int:
            return int(
                conn.execute(
                    "UPDATE artifact_blobs SET stored_at = %s WHERE sha256 = ANY(%s)",
                    (time.time(), wanted),
                ).rowcount
            )

        return self.database.run(write)

    # ---- garbage collection (server/artifact_gc.py)

    def live_version_keys(self) -> list[VersionKey]:
        rows = self._rows(
            f"SELECT project, name, version FROM artifact_versions WHERE {_LIVE} "
            "ORDER BY project, name, version"
        )
        return [(row["project"], row["name"], int(row["version"])) for row in rows]

    def blobs_stored_before(self, cutoff: float) -> dict[str, int]:
        """``sha256 -> size`` of the blobs neither stored nor named by a version since
        ``cutoff``."""
        rows = self._rows("SELECT sha256, size FROM artifact_blobs WHERE stored_at < %s", (cutoff,))
        return {row["sha256"]: int(row["size"]) for row in rows}

    def blob_hashes(self) -> set[str]:
        return {row["sha256"] for row in self._rows("SELECT sha256 FROM artifact_blobs")}

    def delete_stale_blob(
        self, sha256: str, cutoff: float, remove_object: Callable[[], None]
    ) -> bool:
        """Drop a blob's row (its holders go with it) and, in the same transaction and under
        the blob's lock, its object; False when it was stored or named again meanwhile."""

        def write(conn: Connection) -> bool:
            self.lock_blob(conn, sha256)
            gone = conn.execute(
                "DELETE FROM artifact_blobs WHERE sha256 = %s AND stored_at < %s",
                (sha256, cutoff),
            ).rowcount
            if gone:
                remove_object()
            return bool(gone)

        return self.database.run(write)

    def delete_orphan_object(self, sha256: str, remove_object: Callable[[], None]) -> bool:
        """Remove an object no row records (an upload or a collection cut short), unless a
        row appeared meanwhile."""

        def write(conn: Connection) -> bool:
            self.lock_blob(conn, sha256)
            if conn.execute("SELECT 1 FROM artifact_blobs WHERE sha256 = %s", (sha256,)).fetchone():
                return False
            remove_object()
            return True

        return self.database.run(write)

    def lock_artifact(self, conn: Connection, project: str, name: str) -> None:
        """Serialize writers of one artifact across server processes (until commit)."""
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"artifact:{project}/{name}",))
