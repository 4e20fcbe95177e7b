"""``events.digest.json``: what a finished run's ``events.jsonl`` adds to its record, stored.

The SDK writes it when a run finishes, from the statistics it kept while logging, so that an
indexer (reindex, the viewer, a sync's destination, the team server) need not parse every line
of the events again. It covers the first ``offset`` bytes of the file and is checked against
them (the sha256 of the last 4 KiB before ``offset``): lines appended later (a resumed run) are
folded on top, and a digest that does not match the file (replaced, edited, truncated, from
another format version, damaged) is ignored and the events are read in full.

It is untrusted input like every run file: any field of the wrong type voids the whole digest.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.security.path_validation import open_under, read_json_under
from runicorn.storage.alerts import AlertRecord, alert_from_event, normalize_level
from runicorn.storage.events import EVENTS_FILE, EventChunk, MetricStats, parse_event_bytes
from runicorn.storage.jsonio import NONFINITE_TOKENS, atomic_write_json, loads
from runicorn.storage.models import MetricRecord

DIGEST_FILE = "events.digest.json"
DIGEST_FORMAT = "runicorn-events-digest"
# Bump whenever the fold of events into statistics or alerts changes meaning: older digests are
# then ignored and their runs read in full.
DIGEST_VERSION = 1
CHECK_BYTES = 4096
# Steps and counts are SQLite's signed 64-bit integers.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


@dataclass
class StoredDigest:
    """A digest read back from disk and checked against the events file it describes."""

    offset: int
    stats: MetricStats
    last_event_time: float | None
    alerts: list[AlertRecord]
    # The events past ``offset``, read in the same pass as the check.
    rest: EventChunk


def last_event_time(events: Sequence[dict[str, Any]]) -> float | None:
    """The ``ts`` of the last event that has a numeric one (how long a crashed run lasted)."""
    for event in reversed(events):
        ts = event.get("ts")
        if isinstance(ts, int | float) and not isinstance(ts, bool):
            return float(ts)
    return None


def check_value(head: bytes) -> str:
    """The check of the bytes just before a digest's offset (at most :data:`CHECK_BYTES`)."""
    return hashlib.sha256(head[-CHECK_BYTES:]).hexdigest()


def _float_text(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def digest_document(
    offset: int,
    check: str,
    stats: MetricStats,
    last_time: float | None,
    alerts: Iterable[AlertRecord],
) -> dict[str, Any]:
    """The JSON document of a digest (non-finite floats as the files' text tokens)."""
    return {
        "format": DIGEST_FORMAT,
        "version": DIGEST_VERSION,
        "offset": offset,
        "check": check,
        "last_step": stats.last_step,
        "last_event_time": last_time,
        "metrics": [
            [r.key, _float_text(r.last), _float_text(r.min), _float_text(r.max), r.step, r.count]
            for r in stats.records.values()
        ],
        "alerts": [
            {
                "ts": alert.ts,
                "rule": alert.rule,
                "level": alert.level,
                "title": alert.title,
                "text": alert.text,
                "key": alert.key,
                "step": alert.step,
                "value": _float_text(alert.value),
            }
            for alert in alerts
        ],
    }


def write_digest(
    run_path: Path,
    offset: int,
    stats: MetricStats,
    last_time: float | None,
    alerts: Iterable[AlertRecord],
) -> None:
    """Store the digest of the first ``offset`` bytes of the run's events (atomically)."""
    with (run_path / EVENTS_FILE).open("rb") as handle:
        start = max(0, offset - CHECK_BYTES)
        handle.seek(start)
        head = handle.read(offset - start)
    if len(head) != offset - start:
        raise ValueError(f"{run_path / EVENTS_FILE} is shorter than the {offset} bytes to digest")
    document = digest_document(offset, check_value(head), stats, last_time, alerts)
    atomic_write_json(run_path / DIGEST_FILE, document, durable=False)


class _Invalid(Exception):
    """A digest field of the wrong type or range."""


def _number(value: Any, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if type(value) is float:
        return value
    if type(value) is int and _INT_MIN <= value <= _INT_MAX:
        return float(value)
    if type(value) is str and value in NONFINITE_TOKENS:
        return NONFINITE_TOKENS[value]
    raise _Invalid


def _int(value: Any, *, optional: bool = False, minimum: int | None = None) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or not _INT_MIN <= value <= _INT_MAX:
        raise _Invalid
    if minimum is not None and value < minimum:
        raise _Invalid
    return value


def _text(value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if type(value) is not str:
        raise _Invalid
    return value


def _metric(entry: Any) -> MetricRecord:
    if type(entry) is not list or len(entry) != 6:
        raise _Invalid
    key, last, low, high, step, count = entry
    record = MetricRecord(
        key=str(_text(key)),
        last=_number(last, optional=True),
        min=_number(low, optional=True),
        max=_number(high, optional=True),
        step=_int(step, optional=True),
        count=_int(count, minimum=0) or 0,
    )
    return record


def _alert(run_id: str, entry: Any) -> AlertRecord:
    if type(entry) is not dict:
        raise _Invalid
    ts = _number(entry.get("ts"), optional=False)
    level = _text(entry.get("level"))
    if ts is None or not math.isfinite(ts) or level != normalize_level(level):
        raise _Invalid
    return AlertRecord(
        run_id=run_id,
        ts=ts,
        rule=str(_text(entry.get("rule"))),
        level=str(level),
        title=str(_text(entry.get("title"))),
        text=str(_text(entry.get("text"))),
        key=_text(entry.get("key"), optional=True),
        step=_int(entry.get("step"), optional=True),
        value=_number(entry.get("value"), optional=True),
    )


_Parsed = tuple[int, str, MetricStats, float | None, list[AlertRecord]]


def _parse(document: Any, run_id: str) -> _Parsed:
    if type(document) is not dict:
        raise _Invalid
    if document.get("format") != DIGEST_FORMAT or document.get("version") != DIGEST_VERSION:
        raise _Invalid
    offset = _int(document.get("offset"), minimum=0) or 0
    check = _text(document.get("check"))
    metrics, alerts = document.get("metrics"), document.get("alerts")
    if type(metrics) is not list or type(alerts) is not list:
        raise _Invalid
    stats = MetricStats(last_step=_int(document.get("last_step")) or 0)
    for entry in metrics:
        record = _metric(entry)
        if record.key in stats.records:
            raise _Invalid
        stats.records[record.key] = record
    last_time = _number(document.get("last_event_time"), optional=True)
    return offset, str(check), stats, last_time, [_alert(run_id, entry) for entry in alerts]


def load_digest(root: Path, run_path: Path) -> StoredDigest | None:
    """The run's stored digest with the events after it, if it matches the events file.

    None when there is none, or it is damaged, of another version, or does not describe this
    file (its offset past the end, or the bytes before its offset not the ones it was made of).
    A file leading outside ``root`` raises :class:`~runicorn.errors.UnsafePathError` for the
    events (as reading them would) and is read as missing for the digest.
    """
    document = read_json_under(root, run_path / DIGEST_FILE)
    if document is None:
        return None
    try:
        offset, check, stats, last_time, alerts = _parse(document, run_path.name)
    except _Invalid:
        return None
    start = max(0, offset - CHECK_BYTES)
    try:
        with open_under(root, run_path / EVENTS_FILE) as handle:
            handle.seek(start)
            data = handle.read()
    except FileNotFoundError:
        return None
    covered = offset - start
    if len(data) < covered or check_value(data[:covered]) != check:
        return None
    rest = parse_event_bytes(data[covered:], offset)
    return StoredDigest(offset, stats, last_time, alerts, rest)


def event_from_line(line: bytes) -> dict[str, Any] | None:
    """One complete event line parsed as the readers parse it (None when it is not an event)."""
    try:
        event = loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def alerts_in_lines(run_id: str, data: bytes) -> list[AlertRecord]:
    """The alerts among freshly written event lines (only lines naming an alert are parsed)."""
    found: list[AlertRecord] = []
    if b'"alert"' not in data:
        return found
    for line in data.split(b"\n"):
        if b'"alert"' in line:
            event = event_from_line(line)
            alert = alert_from_event(run_id, event) if event is not None else None
            if alert is not None:
                found.append(alert)
    return found
