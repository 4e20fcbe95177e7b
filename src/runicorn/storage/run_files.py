"""The files of one run folder, and how to read them into an :class:`ExperimentRecord`.

Reading is tolerant: a run written by the original Runicorn SDK, a run whose process was killed
mid-write, or a run missing some files still yields a record with what is there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runicorn.errors import UnsafePathError
from runicorn.security.path_validation import read_json_under
from runicorn.storage.alerts import AlertRecord, alerts_from_events
from runicorn.storage.events import EVENTS_FILE, MetricStats, file_size, read_events
from runicorn.storage.events_digest import DIGEST_FILE, last_event_time, load_digest
from runicorn.storage.layout import RunLocation, in_original_recycle_bin, location_from_path
from runicorn.storage.liveness import Heartbeat, looks_crashed
from runicorn.storage.models import RUN_STATUSES, ExperimentRecord

META_FILE = "meta.json"
STATUS_FILE = "status.json"
SUMMARY_FILE = "summary.json"
LOGS_FILE = "logs.txt"
ENVIRONMENT_FILE = "environment.json"
DELETED_FILE = "deleted.json"
MEDIA_DIR = "media"
# Written by the original Runicorn SDK: its log_config() config, and its soft-delete marker.
ORIGINAL_ASSETS_FILE = "assets.json"
ORIGINAL_DELETED_MARKER = ".deleted"

__all__ = [
    "DELETED_FILE",
    "DIGEST_FILE",
    "ENVIRONMENT_FILE",
    "EVENTS_FILE",
    "LOGS_FILE",
    "MEDIA_DIR",
    "META_FILE",
    "ORIGINAL_DELETED_MARKER",
    "STATUS_FILE",
    "SUMMARY_FILE",
    "EventsDigest",
    "read_record",
]


def to_timestamp(value: Any) -> float | None:
    """A Unix time from a number or an ISO-8601 string (the original SDK wrote either)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp()
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tags(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(tag) for tag in value if isinstance(tag, str | int | float)]
    return []


def _project_and_name(meta: dict[str, Any], location: RunLocation | None) -> tuple[str, str]:
    project, name = meta.get("project"), meta.get("name")
    if isinstance(project, str) and project and isinstance(name, str) and name:
        return project, name
    path = meta.get("path")
    if isinstance(path, str) and path.strip("/"):
        first, _, rest = path.strip("/").partition("/")
        return first, rest or "default"
    if location is not None:
        return location.project, location.name or "default"
    return "default", "default"


def _stopped_without_finishing(state: str, status: dict[str, Any], hostname: Any, pid: Any) -> bool:
    if state == "crashed":
        return True
    if state != "running" or status.get("ended_at"):
        return False
    beat = Heartbeat(
        hostname=hostname if isinstance(hostname, str) else None,
        pid=pid if isinstance(pid, int) else None,
        pid_started_at=to_timestamp(status.get("pid_started_at")),
        heartbeat_at=to_timestamp(status.get("heartbeat_at")),
        heartbeat_interval=to_timestamp(status.get("heartbeat_interval")),
    )
    return looks_crashed(beat)


@dataclass
class EventsDigest:
    """What a run's ``events.jsonl`` adds to its record, folded in as the file grows.

    A caller that keeps one per run (the team server, committing a live run every few seconds)
    reads only the bytes appended since the last time instead of the whole file.
    """

    offset: int = 0
    stats: MetricStats = field(default_factory=MetricStats)
    last_event_time: float | None = None
    alerts: list[AlertRecord] = field(default_factory=list)

    def catch_up(self, root: Path, run_path: Path) -> None:
        """Fold in the complete lines past :attr:`offset` (from the start if the file shrank).

        From the start, the run's stored digest (:mod:`~runicorn.storage.events_digest`, written
        by the SDK at finish) stands for the bytes it covers when it matches them.
        """
        path = run_path / EVENTS_FILE
        if file_size(path) < self.offset:
            self.reset()
        try:
            stored = load_digest(root, run_path) if self.offset == 0 else None
            if stored is not None:
                self.offset, self.stats = stored.offset, stored.stats
                self.last_event_time, self.alerts = stored.last_event_time, stored.alerts
                chunk = stored.rest
            else:
                chunk = read_events(path, self.offset, root=root)
        except UnsafePathError:
            self.reset()  # a link leading outside the root is read as missing
            return
        self.stats.add_events(chunk.events)
        newest = last_event_time(chunk.events)
        if newest is not None:
            self.last_event_time = newest
        self.alerts.extend(alerts_from_events(run_path.name, chunk.events))
        self.offset = chunk.next_offset

    def reset(self) -> None:
        self.offset, self.stats, self.last_event_time, self.alerts = 0, MetricStats(), None, []


LOG_CONFIG_PARTS = ("args", "extra")


def flatten_log_config(logged: dict[str, Any]) -> dict[str, Any]:
    """The original SDK's ``log_config`` record (``{"args", "extra", "config_files"}``) as config.

    ``args`` then ``extra`` merge flat, so their keys filter and sort as config columns (``extra``
    wins a clash, as when a key is set twice). Nothing is lost: an ``args`` value that ``extra``
    replaced with a different one stays under ``args``, and a part that is not a mapping is kept
    under its own name. ``legacy.log_config`` on new runs goes through here too.
    """
    flat = {key: value for key, value in logged.items() if key not in LOG_CONFIG_PARTS}
    args, extra = logged.get("args"), logged.get("extra")
    shadowed: dict[str, Any] = {}
    if isinstance(args, dict):
        flat.update(args)
    elif args is not None:
        flat["args"] = args
    if isinstance(extra, dict):
        if isinstance(args, dict):
            shadowed = {k: v for k, v in args.items() if k in extra and extra[k] != v}
        flat.update(extra)
    elif extra is not None:
        flat["extra"] = extra
    if shadowed:
        flat["args"] = shadowed
    return flat


def _config(meta: dict[str, Any], root: Path, run_path: Path) -> dict[str, Any]:
    """meta.json's config, over what the original SDK's ``log_config`` kept in assets.json."""
    config = meta.get("config")
    if not isinstance(config, dict):
        config = _dict(read_json_under(root, run_path / "config.json"))
    assets = _dict(read_json_under(root, run_path / ORIGINAL_ASSETS_FILE))
    logged = flatten_log_config(_dict(assets.get("config")))
    return {**logged, **config} if logged else config


def _user_tags(meta: dict[str, Any]) -> list[str]:
    """The run's tags; a run of the original SDK (no tags) is tagged with its alias."""
    if "tags" in meta:
        return _tags(meta.get("tags"))
    alias = _alias(meta)
    return [alias] if alias else []


def _alias(meta: dict[str, Any]) -> str | None:
    alias = meta.get("alias")
    return alias.strip() if isinstance(alias, str) and alias.strip() else None


def _deleted_at(root: Path, run_path: Path) -> float | None:
    """When the run went to the recycle bin: ours or the original SDK's markers, or its folder."""
    for name in (DELETED_FILE, ORIGINAL_DELETED_MARKER):
        marker = run_path / name
        if not marker.is_file():
            continue
        data = read_json_under(root, marker)
        stamp = to_timestamp(data.get("deleted_at")) if isinstance(data, dict) else None
        return stamp if stamp is not None else _mtime(marker)
    if in_original_recycle_bin(root, run_path):
        return _mtime(run_path)
    return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def read_record(
    root: Path, run_path: Path, *, events: EventsDigest | None = None
) -> ExperimentRecord:
    """Everything the index keeps about the run in ``run_path``, read from its files.

    A file that is a link leading outside ``root`` is read as missing: its content never
    reaches the index (and so never an API answer). ``events``, kept by the caller between
    calls, makes reading ``events.jsonl`` incremental.
    """
    meta = _dict(read_json_under(root, run_path / META_FILE))
    status = _dict(read_json_under(root, run_path / STATUS_FILE))
    summary = _dict(read_json_under(root, run_path / SUMMARY_FILE))
    location = location_from_path(root, run_path)
    project, name = _project_and_name(meta, location)
    digest = events if events is not None else EventsDigest()
    digest.catch_up(root, run_path)
    stats = digest.stats

    state = status.get("status")
    if state not in RUN_STATUSES:
        state = "finished" if status.get("ended_at") else "running"
    created_at = to_timestamp(meta.get("created_at")) or to_timestamp(status.get("started_at"))
    if created_at is None:
        try:
            created_at = run_path.stat().st_mtime
        except OSError:
            created_at = None
    config = _config(meta, root, run_path)
    pid = status.get("pid", meta.get("pid"))
    hostname = status.get("hostname") or meta.get("hostname")
    heartbeat_at = to_timestamp(status.get("heartbeat_at"))
    ended_at = to_timestamp(status.get("ended_at"))
    if ended_at is None and _stopped_without_finishing(str(state), status, hostname, pid):
        # A process killed before its first heartbeat (or between two) left its events behind:
        # it ended no earlier than its last one, and its last values are all the summary it has.
        signs_of_life = [t for t in (heartbeat_at, digest.last_event_time) if t is not None]
        ended_at = max(signs_of_life, default=None)
        if not summary:
            summary = {key: record.last for key, record in stats.records.items()}
    return ExperimentRecord(
        id=run_path.name,
        project=project,
        name=name,
        path=run_path.relative_to(root).as_posix(),
        status=str(state),
        created_at=created_at,
        ended_at=ended_at,
        heartbeat_at=heartbeat_at,
        hostname=hostname,
        pid=pid if isinstance(pid, int) else None,
        pid_started_at=to_timestamp(status.get("pid_started_at")),
        heartbeat_interval=to_timestamp(status.get("heartbeat_interval")),
        exit_reason=status.get("exit_reason")
        if isinstance(status.get("exit_reason"), str)
        else None,
        config=config,
        summary=summary,
        tags=_user_tags(meta),
        notes=str(meta.get("notes") or ""),
        # A kept digest goes on changing: the record gets copies.
        metrics={key: dataclasses.replace(m) for key, m in stats.records.items()},
        last_step=stats.last_step,
        deleted_at=_deleted_at(root, run_path),
        alias=_alias(meta),
        alert_events=list(digest.alerts),
    )
