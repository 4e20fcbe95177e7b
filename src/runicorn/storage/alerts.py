"""Alerts in the index: one row per firing, so runs can be filtered by how many they raised.

The SDK's alerts are also events in ``events.jsonl`` (the truth: a reindex reads them back);
the viewer's own alerts (a stalled or crashed run) exist only here, marked ``source='viewer'``,
and survive a reindex of the run's files.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from runicorn.storage.jsonio import as_float

ALERT_LEVELS = ("info", "warn", "error")
SOURCE_SDK = "sdk"
SOURCE_VIEWER = "viewer"

_COLUMNS = ("run_id", "ts", "source", "rule", "key", "step", "value", "level", "title", "text")


@dataclass
class AlertRecord:
    """One alert: which rule fired on which metric, at which step and value."""

    run_id: str
    ts: float
    rule: str
    level: str
    title: str
    text: str = ""
    key: str | None = None
    step: int | None = None
    value: float | None = None
    source: str = SOURCE_SDK
    id: int | None = None
    project: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API shape; a non-finite value becomes None (the title says what it was)."""
        data = asdict(self)
        if self.value is not None and not math.isfinite(self.value):
            data["value"] = None
        return data


def normalize_level(level: object) -> str:
    """``level`` if it is one of :data:`ALERT_LEVELS` (``warning`` means ``warn``), else warn."""
    text = str(level).lower()
    if text == "warning":
        return "warn"
    return text if text in ALERT_LEVELS else "warn"


def alert_from_event(run_id: str, event: dict[str, Any]) -> AlertRecord | None:
    """The alert an ``{"type": "alert"}`` event describes, or None for any other event."""
    if event.get("type") != "alert":
        return None
    data = event.get("data")
    if not isinstance(data, dict):
        return None
    ts = as_float(event.get("ts"))
    step = data.get("step")
    key = data.get("key")
    return AlertRecord(
        run_id=run_id,
        ts=ts if ts is not None and math.isfinite(ts) else 0.0,
        rule=str(data.get("rule") or "manual"),
        level=normalize_level(data.get("level", "warn")),
        title=str(data.get("title") or ""),
        text=str(data.get("text") or ""),
        key=key if isinstance(key, str) else None,
        step=step if type(step) is int else None,
        value=as_float(data.get("value")),
    )


def alerts_from_events(run_id: str, events: Iterable[dict[str, Any]]) -> list[AlertRecord]:
    """Every alert among a run's events, in file order."""
    found = (alert_from_event(run_id, event) for event in events)
    return [alert for alert in found if alert is not None]


def _row(alert: AlertRecord) -> tuple[object, ...]:
    value = alert.value if alert.value is None or math.isfinite(alert.value) else None
    return (
        alert.run_id,
        alert.ts,
        alert.source,
        alert.rule,
        alert.key,
        alert.step,
        value,
        alert.level,
        alert.title,
        alert.text,
    )


def insert_alerts(conn: sqlite3.Connection, alerts: Sequence[AlertRecord]) -> None:
    """Add alerts of runs already in the index (others are skipped: the run comes first)."""
    marks = ", ".join("?" for _ in _COLUMNS)
    conn.executemany(
        f"INSERT INTO alerts ({', '.join(_COLUMNS)}) SELECT {marks} "  # noqa: S608
        "WHERE EXISTS (SELECT 1 FROM runs WHERE runs.id = ?)",
        [(*_row(alert), alert.run_id) for alert in alerts],
    )


def replace_file_alerts(
    conn: sqlite3.Connection, run_id: str, alerts: Sequence[AlertRecord]
) -> None:
    """Make the index hold exactly ``alerts`` as the run's file-borne (SDK) alerts."""
    conn.execute("DELETE FROM alerts WHERE run_id = ? AND source = ?", (run_id, SOURCE_SDK))
    insert_alerts(conn, [alert for alert in alerts if alert.source == SOURCE_SDK])


def _record(row: sqlite3.Row) -> AlertRecord:
    keys = row.keys()
    return AlertRecord(
        id=row["id"],
        run_id=row["run_id"],
        ts=row["ts"],
        source=row["source"],
        rule=row["rule"],
        key=row["key"],
        step=row["step"],
        value=row["value"],
        level=row["level"],
        title=row["title"],
        text=row["text"],
        project=row["project"] if "project" in keys else None,
        name=row["name"] if "name" in keys else None,
    )


def alert_counts(
    conn: sqlite3.Connection, run_ids: Sequence[str]
) -> dict[str, tuple[int, AlertRecord]]:
    """For each of ``run_ids`` that raised any: how many alerts, and the newest one."""
    result: dict[str, tuple[int, AlertRecord]] = {}
    for start in range(0, len(run_ids), 500):
        chunk = list(run_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            "SELECT a.*, c.n FROM alerts AS a JOIN (SELECT run_id, COUNT(*) AS n, "  # noqa: S608
            f"MAX(id) AS newest FROM alerts WHERE run_id IN ({marks}) GROUP BY run_id) AS c "
            "ON a.id = c.newest",
            chunk,
        ).fetchall()
        for row in rows:
            result[row["run_id"]] = (int(row["n"]), _record(row))
    return result


def select_alerts(
    conn: sqlite3.Connection,
    *,
    run_id: str | None = None,
    since: float | None = None,
    levels: Sequence[str] = (),
    project: str | None = None,
    after_id: int | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[AlertRecord], int]:
    """A page of alerts, newest first, and how many match in all (deleted runs excluded)."""
    clauses = ["runs.deleted_at IS NULL"]
    params: list[object] = []
    if run_id is not None:
        clauses.append("a.run_id = ?")
        params.append(run_id)
    if since is not None:
        clauses.append("a.ts >= ?")
        params.append(since)
    if levels:
        clauses.append(f"a.level IN ({', '.join('?' for _ in levels)})")
        params.extend(levels)
    if project:
        clauses.append("runs.project = ?")
        params.append(project)
    if after_id is not None:
        clauses.append("a.id > ?")
        params.append(after_id)
    base = f"FROM alerts AS a JOIN runs ON runs.id = a.run_id WHERE {' AND '.join(clauses)}"
    total = conn.execute(f"SELECT COUNT(*) {base}", params).fetchone()[0]
    sql = (
        f"SELECT a.*, runs.project AS project, runs.name AS name {base} "
        "ORDER BY a.ts DESC, a.id DESC"
    )
    args = list(params)
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [_record(row) for row in conn.execute(sql, args).fetchall()], int(total)


def has_alert(conn: sqlite3.Connection, run_id: str, rule: str, step: int | None) -> bool:
    """Whether the run already raised ``rule`` (at ``step``, when given)."""
    if step is None:
        row = conn.execute(
            "SELECT 1 FROM alerts WHERE run_id = ? AND rule = ? LIMIT 1", (run_id, rule)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT 1 FROM alerts WHERE run_id = ? AND rule = ? AND step = ? LIMIT 1",
            (run_id, rule, step),
        ).fetchone()
    return row is not None
