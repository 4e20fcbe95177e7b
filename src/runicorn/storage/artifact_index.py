"""The artifact tables of ``index.db``: artifacts, versions, aliases and run edges.

A cache of the files under ``.runicorn/artifacts`` and each run's ``artifacts.json``, kept
current by whoever writes those files and rebuilt from them by ``runicorn reindex``. It makes
listing thousands of versions and walking a lineage graph a matter of indexed queries.
"""

# Only fixed column lists and "?" placeholders are interpolated into SQL here.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from runicorn.errors import StorageError
from runicorn.storage.jsonio import dumps
from runicorn.storage.sql_utils import ARTIFACT_SCHEMA, connect, transaction

VersionKey = tuple[str, str, int]
EdgeRow = tuple[str, str, str, int, str]  # run_id, project, name, version, kind

_VERSION_COLUMNS = (
    "project, name, version, type, digest, created_at, created_by, size, file_count, "
    "description, metadata, stage"
)


def _version_row(row: sqlite3.Row) -> dict[str, Any]:
    values = dict(row)
    values["metadata"] = orjson.loads(values["metadata"]) if values["metadata"] else {}
    return values


class ArtifactIndex:
    """Reads and writes of the artifact tables; one connection per process, behind a lock."""

    def __init__(self, db_path: Path) -> None:
        self._lock = threading.RLock()
        try:
            self._conn = connect(db_path)
            self._conn.executescript(ARTIFACT_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the index {db_path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        with self._lock:
            try:
                with transaction(self._conn) as conn:
                    for sql, params in statements:
                        conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise StorageError(f"cannot update the artifact index: {exc}") from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"cannot read the artifact index: {exc}") from exc

    @staticmethod
    def _version_statement(version: dict[str, Any]) -> tuple[str, Sequence[Any]]:
        return (
            f"INSERT OR REPLACE INTO artifact_versions ({_VERSION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                version["project"],
                version["name"],
                version["version"],
                version["type"],
                version["digest"],
                version["created_at"],
                version["created_by"],
                version["size"],
                version["file_count"],
                version["description"],
                dumps(version["metadata"]).decode(),
                version.get("stage", "none"),
            ),
        )

    @staticmethod
    def _summary_statements(project: str, name: str) -> list[tuple[str, Sequence[Any]]]:
        """Recompute the ``artifacts`` row of one artifact from its versions."""
        return [
            ("DELETE FROM artifacts WHERE project = ? AND name = ?", (project, name)),
            (
                "INSERT INTO artifacts (project, name, type, latest_version, version_count, "
                "size, description, updated_at) "
                "SELECT v.project, v.name, v.type, v.version, c.n, c.total, v.description, "
                "v.created_at FROM artifact_versions v JOIN (SELECT max(version) AS top, "
                "count(*) AS n, sum(size) AS total FROM artifact_versions "
                "WHERE project = ? AND name = ?) c ON v.version = c.top "
                "WHERE v.project = ? AND v.name = ?",
                (project, name, project, name),
            ),
        ]

    def upsert_version(self, version: dict[str, Any]) -> None:
        """Insert or replace one version (an ``ArtifactVersion.to_dict()`` plus ``file_count``)."""
        self._write(
            [
                self._version_statement(version),
                *self._summary_statements(version["project"], version["name"]),
            ]
        )

    def upsert_versions(self, project: str, name: str, versions: list[dict[str, Any]]) -> None:
        """Insert or replace many versions of one artifact in one transaction."""
        self._write(
            [
                *(self._version_statement(version) for version in versions),
                *self._summary_statements(project, name),
            ]
        )

    def indexed_numbers(self, project: str, name: str) -> set[int]:
        """The version numbers the index holds for one artifact."""
        rows = self._read(
            "SELECT version FROM artifact_versions WHERE project = ? AND name = ?", (project, name)
        )
        return {int(row[0]) for row in rows}

    def artifact_keys(self) -> set[tuple[str, str]]:
        """(project, name) of every artifact the index knows."""
        return {(row[0], row[1]) for row in self._read("SELECT project, name FROM artifacts")}

    def remove_artifact(self, project: str, name: str) -> None:
        key = (project, name)
        self._write(
            [
                ("DELETE FROM artifact_versions WHERE project = ? AND name = ?", key),
                ("DELETE FROM artifact_aliases WHERE project = ? AND name = ?", key),
                ("DELETE FROM artifacts WHERE project = ? AND name = ?", key),
            ]
        )

    def remove_version(self, project: str, name: str, version: int) -> None:
        key = (project, name, version)
        self._write(
            [
                ("DELETE FROM artifact_versions WHERE project=? AND name=? AND version=?", key),
                ("DELETE FROM artifact_aliases WHERE project=? AND name=? AND version=?", key),
                *self._summary_statements(project, name),
            ]
        )

    def set_aliases(self, project: str, name: str, aliases: dict[str, int]) -> None:
        """Replace the aliases of one artifact."""
        statements: list[tuple[str, Sequence[Any]]] = [
            ("DELETE FROM artifact_aliases WHERE project = ? AND name = ?", (project, name))
        ]
        statements += [
            (
                "INSERT INTO artifact_aliases (project, name, alias, version) VALUES (?, ?, ?, ?)",
                (project, name, alias, version),
            )
            for alias, version in aliases.items()
        ]
        self._write(statements)

    def set_stages(self, project: str, name: str, stages: dict[int, str]) -> None:
        """Set the lifecycle stage of versions of one artifact (others become ``none``)."""
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                "UPDATE artifact_versions SET stage='none' WHERE project=? AND name=?",
                (project, name),
            )
        ]
        statements += [
            (
                "UPDATE artifact_versions SET stage=? WHERE project=? AND name=? AND version=?",
                (stage, project, name, version),
            )
            for version, stage in stages.items()
        ]
        self._write(statements)

    def set_run_edges(self, run_id: str, edges: Iterable[EdgeRow]) -> None:
        """Replace what the index knows a run used and produced."""
        statements: list[tuple[str, Sequence[Any]]] = [
            ("DELETE FROM artifact_edges WHERE run_id = ?", (run_id,))
        ]
        statements += [
            (
                "INSERT OR IGNORE INTO artifact_edges (run_id, project, name, version, kind) "
                "VALUES (?, ?, ?, ?, ?)",
                edge,
            )
            for edge in edges
        ]
        self._write(statements)

    def rebuild(
        self,
        versions: Iterable[dict[str, Any]],
        aliases: Iterable[tuple[str, str, str, int]],
        edges: Iterable[EdgeRow],
    ) -> None:
        """Replace every artifact table with what the files say, in one transaction."""
        statements: list[tuple[str, Sequence[Any]]] = [
            (f"DELETE FROM {table}", ())
            for table in ("artifact_edges", "artifact_aliases", "artifact_versions", "artifacts")
        ]
        keys: set[tuple[str, str]] = set()
        for version in versions:
            statements.append(self._version_statement(version))
            keys.add((version["project"], version["name"]))
        statements += [
            ("INSERT OR REPLACE INTO artifact_aliases VALUES (?, ?, ?, ?)", alias)
            for alias in aliases
        ]
        statements += [
            (
                "INSERT OR IGNORE INTO artifact_edges (run_id, project, name, version, kind) "
                "VALUES (?, ?, ?, ?, ?)",
                edge,
            )
            for edge in edges
        ]
        for project, name in sorted(keys):
            statements += self._summary_statements(project, name)
        self._write(statements)

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
        clauses: list[str] = []
        params: list[Any] = []
        if project:
            clauses.append("project = ?")
            params.append(project)
        if type:
            clauses.append("type = ?")
            params.append(type)
        if name:
            clauses.append("instr(lower(name), ?)")
            params.append(name.lower())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = self._read(f"SELECT count(*) FROM artifacts {where}", params)[0][0]
        rows = self._read(
            f"SELECT * FROM artifacts {where} ORDER BY updated_at DESC, project, name "
            "LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [dict(row) for row in rows], int(total)

    def list_versions(
        self, project: str, name: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of one artifact's versions, newest first, and how many there are."""
        key = (project, name)
        total = self._read(
            "SELECT count(*) FROM artifact_versions WHERE project = ? AND name = ?", key
        )[0][0]
        rows = self._read(
            f"SELECT {_VERSION_COLUMNS} FROM artifact_versions WHERE project = ? AND name = ? "
            "ORDER BY version DESC LIMIT ? OFFSET ?",
            (*key, limit, offset),
        )
        return [_version_row(row) for row in rows], int(total)

    def versions_of(self, keys: Iterable[VersionKey]) -> dict[VersionKey, dict[str, Any]]:
        """Index rows of the given versions (missing ones left out)."""
        found: dict[VersionKey, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(keys)), 300):
            condition = " OR ".join("(project = ? AND name = ? AND version = ?)" for _ in chunk)
            params = [part for key in chunk for part in key]
            for row in self._read(
                f"SELECT {_VERSION_COLUMNS} FROM artifact_versions WHERE {condition}", params
            ):
                found[(row["project"], row["name"], row["version"])] = _version_row(row)
        return found

    def aliases_of(self, project: str, name: str) -> dict[str, int]:
        rows = self._read(
            "SELECT alias, version FROM artifact_aliases WHERE project = ? AND name = ?",
            (project, name),
        )
        return {row["alias"]: row["version"] for row in rows}

    def aliases_by_version(self, keys: Iterable[VersionKey]) -> dict[VersionKey, list[str]]:
        """The aliases of each of ``keys`` (one query per few hundred artifacts)."""
        result: dict[VersionKey, list[str]] = {}
        artifacts = sorted({(p, n) for p, n, _ in keys})
        for chunk in _chunks(artifacts, 400):
            condition = " OR ".join("(project = ? AND name = ?)" for _ in chunk)
            params = [part for key in chunk for part in key]
            for row in self._read(
                f"SELECT project, name, alias, version FROM artifact_aliases WHERE {condition}",
                params,
            ):
                key = (row["project"], row["name"], row["version"])
                result.setdefault(key, []).append(row["alias"])
        return result

    def edges_of_versions(self, keys: Iterable[VersionKey]) -> list[EdgeRow]:
        """Every edge touching one of ``keys``."""
        edges: list[EdgeRow] = []
        for chunk in _chunks(sorted(set(keys)), 300):
            condition = " OR ".join("(project = ? AND name = ? AND version = ?)" for _ in chunk)
            params = [part for key in chunk for part in key]
            edges += [
                (row[0], row[1], row[2], row[3], row[4])
                for row in self._read(
                    f"SELECT run_id, project, name, version, kind FROM artifact_edges "
                    f"WHERE {condition}",
                    params,
                )
            ]
        return edges

    def edges_of_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]:
        """Every edge of one of ``run_ids``."""
        edges: list[EdgeRow] = []
        for chunk in _chunks(sorted(set(run_ids)), 500):
            marks = ", ".join("?" for _ in chunk)
            edges += [
                (row[0], row[1], row[2], row[3], row[4])
                for row in self._read(
                    "SELECT run_id, project, name, version, kind FROM artifact_edges "
                    f"WHERE run_id IN ({marks})",
                    chunk,
                )
            ]
        return edges

    def produced_by_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]:
        """``produced`` edges from the versions' ``created_by`` (a run may lack artifacts.json)."""
        edges: list[EdgeRow] = []
        for chunk in _chunks(sorted(set(run_ids)), 500):
            marks = ", ".join("?" for _ in chunk)
            edges += [
                (row[0], row[1], row[2], row[3], "produced")
                for row in self._read(
                    "SELECT created_by, project, name, version FROM artifact_versions "
                    f"WHERE created_by IN ({marks})",
                    chunk,
                )
            ]
        return edges

    def runs_summary(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Project, name, status and creation time of runs the index knows."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(run_ids)), 500):
            marks = ", ".join("?" for _ in chunk)
            for row in self._read(
                f"SELECT id, project, name, status, created_at FROM runs WHERE id IN ({marks})",
                chunk,
            ):
                found[row["id"]] = dict(row)
        return found

    def find_digest(self, project: str, name: str, digest: str) -> int | None:
        rows = self._read(
            "SELECT version FROM artifact_versions WHERE project = ? AND name = ? AND digest = ? "
            "ORDER BY version LIMIT 1",
            (project, name, digest),
        )
        return int(rows[0][0]) if rows else None

    def models(
        self, *, project: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Artifacts of type ``model`` with how many versions sit in each stage."""
        items, total = self.list_artifacts(
            project=project, type="model", limit=limit, offset=offset
        )
        for item in items:
            rows = self._read(
                "SELECT stage, count(*) AS n, max(version) AS top FROM artifact_versions "
                "WHERE project = ? AND name = ? GROUP BY stage",
                (item["project"], item["name"]),
            )
            item["stages"] = {row["stage"]: row["n"] for row in rows}
            production = [row["top"] for row in rows if row["stage"] == "production"]
            item["production_version"] = production[0] if production else None
        return items, total


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
