"""The storage backends: the SQLite index and the hybrid view joining it with the run files.

The run folders are the truth; ``index.db`` makes them fast to list, filter and sort. Everything
in the index can be rebuilt from the files (:meth:`HybridStorageBackend.reindex`), so user edits
(tags, notes, deletion) are written to the run folder first and to the index second.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from runicorn.errors import (
    InvalidNameError,
    ReadOnlyStorageError,
    RunNotFoundError,
    StorageError,
    UnsafePathError,
)
from runicorn.security.path_validation import open_under, read_json_under
from runicorn.storage import alerts as alert_index
from runicorn.storage.jsonio import atomic_write_json, dumps, loads, read_json
from runicorn.storage.layout import (
    INDEX_DIR_NAME,
    RUNS_DIR_NAME,
    ensure_within,
    in_original_recycle_bin,
    iter_run_dirs,
    validate_name,
    validate_run_id,
)
from runicorn.storage.liveness import Heartbeat, looks_crashed
from runicorn.storage.models import ExperimentRecord, MetricRecord
from runicorn.storage.run_files import (
    DELETED_FILE,
    META_FILE,
    ORIGINAL_DELETED_MARKER,
    STATUS_FILE,
    read_record,
)
from runicorn.storage.sql_utils import (
    connect,
    connect_memory,
    is_corruption,
    move_aside,
    transaction,
)

INDEX_FILE = "index.db"
log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]

_RUN_COLUMNS = (
    "id",
    "project",
    "name",
    "path",
    "status",
    "created_at",
    "ended_at",
    "heartbeat_at",
    "hostname",
    "pid",
    "pid_started_at",
    "heartbeat_interval",
    "exit_reason",
    "config",
    "summary",
    "tags",
    "notes",
    "last_step",
    "deleted_at",
    "updated_at",
    "alias",
)
_JSON_COLUMNS = ("config", "summary", "tags")


def index_path(root: Path) -> Path:
    """Where the index of the storage root ``root`` lives."""
    return root / INDEX_DIR_NAME / INDEX_FILE


def _writable(root: Path) -> bool:
    """Whether this process can keep an index under ``root`` (a missing root will be made)."""
    if not root.exists():
        return True
    folder = root / INDEX_DIR_NAME
    if not folder.is_dir():
        return os.access(root, os.W_OK | os.X_OK)
    index = folder / INDEX_FILE
    return os.access(folder, os.W_OK | os.X_OK) and (
        not index.exists() or os.access(index, os.W_OK)
    )


def _json(value: Any) -> str:
    return dumps(value).decode()


def _is_nan(value: float | None) -> bool:
    return value is not None and value != value


def _record_from_row(row: sqlite3.Row, metrics: dict[str, MetricRecord]) -> ExperimentRecord:
    values = dict(row)
    for column in _JSON_COLUMNS:
        values[column] = orjson.loads(values[column]) if values[column] else None
    values.pop("updated_at", None)
    values["alias"] = values["alias"] or None
    return ExperimentRecord(
        **{
            **values,
            "config": values["config"] or {},
            "summary": values["summary"] or {},
            "tags": values["tags"] or [],
            "notes": values["notes"] or "",
        },
        metrics=metrics,
    )


class SQLiteStorageBackend:
    """Owner of ``index.db``: every read and write of the index goes through this class.

    One connection is shared by the threads of a process behind a lock; other processes (each
    training script, the viewer) have their own, and SQLite's WAL mode lets them read while
    one writes.
    """

    def __init__(
        self, db_path: Path, *, recover_corrupt: bool = False, in_memory: bool = False
    ) -> None:
        """Open the index at ``db_path``, or an empty one in memory with ``in_memory``.

        With ``recover_corrupt`` a damaged file is moved aside (``recovered_from`` says where)
        and a new, empty index takes its place; the caller refills it from the run folders.
        """
        self.db_path = db_path
        self.in_memory = in_memory
        self.recovered_from: Path | None = None
        self._lock = threading.RLock()
        if in_memory:
            self._conn = connect_memory()
            return
        try:
            self._conn = connect(db_path)
        except (sqlite3.Error, OSError) as exc:
            if not (recover_corrupt and is_corruption(exc)):
                raise StorageError(f"cannot open the index {db_path}: {exc}") from exc
            self._conn = self._replace_damaged(exc)

    def _replace_damaged(self, exc: BaseException) -> sqlite3.Connection:
        try:
            aside = move_aside(self.db_path)
            conn = connect(self.db_path)
        except (sqlite3.Error, OSError) as error:
            raise StorageError(
                f"the index {self.db_path} is damaged ({exc}) and could not be replaced: {error}; "
                "move it away by hand, then run `runicorn reindex`"
            ) from error
        log.warning(
            "runicorn: the index %s could not be read (%s); moved it to %s and rebuilding it "
            "from the run folders",
            self.db_path,
            exc,
            aside.name,
        )
        self.recovered_from = aside
        return conn

    def replace_damaged(self, exc: BaseException) -> None:
        """Swap a connection that reported damage for a new, empty index."""
        with self._lock:
            self._conn.close()
            self._conn = self._replace_damaged(exc)

    def close(self) -> None:
        """Close the connection (further calls fail)."""
        with self._lock:
            self._conn.close()

    def upsert_run(self, record: ExperimentRecord, *, replace_metrics: bool = True) -> None:
        """Insert or fully replace one run, its tags and (optionally) its metric summaries."""
        values = [
            record.id,
            record.project,
            record.name,
            record.path,
            record.status,
            record.created_at,
            record.ended_at,
            record.heartbeat_at,
            record.hostname,
            record.pid,
            record.pid_started_at,
            record.heartbeat_interval,
            record.exit_reason,
            _json(record.config),
            _json(record.summary),
            _json(record.tags),
            record.notes,
            record.last_step,
            record.deleted_at,
            time.time(),
            record.alias or "",  # "" is "no alias"; NULL is "not read yet" (see sql_utils)
        ]
        placeholders = ", ".join("?" for _ in _RUN_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS if c != "id")
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({placeholders}) "  # noqa: S608
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                values,
            )
            self._write_tags(conn, record.id, record.tags)
            if replace_metrics:
                conn.execute("DELETE FROM metrics WHERE run_id = ?", (record.id,))
                self._write_metrics(conn, record.id, record.metrics.values())
            if record.alert_events is not None:
                alert_index.replace_file_alerts(conn, record.id, record.alert_events)

    def update_progress(
        self,
        run_id: str,
        *,
        status: str,
        heartbeat_at: float | None,
        ended_at: float | None = None,
        exit_reason: str | None = None,
        summary: dict[str, Any] | None = None,
        last_step: int | None = None,
        metrics: Iterable[MetricRecord] = (),
    ) -> None:
        """Record a live run's progress without touching what users edit (tags, notes)."""
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "UPDATE runs SET status = ?, heartbeat_at = ?, ended_at = ?, exit_reason = ?, "
                "summary = COALESCE(?, summary), last_step = COALESCE(?, last_step), "
                "updated_at = ? WHERE id = ?",
                (
                    status,
                    heartbeat_at,
                    ended_at,
                    exit_reason,
                    None if summary is None else _json(summary),
                    last_step,
                    time.time(),
                    run_id,
                ),
            )
            self._write_metrics(conn, run_id, metrics)

    @staticmethod
    def _write_tags(conn: sqlite3.Connection, run_id: str, tags: Sequence[str]) -> None:
        conn.execute("DELETE FROM run_tags WHERE run_id = ?", (run_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)",
            [(run_id, tag) for tag in tags],
        )

    @staticmethod
    def _write_metrics(
        conn: sqlite3.Connection, run_id: str, metrics: Iterable[MetricRecord]
    ) -> None:
        conn.executemany(
            "INSERT INTO metrics (run_id, key, last, min, max, step, count, last_is_nan) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET "
            "last = excluded.last, min = excluded.min, max = excluded.max, "
            "step = excluded.step, count = excluded.count, last_is_nan = excluded.last_is_nan",
            # SQLite stores NaN as NULL; the flag brings a diverged last value back as NaN.
            [
                (run_id, m.key, m.last, m.min, m.max, m.step, m.count, _is_nan(m.last))
                for m in metrics
            ],
        )

    def get(self, run_id: str) -> ExperimentRecord | None:
        """The indexed run ``run_id``, or None."""
        records = self._select("WHERE runs.id = ?", [run_id], "", None, 0)
        return records[0] if records else None

    def query(
        self,
        where: str = "",
        params: Sequence[object] = (),
        order_by: str = "",
        limit: int | None = 50,
        offset: int = 0,
    ) -> tuple[list[ExperimentRecord], int]:
        """A page of runs matching a WHERE fragment, and how many match in all."""
        with self._lock:
            total = self._conn.execute(
                f"SELECT COUNT(*) FROM runs {where}",  # noqa: S608 - fragments are compiled, values bound
                list(params),
            ).fetchone()[0]
        return self._select(where, params, order_by, limit, offset), int(total)

    def _select(
        self, where: str, params: Sequence[object], order_by: str, limit: int | None, offset: int
    ) -> list[ExperimentRecord]:
        sql = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs {where} {order_by}"  # noqa: S608
        args = list(params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
            metrics = self._metrics_of([row["id"] for row in rows])
            alerts = alert_index.alert_counts(self._conn, [row["id"] for row in rows])
        records = [_record_from_row(row, metrics.get(row["id"], {})) for row in rows]
        for record in records:
            if record.id in alerts:
                count, last = alerts[record.id]
                record.alerts, record.last_alert = count, last.to_dict()
        return records

    def _metrics_of(self, run_ids: list[str]) -> dict[str, dict[str, MetricRecord]]:
        result: dict[str, dict[str, MetricRecord]] = {}
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._conn.execute(
                "SELECT run_id, key, last, min, max, step, count, last_is_nan FROM metrics "  # noqa: S608
                f"WHERE run_id IN ({marks}) ORDER BY run_id, key",
                chunk,
            ).fetchall()
            for row in rows:
                last = math.nan if row["last_is_nan"] else row["last"]
                result.setdefault(row["run_id"], {})[row["key"]] = MetricRecord(
                    row["key"], last, row["min"], row["max"], row["step"], row["count"]
                )
        return result

    def running_heartbeats(self) -> list[tuple[str, str, Heartbeat]]:
        """``(id, path, heartbeat)`` of every run the index believes is running."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, path, hostname, pid, pid_started_at, heartbeat_at, heartbeat_interval "
                "FROM runs WHERE status = 'running'"
            ).fetchall()
        return [
            (
                row["id"],
                row["path"],
                Heartbeat(
                    row["hostname"],
                    row["pid"],
                    row["pid_started_at"],
                    row["heartbeat_at"],
                    row["heartbeat_interval"],
                ),
            )
            for row in rows
        ]

    def paths_without_alias(self) -> list[tuple[str, str]]:
        """``(id, path)`` of rows indexed before the alias column existed."""
        with self._lock:
            rows = self._conn.execute("SELECT id, path FROM runs WHERE alias IS NULL").fetchall()
        return [(row["id"], row["path"]) for row in rows]

    def set_aliases(self, aliases: Iterable[tuple[str, str | None]]) -> None:
        """Record each ``(run_id, alias)``; None is stored as "this run has no alias"."""
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "UPDATE runs SET alias = ? WHERE id = ?",
                [(alias or "", run_id) for run_id, alias in aliases],
            )

    def set_status(self, run_ids: Sequence[str], status: str) -> None:
        """Overwrite the indexed status of runs (used when a crash is detected)."""
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "UPDATE runs SET status = ? WHERE id = ?", [(status, rid) for rid in run_ids]
            )

    def set_user_fields(self, run_id: str, *, tags: list[str] | None, notes: str | None) -> None:
        """Store edited tags and notes."""
        with self._lock, transaction(self._conn) as conn:
            if tags is not None:
                conn.execute("UPDATE runs SET tags = ? WHERE id = ?", (_json(tags), run_id))
                self._write_tags(conn, run_id, tags)
            if notes is not None:
                conn.execute("UPDATE runs SET notes = ? WHERE id = ?", (notes, run_id))

    def set_deleted(self, run_ids: Sequence[str], deleted_at: float | None) -> None:
        """Mark runs soft-deleted at ``deleted_at``, or restore them with None."""
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "UPDATE runs SET deleted_at = ? WHERE id = ?", [(deleted_at, r) for r in run_ids]
            )

    def remove(self, run_ids: Sequence[str]) -> None:
        """Forget runs entirely."""
        with self._lock, transaction(self._conn) as conn:
            conn.executemany("DELETE FROM runs WHERE id = ?", [(r,) for r in run_ids])

    def all_ids(self) -> set[str]:
        """Every run id in the index."""
        with self._lock:
            return {row[0] for row in self._conn.execute("SELECT id FROM runs")}

    def projects(self) -> list[dict[str, Any]]:
        """Projects with their run names and counts (soft-deleted runs excluded)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT project, name, COUNT(*) AS runs, "
                "SUM(status = 'running') AS running FROM runs WHERE deleted_at IS NULL "
                "GROUP BY project, name ORDER BY project, name"
            ).fetchall()
        projects: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = projects.setdefault(
                row["project"], {"project": row["project"], "runs": 0, "running": 0, "names": []}
            )
            entry["runs"] += row["runs"]
            entry["running"] += row["running"] or 0
            entry["names"].append({"name": row["name"], "runs": row["runs"]})
        return list(projects.values())

    def field_names(self, projects: Collection[str] | None = None) -> dict[str, Any]:
        """Config and summary leaves, metric keys and tags present across live runs.

        Each config/summary leaf is ``{"key": label, "path": [keys], "field": v2 name}`` and
        each metric ``{"key": key, "field": v2 name}``: clients show ``key``, read a run's value
        by ``path`` and sort or filter by ``field``, never composing names themselves.
        """
        from runicorn.storage.query import field_catalog

        scope, params = _project_scope(projects)
        with self._lock:
            leaves = {c: self._json_leaves(c, scope, params) for c in ("config", "summary")}
            metrics = [
                row[0]
                for row in self._conn.execute(
                    "SELECT DISTINCT m.key FROM metrics AS m JOIN runs ON runs.id = m.run_id "  # noqa: S608
                    f"WHERE runs.deleted_at IS NULL{scope} ORDER BY m.key",
                    params,
                )
            ]
            tags = [
                row[0]
                for row in self._conn.execute(
                    "SELECT DISTINCT t.tag FROM run_tags AS t JOIN runs ON runs.id = t.run_id "  # noqa: S608
                    f"WHERE runs.deleted_at IS NULL{scope} ORDER BY t.tag",
                    params,
                )
            ]
        return field_catalog(leaves, metrics, tags)

    def _json_leaves(
        self, column: str, scope: str = "", params: Sequence[str] = ()
    ) -> list[tuple[str, ...]]:
        """Key paths of the non-object values in ``column`` across live runs, sorted.

        Each path is made of ``json_tree``'s raw ``key`` values, joined child to parent through
        the ``path``/``fullkey`` labels used only as opaque identifiers: their quoting differs
        between SQLite versions, so they are never parsed or shown. A list is one value, not
        descended into.
        """
        rows = self._conn.execute(
            "SELECT DISTINCT j.fullkey, j.path, j.key, j.type "  # noqa: S608 - column is ours
            f"FROM runs, json_tree(runs.{column}) AS j "
            f"WHERE runs.deleted_at IS NULL AND json_type(runs.{column}) = 'object'{scope}",
            params,
        ).fetchall()
        objects: dict[str, tuple[str, object]] = {}
        root: str | None = None
        for label, parent, key, kind in rows:
            if kind == "object":
                objects[label] = (parent, key)
                if key is None:
                    root = label
        leaves: set[tuple[str, ...]] = set()
        for _label, parent, key, kind in rows:
            if kind == "object" or not isinstance(key, str):
                continue  # containers, and elements of a list (integer keys)
            path = [key]
            while parent != root:
                above = objects.get(parent)
                if above is None or not isinstance(above[1], str):
                    break  # inside a list
                parent, name = above[0], above[1]
                path.append(name)
            else:
                leaves.add(tuple(reversed(path)))
        return sorted(leaves)

    def add_alerts(self, alerts: Sequence[alert_index.AlertRecord]) -> None:
        """Record alerts of indexed runs."""
        if alerts:
            with self._lock, transaction(self._conn) as conn:
                alert_index.insert_alerts(conn, alerts)

    def add_alert_once(self, alert: alert_index.AlertRecord) -> bool:
        """Record ``alert`` unless the run already has one of its rule at its step."""
        with self._lock, transaction(self._conn) as conn:
            if alert_index.has_alert(conn, alert.run_id, alert.rule, alert.step):
                return False
            alert_index.insert_alerts(conn, [alert])
            return True

    def alerts(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        levels: Sequence[str] = (),
        project: str | None = None,
        after_id: int | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> tuple[list[alert_index.AlertRecord], int]:
        """A page of alerts, newest first, and the total matching."""
        with self._lock:
            return alert_index.select_alerts(
                self._conn,
                run_id=run_id,
                since=since,
                levels=levels,
                project=project,
                after_id=after_id,
                limit=limit,
                offset=offset,
            )

    def get_preferences(self) -> dict[str, Any]:
        """Every stored UI preference."""
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM preferences").fetchall()
        return {row["key"]: orjson.loads(row["value"]) for row in rows}

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into the stored preferences and return them all."""
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO preferences (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(key, _json(value)) for key, value in values.items()],
            )
        return self.get_preferences()


def _project_scope(projects: Collection[str] | None) -> tuple[str, list[str]]:
    """A SQL condition (and its parameters) keeping runs of ``projects``; none for all."""
    if projects is None:
        return "", []
    names = sorted(projects)
    return f" AND runs.project IN ({', '.join('?' * len(names)) or 'NULL'})", names


class HybridStorageBackend:
    """Runs as the files say and the index finds them: the API the viewer and tools use."""

    def __init__(self, root: Path) -> None:
        """Open the index of ``root``.

        A damaged index is moved aside and rebuilt from the run folders on first use (or by
        :meth:`reindex`). A root this process cannot write is served read-only from an index
        held in memory: reads work, changes raise :class:`ReadOnlyStorageError`.
        """
        self.root = Path(root).resolve()
        self.read_only = not _writable(self.root)
        self.index = SQLiteStorageBackend(
            index_path(self.root), recover_corrupt=True, in_memory=self.read_only
        )
        self._rebuild_lock = threading.Lock()
        self._needs_rebuild = self.read_only or self.index.recovered_from is not None
        self._aliases_checked = False

    @property
    def needs_rebuild(self) -> bool:
        """Whether the index is empty for a reason only a full :meth:`reindex` repairs."""
        return self._needs_rebuild

    def _ensure_index(self) -> None:
        if self._needs_rebuild:
            with self._rebuild_lock:
                if self._needs_rebuild:
                    self.reindex()
        if not self._aliases_checked:
            with self._rebuild_lock:
                if not self._aliases_checked:
                    self._fill_missing_aliases()
                    self._aliases_checked = True

    def _fill_missing_aliases(self) -> None:
        """Read the alias of runs indexed before the index had a column for it (meta.json
        only: much cheaper than a reindex)."""
        filled: list[tuple[str, str | None]] = []
        for run_id, path in self.index.paths_without_alias():
            meta = read_json_under(self.root, self.root / path / META_FILE)
            alias = meta.get("alias") if isinstance(meta, dict) else None
            filled.append((run_id, alias.strip() if isinstance(alias, str) else None))
        if filled and not self.read_only:
            self.index.set_aliases(filled)

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStorageError(
                f"the storage root {self.root} is read-only: its runs can be viewed but not "
                "changed (serve a writable copy to edit them)"
            )

    def close(self) -> None:
        """Release the index connection."""
        self.index.close()

    def __enter__(self) -> HybridStorageBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync_run_dir(self, run_path: Path) -> ExperimentRecord:
        """Read one run folder and write what it says into the index."""
        record = read_record(self.root, run_path)
        self.index.upsert_run(record)
        return record

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Rebuild the index from every run folder under the root; returns how many runs.

        An index found damaged on the way is moved aside and rebuilt in full.
        """
        try:
            count = self._reindex(progress)
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc) or self.index.in_memory:
                raise
            self.index.replace_damaged(exc)
            count = self._reindex(progress)
        self._needs_rebuild = False
        return count

    def _reindex(self, progress: ProgressCallback | None) -> int:
        run_dirs = list(iter_run_dirs(self.root))
        seen: set[str] = set()
        for done, run_path in enumerate(run_dirs, start=1):
            seen.add(self.sync_run_dir(run_path).id)
            if progress:
                progress(done, len(run_dirs))
        stale = self.index.all_ids() - seen
        if stale:
            self.index.remove(sorted(stale))
        return len(seen)

    def refresh_liveness(self) -> list[str]:
        """Mark runs whose process died without finishing as ``crashed``; returns their ids."""
        crashed: list[str] = []
        now = time.time()
        for run_id, path, beat in self.index.running_heartbeats():
            if not looks_crashed(beat, now):
                continue
            # The index may lag the files (an index write can fail): confirm from status.json.
            status = read_json(self.root / path / STATUS_FILE, {})
            if isinstance(status, dict) and status.get("status", "running") != "running":
                self.sync_run_dir(self.root / path)
                continue
            if isinstance(status, dict) and status.get("heartbeat_at"):
                fresh = Heartbeat(
                    beat.hostname,
                    beat.pid,
                    beat.pid_started_at,
                    status.get("heartbeat_at"),
                    beat.heartbeat_interval,
                )
                if not looks_crashed(fresh, now):
                    continue
            # Bring the index up to what the files hold (it lags by up to one heartbeat).
            self.sync_run_dir(self.root / path)
            crashed.append(run_id)
        if crashed:
            self.index.set_status(crashed, "crashed")
        return crashed

    def list_runs(
        self,
        *,
        filter: str | None = None,
        sort: str | None = None,
        project: str | None = None,
        name: str | None = None,
        status: str | Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        text: str | None = None,
        include_deleted: bool = False,
        deleted_only: bool = False,
        limit: int | None = 50,
        offset: int = 0,
    ) -> tuple[list[ExperimentRecord], int]:
        """A page of runs and the total matching; ``filter``/``sort`` use the v2 grammar."""
        from runicorn.storage import query as query_language

        self._ensure_index()
        self.refresh_liveness()
        clauses: list[str] = []
        params: list[object] = []
        if deleted_only:
            clauses.append("runs.deleted_at IS NOT NULL")
        elif not include_deleted:
            clauses.append("runs.deleted_at IS NULL")
        for column, value in (("project", project), ("name", name)):
            if value:
                clauses.append(f"runs.{column} = ?")
                params.append(value)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            clauses.append(f"runs.status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        for tag in tags or ():
            clauses.append(
                "EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.tag = ?)"
            )
            params.append(tag)
        if text:
            clauses.append(
                "(instr(lower(runs.name), ?) OR instr(lower(runs.id), ?) OR "
                "instr(lower(runs.tags), ?) OR instr(lower(runs.notes), ?) OR "
                "instr(lower(runs.project), ?))"
            )
            params.extend([text.lower()] * 5)
        if filter and filter.strip():
            fragment, fragment_params = query_language.compile_filter(filter)
            clauses.append(f"({fragment})")
            params.extend(fragment_params)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order_by = query_language.compile_sort(sort) if sort and sort.strip() else ""
        if not order_by:
            order_by = "ORDER BY runs.created_at DESC, runs.id DESC"
        return self.index.query(where, params, order_by, limit, offset)

    def get_run(self, run_id: str) -> ExperimentRecord:
        """The run ``run_id`` (soft-deleted ones too); :class:`RunNotFoundError` if unknown."""
        validate_run_id(run_id)
        self._ensure_index()
        self.refresh_liveness()
        record = self.index.get(run_id)
        if record is not None:
            return record
        for run_path in iter_run_dirs(self.root):
            if run_path.name == run_id:
                return self.sync_run_dir(run_path)
        raise RunNotFoundError(f"run {run_id} not found under {self.root}; check --root")

    def run_path(self, run_id: str) -> Path:
        """The folder of run ``run_id``, checked to lie under the storage root."""
        return self.path_of(self.get_run(run_id))

    def path_of(self, record: ExperimentRecord) -> Path:
        """The folder of a run already looked up, checked to lie under the storage root."""
        return ensure_within(self.root, self.root / record.path)

    def update_run(
        self, run_id: str, *, tags: list[str] | None = None, notes: str | None = None
    ) -> ExperimentRecord:
        """Change a run's tags and/or notes: in its ``meta.json`` first, then in the index."""
        self._check_writable()
        path = self.run_path(run_id)
        meta = self._meta_to_edit(path)
        if tags is not None:
            tags = list(dict.fromkeys(str(tag) for tag in tags))
            meta["tags"] = tags
        if notes is not None:
            meta["notes"] = notes
        try:
            atomic_write_json(path / META_FILE, meta)
        except OSError as exc:
            raise StorageError(f"cannot update {path / META_FILE}: {exc}") from exc
        self.index.set_user_fields(run_id, tags=tags, notes=notes)
        return self.get_run(run_id)

    def _meta_to_edit(self, path: Path) -> dict[str, Any]:
        """The run's ``meta.json`` to rewrite; a link leading outside the root is refused.

        Reading through such a link would copy an outside file's content into the run folder.
        """
        try:
            with open_under(self.root, path / META_FILE) as handle:
                meta = loads(handle.read())
        except FileNotFoundError:
            return {}
        except UnsafePathError as exc:
            raise StorageError(f"cannot edit {path / META_FILE}: {exc}") from None
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def soft_delete(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Move runs to the recycle bin; returns ``(deleted, missing)`` ids."""
        self._check_writable()
        now = time.time()
        done, missing = self._each_run(
            run_ids, lambda path: atomic_write_json(path / DELETED_FILE, {"deleted_at": now})
        )
        self.index.set_deleted(done, now)
        return done, missing

    def restore(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Bring runs back from the recycle bin; returns ``(restored, missing)`` ids."""
        self._check_writable()
        moved: list[Path] = []

        def undelete(path: Path) -> None:
            (path / DELETED_FILE).unlink(missing_ok=True)
            (path / ORIGINAL_DELETED_MARKER).unlink(missing_ok=True)
            if in_original_recycle_bin(self.root, path):
                moved.append(self._out_of_original_recycle_bin(path))

        done, missing = self._each_run(run_ids, undelete)
        self.index.set_deleted(done, None)
        for path in moved:
            self.sync_run_dir(path)
        return done, missing

    def _out_of_original_recycle_bin(self, path: Path) -> Path:
        """Move a run the original SDK put in ``runs/.recycle`` back under ``runs/<its path>``."""
        meta = read_json(path / META_FILE, {})
        logical = meta.get("path") if isinstance(meta, dict) else None
        try:
            parts = validate_name(logical, "path").split("/") if logical else []
        except InvalidNameError:
            parts = []
        target = ensure_within(self.root, self.root.joinpath(RUNS_DIR_NAME, *parts, path.name))
        if target.exists():
            raise StorageError(f"cannot restore run {path.name}: {target} already exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
        return target

    def purge(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete runs and their files for good; returns ``(purged, missing)`` ids."""
        self._check_writable()
        done, missing = self._each_run(run_ids, shutil.rmtree)
        self.index.remove(done)
        return done, missing

    def _each_run(
        self, run_ids: Sequence[str], action: Callable[[Path], object]
    ) -> tuple[list[str], list[str]]:
        done: list[str] = []
        missing: list[str] = []
        for run_id in dict.fromkeys(run_ids):
            try:
                path = self.run_path(run_id)
            except (RunNotFoundError, ValueError):
                missing.append(run_id)
                continue
            if path == self.root:
                missing.append(run_id)
                continue
            try:
                action(path)
            except OSError as exc:
                raise StorageError(f"cannot change run {run_id} at {path}: {exc}") from exc
            done.append(run_id)
        return done, missing

    def list_projects(self) -> list[dict[str, Any]]:
        """Projects, their names and run counts."""
        self._ensure_index()
        self.refresh_liveness()
        return self.index.projects()

    def field_names(self, projects: Collection[str] | None = None) -> dict[str, Any]:
        """Config, summary and metric keys and tags present across runs (of ``projects``
        only, when given), for pickers."""
        self._ensure_index()
        return self.index.field_names(projects)

    def get_preferences(self) -> dict[str, Any]:
        """Stored UI preferences."""
        return self.index.get_preferences()

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        """Merge UI preferences and return them all."""
        return self.index.set_preferences(values)
