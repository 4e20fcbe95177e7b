"""Every query of the server's run index in PostgreSQL (the schema lives in ``migrations/``).

Row shapes and semantics follow :class:`runicorn.storage.backends.SQLiteStorageBackend`, so
both implementations of the storage interface answer the API identically.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from runicorn.server.database import Connection, Database, placeholders
from runicorn.storage import query as query_language
from runicorn.storage.alerts import SOURCE_SDK, AlertRecord
from runicorn.storage.jsonio import dumps
from runicorn.storage.models import ExperimentRecord, MetricRecord

_RUN_COLUMNS = (
    "id", "project", "name", "path", "status", "created_at", "ended_at", "heartbeat_at",
    "hostname", "pid", "pid_started_at", "heartbeat_interval", "exit_reason", "config",
    "summary", "tags", "notes", "last_step", "deleted_at", "alias", "updated_at",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"config", "summary", "tags"})
_ALERT_COLUMNS = (
    "run_id", "ts", "source", "rule", "key", "step", "value", "level", "title", "text",
)  # fmt: skip
_CHUNK = 1000
# A sort on one top-level config/summary key, which run_numbers answers from its index.
_NUMBER_SORT = re.compile(
    r"^\s*(?P<sign>[+-]?)(?P<namespace>config|summary)\.(?P<key>[^\W\d]\w*)"
    r"(?:\s+(?P<direction>asc|desc))?\s*$",
    re.IGNORECASE,
)


def _json(value: Any) -> str:
    return dumps(value).decode()


def _column_value(record: ExperimentRecord, column: str) -> object:
    """A run's value for one column of ``runs`` (the JSON ones as text)."""
    if column == "alias":
        return record.alias or ""  # "" is "no alias"; NULL is "not read yet" (see migrations)
    value = getattr(record, column)
    return _json(value) if column in _JSON_COLUMNS else value


def _sort_number(value: Any) -> float | None:
    """A config/summary value as the v2 sort orders it among numbers, or None (not a number)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return None if math.isnan(number) else number
    if value in ("Infinity", "-Infinity"):
        return math.inf if value == "Infinity" else -math.inf
    return None


def _number_rows(record: ExperimentRecord) -> list[tuple[str, str, str, float]]:
    rows = []
    for namespace in ("config", "summary"):
        values = getattr(record, namespace)
        for key, value in values.items() if isinstance(values, dict) else ():
            number = _sort_number(value)
            if number is not None:
                rows.append((record.id, namespace, str(key), number))
    return rows


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _record(row: dict[str, Any], metrics: dict[str, MetricRecord]) -> ExperimentRecord:
    values = {column: row[column] for column in _RUN_COLUMNS if column != "updated_at"}
    values["config"] = values["config"] or {}
    values["summary"] = values["summary"] or {}
    values["tags"] = values["tags"] or []
    values["notes"] = values["notes"] or ""
    values["alias"] = values["alias"] or None
    return ExperimentRecord(**values, metrics=metrics)


def _alert(row: dict[str, Any]) -> AlertRecord:
    return AlertRecord(
        id=row["id"], run_id=row["run_id"], ts=row["ts"], source=row["source"],
        rule=row["rule"], key=row["key"], step=row["step"], value=row["value"],
        level=row["level"], title=row["title"], text=row["text"],
        project=row.get("project"), name=row.get("name"),
    )  # fmt: skip


class PostgresIndex:
    """The run index of a team server: runs, tags, metrics, alerts, preferences, objects."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def upsert_run(self, record: ExperimentRecord) -> None:
        """Insert or replace one run, its tags, metric summaries and file-borne alerts."""
        values = [
            time.time() if column == "updated_at" else _column_value(record, column)
            for column in _RUN_COLUMNS
        ]
        marks = ", ".join("%s::jsonb" if c in _JSON_COLUMNS else "%s" for c in _RUN_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS if c != "id")

        def write(conn: Connection) -> None:
            conn.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({marks}) "  # noqa: S608
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                values,
            )
            _write_tags(conn, record.id, record.tags)
            conn.execute("DELETE FROM run_numbers WHERE run_id = %s", (record.id,))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO run_numbers (run_id, namespace, key, value) "
                    "VALUES (%s, %s, %s, %s)",
                    _number_rows(record),
                )
            conn.execute("DELETE FROM metrics WHERE run_id = %s", (record.id,))
            _write_metrics(conn, record.id, record.metrics.values())
            if record.alert_events is not None:
                conn.execute(
                    "DELETE FROM alerts WHERE run_id = %s AND source = %s", (record.id, SOURCE_SDK)
                )
                _insert_alerts(conn, [a for a in record.alert_events if a.source == SOURCE_SDK])

        self.database.run(write)

    def bulk_insert_runs(self, records: Sequence[ExperimentRecord]) -> None:
        """Insert many new runs with COPY (benchmarks, imports of whole stores)."""

        def write(conn: Connection) -> None:
            with conn.cursor().copy(f"COPY runs ({', '.join(_RUN_COLUMNS)}) FROM STDIN") as copy:
                for r in records:
                    copy.write_row(
                        [_column_value(r, c) for c in _RUN_COLUMNS if c != "updated_at"]
                        + [time.time()]
                    )
            with conn.cursor().copy("COPY run_tags (run_id, tag) FROM STDIN") as copy:
                for r in records:
                    for tag in dict.fromkeys(r.tags):
                        copy.write_row((r.id, tag))
            with conn.cursor().copy(
                "COPY run_numbers (run_id, namespace, key, value) FROM STDIN"
            ) as copy:
                for r in records:
                    for row in _number_rows(r):
                        copy.write_row(row)
            with conn.cursor().copy(
                "COPY metrics (run_id, key, last, min, max, step, count, last_is_nan) FROM STDIN"
            ) as copy:
                for r in records:
                    for m in r.metrics.values():
                        copy.write_row(_metric_row(r.id, m))

        self.database.run(write)

    def get(self, run_id: str) -> ExperimentRecord | None:
        records = self._select("WHERE runs.id = %s", [run_id], "", None, 0)
        return records[0] if records else None

    def location(self, run_id: str) -> tuple[str | None, str] | None:
        """``(path, project)`` of a run, or None: what each push request checks, in one query."""
        row = self.database.run(
            lambda conn: conn.execute(
                "SELECT path, project FROM runs WHERE id = %s", (run_id,)
            ).fetchone()
        )
        return None if row is None else (row["path"], row["project"])

    def _count(self, where: str, params: Sequence[object]) -> int:
        def count(conn: Connection) -> int:
            sql = f"SELECT COUNT(*) AS n FROM runs {where}"  # noqa: S608 - compiled fragments
            row = conn.execute(sql, list(params)).fetchone()
            return int(row["n"]) if row else 0

        return self.database.run(count)

    def _page_by_number(
        self,
        sort: re.Match[str],
        clauses: list[str],
        params: list[object],
        limit: int,
        offset: int,
    ) -> list[ExperimentRecord] | None:
        """The page for a sort on one top-level key, read in index order from run_numbers.

        Runs holding a number there come first in the v2 order (then texts, then missing ones),
        ordered by (value, id): when the page is full of them it is exact. None otherwise (the
        caller runs the general query).
        """
        descending = sort["sign"] == "-" or (sort["direction"] or "").lower() == "desc"
        direction = "DESC" if descending else "ASC"
        conditions = ["n.namespace = %s", "n.key = %s", *clauses]
        sql = (
            "SELECT n.run_id FROM run_numbers AS n JOIN runs ON runs.id = n.run_id "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} "
            f"ORDER BY n.value {direction}, n.run_id {direction} LIMIT %s OFFSET %s"
        )
        args = [sort["namespace"].lower(), sort["key"], *params, limit, offset]
        rows = self.database.run(lambda conn: conn.execute(sql, args).fetchall())
        if len(rows) < limit:
            return None
        ids = [row["run_id"] for row in rows]
        records = {r.id: r for r in self._select("WHERE runs.id = ANY(%s)", [ids], "", None, 0)}
        return [records[run_id] for run_id in ids if run_id in records]

    def query(
        self,
        where: str,
        params: Sequence[object],
        order_by: str,
        limit: int | None,
        offset: int,
    ) -> tuple[list[ExperimentRecord], int]:
        """A page of runs matching a WHERE fragment (``%s`` placeholders) and the total."""

        total = self._count(where, params)
        return self._select(where, params, order_by, limit, offset), total

    def _select(
        self, where: str, params: Sequence[object], order_by: str, limit: int | None, offset: int
    ) -> list[ExperimentRecord]:
        sql = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs {where} {order_by}"  # noqa: S608
        args = list(params)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            args += [limit, offset]

        def read(conn: Connection) -> list[ExperimentRecord]:
            rows = conn.execute(sql, args).fetchall()
            ids = [row["id"] for row in rows]
            metrics = _metrics_of(conn, ids)
            alerts = _alert_counts(conn, ids)
            records = [_record(row, metrics.get(row["id"], {})) for row in rows]
            for record in records:
                if record.id in alerts:
                    n, last = alerts[record.id]
                    record.alerts, record.last_alert = n, last.to_dict()
            return records

        return self.database.run(read)

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
        """As :meth:`runicorn.storage.backends.HybridStorageBackend.list_runs`."""
        clauses: list[str] = []
        params: list[object] = []
        if deleted_only:
            clauses.append("runs.deleted_at IS NOT NULL")
        elif not include_deleted:
            clauses.append("runs.deleted_at IS NULL")
        for column, value in (("project", project), ("name", name)):
            if value:
                clauses.append(f"runs.{column} = %s")
                params.append(value)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            clauses.append("runs.status = ANY(%s)")
            params.append(statuses)
        for tag in tags or ():
            clauses.append(
                "EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.tag = %s)"
            )
            params.append(tag)
        if text:
            clauses.append(
                "(strpos(lower(runs.name), %s) > 0 OR strpos(lower(runs.id), %s) > 0 OR "
                "strpos(lower(runs.tags::text), %s) > 0 OR strpos(lower(runs.notes), %s) > 0 "
                "OR strpos(lower(runs.project), %s) > 0)"
            )
            params.extend([text.lower()] * 5)
        if filter and filter.strip():
            fragment, fragment_params = query_language.compile_filter(filter, "postgresql")
            clauses.append(f"({placeholders(fragment)})")
            params.extend(fragment_params)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        fast = _NUMBER_SORT.match(sort or "")
        if fast and limit:
            page = self._page_by_number(fast, clauses, params, limit, offset)
            if page is not None:
                return page, self._count(where, params)
        order_by = ""
        if sort and sort.strip():
            order_by = query_language.compile_sort(sort, "postgresql").replace("%", "%%")
        if not order_by:
            order_by = "ORDER BY runs.created_at DESC, runs.id DESC"
        return self.query(where, params, order_by, limit, offset)

    def running(self) -> list[tuple[str, float | None, float | None]]:
        """``(id, heartbeat_at, heartbeat_interval)`` of runs the index believes are running."""
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT id, heartbeat_at, heartbeat_interval FROM runs WHERE status = 'running'"
            ).fetchall()
        )
        return [(r["id"], r["heartbeat_at"], r["heartbeat_interval"]) for r in rows]

    def running_among(self, run_ids: Sequence[str]) -> list[str]:
        """Which of ``run_ids`` the index holds as running."""
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT id FROM runs WHERE status = 'running' AND id = ANY(%s)", (list(run_ids),)
            ).fetchall()
        )
        return [row["id"] for row in rows]

    def paths_without_alias(self) -> list[tuple[str, str, bool]]:
        """``(id, path, has meta.json)`` of rows stored before the alias column existed."""
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT runs.id, runs.path, d.run_id IS NOT NULL AS has_meta FROM runs "
                "LEFT JOIN run_documents AS d ON d.run_id = runs.id AND d.path = 'meta.json' "
                "WHERE runs.alias IS NULL"
            ).fetchall()
        )
        return [(r["id"], r["path"], bool(r["has_meta"])) for r in rows]

    def set_aliases(self, aliases: Sequence[tuple[str, str | None]]) -> None:
        """Record each ``(run_id, alias)``; None is stored as "this run has no alias"."""

        def write(conn: Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE runs SET alias = %s WHERE id = %s",
                    [(alias or "", run_id) for run_id, alias in aliases],
                )

        self.database.run(write)

    def set_status(self, run_ids: Sequence[str], status: str) -> None:
        self.database.run(
            lambda conn: conn.execute(
                "UPDATE runs SET status = %s WHERE id = ANY(%s)", (status, list(run_ids))
            )
        )

    def set_user_fields(self, run_id: str, *, tags: list[str] | None, notes: str | None) -> None:
        def write(conn: Connection) -> None:
            if tags is not None:
                conn.execute(
                    "UPDATE runs SET tags = %s::jsonb WHERE id = %s", (_json(tags), run_id)
                )
                _write_tags(conn, run_id, tags)
            if notes is not None:
                conn.execute("UPDATE runs SET notes = %s WHERE id = %s", (notes, run_id))

        self.database.run(write)

    def set_deleted(self, run_ids: Sequence[str], deleted_at: float | None) -> None:
        self.database.run(
            lambda conn: conn.execute(
                "UPDATE runs SET deleted_at = %s WHERE id = ANY(%s)", (deleted_at, list(run_ids))
            )
        )

    def remove(self, run_ids: Sequence[str]) -> None:
        """Forget runs entirely, with what the index knew of their objects."""
        ids = list(run_ids)

        def write(conn: Connection) -> None:
            conn.execute("DELETE FROM run_segments WHERE run_id = ANY(%s)", (ids,))
            conn.execute("DELETE FROM run_documents WHERE run_id = ANY(%s)", (ids,))
            conn.execute("DELETE FROM runs WHERE id = ANY(%s)", (ids,))

        self.database.run(write)

    def all_ids(self) -> set[str]:
        rows = self.database.run(lambda conn: conn.execute("SELECT id FROM runs").fetchall())
        return {row["id"] for row in rows}

    def projects(self) -> list[dict[str, Any]]:
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT project, name, COUNT(*) AS runs, "
                "COUNT(*) FILTER (WHERE status = 'running') AS running FROM runs "
                "WHERE deleted_at IS NULL GROUP BY project, name ORDER BY project, name"
            ).fetchall()
        )
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
        """As :meth:`SQLiteStorageBackend.field_names`: leaves of config/summary, metric keys,
        tags across live runs (of ``projects`` only, when given); paths come from
        ``jsonb_each`` keys, never parsed labels."""
        scope = {"projects": None if projects is None else sorted(projects)}

        def read(conn: Connection) -> dict[str, Any]:
            leaves = {c: _json_leaves(conn, c, scope) for c in ("config", "summary")}
            metrics = [
                r["key"]
                for r in conn.execute(
                    "SELECT DISTINCT m.key FROM metrics AS m JOIN runs ON runs.id = m.run_id "  # noqa: S608
                    f"WHERE runs.deleted_at IS NULL AND {_IN_PROJECTS} ORDER BY m.key",
                    scope,
                ).fetchall()
            ]
            tags = [
                r["tag"]
                for r in conn.execute(
                    "SELECT DISTINCT t.tag FROM run_tags AS t JOIN runs ON runs.id = t.run_id "  # noqa: S608
                    f"WHERE runs.deleted_at IS NULL AND {_IN_PROJECTS} ORDER BY t.tag",
                    scope,
                ).fetchall()
            ]
            return {"leaves": leaves, "metrics": metrics, "tags": tags}

        found = self.database.run(read)
        return query_language.field_catalog(found["leaves"], found["metrics"], found["tags"])

    def add_alert_once(self, alert: AlertRecord) -> bool:
        def write(conn: Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM alerts WHERE run_id = %s AND rule = %s "
                "AND (%s::bigint IS NULL OR step = %s) LIMIT 1",
                (alert.run_id, alert.rule, alert.step, alert.step),
            ).fetchone()
            if row is not None:
                return False
            _insert_alerts(conn, [alert])
            return True

        return self.database.run(write)

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
    ) -> tuple[list[AlertRecord], int]:
        clauses = ["runs.deleted_at IS NULL"]
        params: list[object] = []
        for clause, value in (
            ("a.run_id = %s", run_id),
            ("a.ts >= %s", since),
            ("runs.project = %s", project or None),
            ("a.id > %s", after_id),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if levels:
            clauses.append("a.level = ANY(%s)")
            params.append(list(levels))
        base = f"FROM alerts AS a JOIN runs ON runs.id = a.run_id WHERE {' AND '.join(clauses)}"
        sql = f"SELECT a.*, runs.project AS project, runs.name AS name {base} "
        sql += "ORDER BY a.ts DESC, a.id DESC"
        args = list(params)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            args += [limit, offset]

        def read(conn: Connection) -> tuple[list[AlertRecord], int]:
            total = conn.execute(f"SELECT COUNT(*) AS n {base}", params).fetchone()
            rows = conn.execute(sql, args).fetchall()
            return [_alert(r) for r in rows], int(total["n"]) if total else 0

        return self.database.run(read)

    def get_preferences(self) -> dict[str, Any]:
        rows = self.database.run(
            lambda conn: conn.execute("SELECT key, value FROM preferences").fetchall()
        )
        return {row["key"]: row["value"] for row in rows}

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        def write(conn: Connection) -> None:
            for key, value in values.items():
                conn.execute(
                    "INSERT INTO preferences (key, value) VALUES (%s, %s::jsonb) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, _json(value)),
                )

        self.database.run(write)
        return self.get_preferences()

    def segment_end(self, run_id: str, file: str) -> int:
        """How many bytes of the append-only ``file`` the store holds (its segments' end)."""
        row = self.database.run(
            lambda conn: conn.execute(
                "SELECT COALESCE(MAX(start_offset + length), 0) AS n FROM run_segments "
                "WHERE run_id = %s AND file = %s",
                (run_id, file),
            ).fetchone()
        )
        return int(row["n"]) if row else 0

    def add_segment(self, run_id: str, file: str, start: int, length: int) -> bool:
        """Record a stored segment; False when one already starts at ``start`` (a re-send)."""
        row = self.database.run(
            lambda conn: conn.execute(
                "INSERT INTO run_segments (run_id, file, start_offset, length) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1 AS added",
                (run_id, file, start, length),
            ).fetchone()
        )
        return row is not None

    def segments(self, run_id: str, file: str, after: int = 0) -> list[tuple[int, int]]:
        """``(start, length)`` of the segments of ``file`` ending past ``after``, in order."""
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT start_offset, length FROM run_segments WHERE run_id = %s AND file = %s "
                "AND start_offset + length > %s ORDER BY start_offset",
                (run_id, file, after),
            ).fetchall()
        )
        return [(int(r["start_offset"]), int(r["length"])) for r in rows]

    def set_document(self, run_id: str, path: str, sha256: str, size: int) -> None:
        self.database.run(
            lambda conn: conn.execute(
                "INSERT INTO run_documents (run_id, path, sha256, size) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, "
                "size = excluded.size",
                (run_id, path, sha256, size),
            )
        )

    def remove_document(self, run_id: str, path: str) -> None:
        self.database.run(
            lambda conn: conn.execute(
                "DELETE FROM run_documents WHERE run_id = %s AND path = %s", (run_id, path)
            )
        )

    def documents(self, run_id: str) -> dict[str, tuple[str, int]]:
        """``path -> (sha256, size)`` of the run's documents and media in the store."""
        rows = self.database.run(
            lambda conn: conn.execute(
                "SELECT path, sha256, size FROM run_documents WHERE run_id = %s", (run_id,)
            ).fetchall()
        )
        return {r["path"]: (r["sha256"], int(r["size"])) for r in rows}


def _write_tags(conn: Connection, run_id: str, tags: Sequence[str]) -> None:
    conn.execute("DELETE FROM run_tags WHERE run_id = %s", (run_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO run_tags (run_id, tag) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(run_id, tag) for tag in tags],
        )


def _metric_row(run_id: str, m: MetricRecord) -> tuple[object, ...]:
    # As in SQLite, a NaN last value is NULL plus a flag, so filters treat it as missing.
    is_nan = m.last is not None and math.isnan(m.last)
    return (
        run_id, m.key, _finite_or_none(m.last), _finite_or_none(m.min), _finite_or_none(m.max),
        m.step, m.count, is_nan,
    )  # fmt: skip


def _write_metrics(conn: Connection, run_id: str, metrics: Iterable[MetricRecord]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO metrics (run_id, key, last, min, max, step, count, last_is_nan) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id, key) DO UPDATE SET "
            "last = excluded.last, min = excluded.min, max = excluded.max, "
            "step = excluded.step, count = excluded.count, last_is_nan = excluded.last_is_nan",
            [_metric_row(run_id, m) for m in metrics],
        )


def _insert_alerts(conn: Connection, alerts: Sequence[AlertRecord]) -> None:
    marks = ", ".join("%s" for _ in _ALERT_COLUMNS)
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO alerts ({', '.join(_ALERT_COLUMNS)}) SELECT {marks} "  # noqa: S608
            "WHERE EXISTS (SELECT 1 FROM runs WHERE runs.id = %s)",
            [
                (a.run_id, a.ts, a.source, a.rule, a.key, a.step, a.value, a.level, a.title,
                 a.text, a.run_id)
                for a in alerts
            ],
        )  # fmt: skip


def _metrics_of(conn: Connection, run_ids: list[str]) -> dict[str, dict[str, MetricRecord]]:
    result: dict[str, dict[str, MetricRecord]] = {}
    for start in range(0, len(run_ids), _CHUNK):
        rows = conn.execute(
            "SELECT run_id, key, last, min, max, step, count, last_is_nan FROM metrics "
            "WHERE run_id = ANY(%s) ORDER BY run_id, key",
            (run_ids[start : start + _CHUNK],),
        ).fetchall()
        for r in rows:
            last = math.nan if r["last_is_nan"] else r["last"]
            result.setdefault(r["run_id"], {})[r["key"]] = MetricRecord(
                r["key"], last, r["min"], r["max"], r["step"], r["count"]
            )
    return result


def _alert_counts(conn: Connection, run_ids: list[str]) -> dict[str, tuple[int, AlertRecord]]:
    result: dict[str, tuple[int, AlertRecord]] = {}
    if not run_ids:
        return result
    rows = conn.execute(
        "SELECT a.*, c.n FROM alerts AS a JOIN (SELECT run_id, COUNT(*) AS n, MAX(id) AS newest "
        "FROM alerts WHERE run_id = ANY(%s) GROUP BY run_id) AS c ON a.id = c.newest",
        (run_ids,),
    ).fetchall()
    for r in rows:
        result[r["run_id"]] = (int(r["n"]), _alert(r))
    return result


# Runs of the given projects only; all of them when ``projects`` is NULL.
_IN_PROJECTS = "(%(projects)s::text[] IS NULL OR runs.project = ANY(%(projects)s::text[]))"


def _json_leaves(
    conn: Connection, column: str, scope: dict[str, list[str] | None]
) -> list[tuple[str, ...]]:
    """Key paths of the non-object values in ``column`` across live runs (lists are leaves)."""
    rows = conn.execute(
        f"""WITH RECURSIVE walk(path, value) AS (
            SELECT ARRAY[e.key], e.value FROM runs, jsonb_each(runs.{column}) AS e
            WHERE runs.deleted_at IS NULL AND jsonb_typeof(runs.{column}) = 'object'
              AND {_IN_PROJECTS}
            UNION ALL
            SELECT walk.path || e.key, e.value FROM walk, jsonb_each(walk.value) AS e
            WHERE jsonb_typeof(walk.value) = 'object'
        )
        SELECT DISTINCT path FROM walk WHERE jsonb_typeof(value) <> 'object'""",  # noqa: S608
        scope,
    ).fetchall()
    return sorted(tuple(r["path"]) for r in rows)
