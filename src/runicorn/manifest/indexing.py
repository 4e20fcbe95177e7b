"""Bringing the runs a sync wrote into the destination's index.

A run new to the destination is read whole, as ``runicorn reindex`` reads it. A run that only
grew (new lines in ``events.jsonl``, a new ``status.json`` or ``summary.json``) is updated from
the new lines alone: its indexed metric statistics are extended with them, as the SDK's own
heartbeat does, so an incremental sync never re-reads the history it already indexed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runicorn.manifest.transport import check_relative

# Files whose change an incremental index update covers; any other change re-reads the run.
INCREMENTAL_FILES = frozenset({"events.jsonl", "logs.txt", "status.json", "summary.json"})
ARTIFACT_EDGES_FILE = "artifacts.json"


@dataclass(frozen=True)
class IndexUpdate:
    """A run folder a pass wrote to; ``events_from`` is the size its events file had before,
    when only growth happened (None: index the run from scratch)."""

    path: str
    events_from: int | None = None


def index_runs(root: Path, updates: Iterable[IndexUpdate]) -> list[str]:
    """Upsert these runs (folders relative to ``root``) into its index; failures as notes.

    ``updates`` may be a stream (lines read from a pipe): each run is indexed as it comes.
    """
    from runicorn.storage.backends import HybridStorageBackend

    notes: list[str] = []
    with HybridStorageBackend(root) as backend:
        for update in updates:
            run_path = root.joinpath(*check_relative(update.path).parts)
            try:
                if update.events_from is None or not _extend(backend, run_path, update):
                    record = backend.sync_run_dir(run_path)
                    if (run_path / ARTIFACT_EDGES_FILE).is_file():
                        _index_run_edges(root, run_path, record.id, record.project)
            except Exception as exc:  # one unreadable run must not keep the others out
                notes.append(f"could not index {update.path}: {exc}")
    return notes


def index_artifacts(root: Path, folders: Iterable[tuple[str, str]]) -> list[str]:
    """Bring these artifacts' (project, name) versions and aliases into ``root``'s index."""
    from runicorn.artifacts.storage import ArtifactStore

    notes: list[str] = []
    store = ArtifactStore(root)
    try:
        for project, name in folders:
            try:
                store.sync_artifact(project, name)
            except Exception as exc:  # one unreadable artifact must not keep the others out
                notes.append(f"could not index artifact {project}/{name}: {exc}")
    finally:
        store.close()
    return notes


def _index_run_edges(root: Path, run_path: Path, run_id: str, project: str) -> None:
    from runicorn.artifacts.storage import ArtifactStore

    store = ArtifactStore(root)
    try:
        store.index_run_edges(run_path, run_id, project)
    finally:
        store.close()


def _extend(backend: object, run_path: Path, update: IndexUpdate) -> bool:
    """Fold the new lines of a grown run into its indexed record; False when it is not indexed
    (or indexed at another place), so the caller reads it whole."""
    from runicorn.storage.backends import HybridStorageBackend
    from runicorn.storage.events import EVENTS_FILE, MetricStats, read_events
    from runicorn.storage.jsonio import read_json
    from runicorn.storage.models import RUN_STATUSES
    from runicorn.storage.run_files import STATUS_FILE, SUMMARY_FILE, to_timestamp

    assert isinstance(backend, HybridStorageBackend)
    existing = backend.index.get(run_path.name)
    if existing is None or existing.path != update.path or update.events_from is None:
        return False
    stats = MetricStats(
        records={key: copy.copy(record) for key, record in existing.metrics.items()},
        last_step=existing.last_step or 0,
    )
    # The SDK's batch fold (one NumPy matrix per key set), as its own live index updates use.
    events = read_events(run_path / EVENTS_FILE, update.events_from).events
    stats.add_batch(
        [
            event["data"]
            for event in events
            if event.get("type", "metrics") == "metrics" and isinstance(event.get("data"), dict)
        ]
    )
    status = read_json(run_path / STATUS_FILE, {})
    status = status if isinstance(status, dict) else {}
    summary = read_json(run_path / SUMMARY_FILE)
    state = status.get("status")
    exit_reason = status.get("exit_reason")
    backend.index.update_progress(
        existing.id,
        status=state if state in RUN_STATUSES else existing.status,
        heartbeat_at=to_timestamp(status.get("heartbeat_at")),
        ended_at=to_timestamp(status.get("ended_at")),
        exit_reason=exit_reason if isinstance(exit_reason, str) else None,
        summary=summary if isinstance(summary, dict) else None,
        last_step=stats.last_step,
        metrics=stats.records.values(),
    )
    return True
