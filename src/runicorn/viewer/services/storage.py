"""The viewer's view of storage: run lists, run details, edits, the recycle bin and run files.

Every method is synchronous (routers call them through ``anyio.to_thread``) and returns plain
JSON-ready values in the shapes of docs/api.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from runicorn.errors import RunicornError, RunNotFoundError, UnsafePathError
from runicorn.security.path_validation import (
    open_under,
    read_json_under,
    resolve_under,
    safe_run_id,
)
from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.interface import RunStorage
from runicorn.storage.layout import iter_run_dirs
from runicorn.storage.models import ExperimentRecord
from runicorn.storage.run_files import ENVIRONMENT_FILE, MEDIA_DIR, META_FILE
from runicorn.storage.stages import stage_cache
from runicorn.viewer.utils.cache import MetricCache


class RunNotDeletedError(RunicornError, ValueError):
    """A permanent delete was asked for a run that is not in the recycle bin."""


RUN_ITEM_FIELDS = (
    "id", "project", "name", "status", "created_at", "ended_at", "heartbeat_at", "hostname",
    "pid", "exit_reason", "tags", "notes", "config", "summary", "last_step", "deleted_at", "path",
    "alerts", "last_alert", "alias",
)  # fmt: skip


def run_item(record: ExperimentRecord) -> dict[str, Any]:
    """The API shape of one run (docs/api.md, "Run item"); values are shared, not copied."""
    item = {name: getattr(record, name) for name in RUN_ITEM_FIELDS}
    item["duration"] = record.duration
    item["metrics"] = {key: metric.to_dict() for key, metric in record.metrics.items()}
    return item


def page(records: list[ExperimentRecord], total: int) -> dict[str, Any]:
    """A list response: ``{"items": [...], "total": N}``."""
    return {"items": [run_item(r) for r in records], "total": total}


class RunService:
    """Runs as the API shows them, on top of the hybrid storage backend."""

    def __init__(self, backend: RunStorage, cache: MetricCache) -> None:
        self.backend = backend
        self.cache = cache
        self._stages = stage_cache()

    @property
    def root(self) -> Path:
        return self.backend.root

    def list_runs(self, **query: Any) -> dict[str, Any]:
        """A page of runs; ``query`` is passed to :meth:`RunStorage.list_runs`."""
        records, total = self.backend.list_runs(**query)
        return page(records, total)

    def projects(self) -> dict[str, Any]:
        items = self.backend.list_projects()
        return {"items": items, "total": len(items)}

    def get(self, run_id: str) -> ExperimentRecord:
        return self.backend.get_run(safe_run_id(run_id))

    def locate(self, run_id: str) -> tuple[ExperimentRecord, Path]:
        """The run and its folder (checked to lie under the root), from one index lookup."""
        record = self.get(run_id)
        return record, self.backend.path_of(record)

    def run_path(self, run_id: str) -> Path:
        """The run's folder, checked to lie under the root."""
        return self.locate(run_id)[1]

    def detail(self, run_id: str) -> dict[str, Any]:
        """A run item plus ``meta``, ``environment``, ``media``, ``files``, ``metric_keys``."""
        record, path = self.locate(run_id)
        item = run_item(record)
        meta = read_json_under(self.root, path / META_FILE)
        item["meta"] = meta if isinstance(meta, dict) else {}
        environment = read_json_under(self.root, path / ENVIRONMENT_FILE)
        item["environment"] = environment if isinstance(environment, dict) else None
        try:
            snapshot = self.cache.get(record.id, path / EVENTS_FILE, root=self.root)
        except UnsafePathError:
            # The run is still shown; its events are not read (the metrics API says why).
            item["media"], item["metric_keys"] = [], []
        else:
            item["media"] = [
                {k: m.get(k) for k in ("key", "path", "step", "caption", "ts")}
                for m in snapshot.media
            ]
            item["metric_keys"] = snapshot.metric_keys()
        item["files"] = _file_sizes(path)
        return item

    def stage_spans(self, run_id: str) -> list[dict[str, Any]]:
        """The step spans logged under each ``stage`` (train, val...), in logged order."""
        path = self.run_path(run_id)
        state = self._stages.get(self.root, path / EVENTS_FILE)
        return [span.to_dict() for span in state.spans]

    def update(self, run_id: str, *, tags: list[str] | None, notes: str | None) -> dict[str, Any]:
        return run_item(self.backend.update_run(safe_run_id(run_id), tags=tags, notes=notes))

    def soft_delete(self, run_ids: Sequence[str]) -> dict[str, list[str]]:
        deleted, missing = self.backend.soft_delete(_valid_ids(run_ids))
        return {"deleted": deleted, "missing": missing + _invalid_ids(run_ids)}

    def restore(self, run_ids: Sequence[str]) -> dict[str, list[str]]:
        restored, missing = self.backend.restore(_valid_ids(run_ids))
        return {"restored": restored, "missing": missing + _invalid_ids(run_ids)}

    def purge_one(self, run_id: str) -> dict[str, list[str]]:
        """Delete one run from the recycle bin for good."""
        record = self.get(run_id)
        if record.deleted_at is None:
            raise RunNotDeletedError(
                f"run {record.id} is not in the recycle bin; delete it first, then purge it"
            )
        purged, _ = self.backend.purge([record.id])
        for rid in purged:
            self.cache.forget(rid)
        return {"purged": purged}

    def empty_recycle_bin(self) -> dict[str, list[str]]:
        records, _ = self.backend.list_runs(deleted_only=True, limit=None)
        purged, _ = self.backend.purge([r.id for r in records])
        for rid in purged:
            self.cache.forget(rid)
        return {"purged": purged}

    def open_media(self, run_id: str, relative: str) -> tuple[BinaryIO, int, str]:
        """A file under the run's ``media/`` folder, opened, with its size and name.

        Opened by descriptor under ``media/`` (links leading out of it are refused, also one
        swapped in after the path was checked), so what is served is what was checked.
        """
        media_dir = self.run_path(run_id) / MEDIA_DIR
        path = resolve_under(media_dir, relative)
        missing = RunNotFoundError(f"run {run_id} has no media file {relative!r}")
        if path.is_dir():
            raise missing
        try:
            handle = open_under(media_dir, path)
        except FileNotFoundError:
            raise missing from None
        return handle, os.fstat(handle.fileno()).st_size, path.name

    def index_new_runs(self) -> int:
        """Index run folders the index does not know yet (copied in by hand, for example)."""
        known = self.backend.index.all_ids()
        added = 0
        for run_path in iter_run_dirs(self.root):
            if run_path.name not in known:
                try:
                    self.backend.sync_run_dir(run_path)
                except (RunicornError, OSError, ValueError):
                    continue
                added += 1
        return added


def _file_sizes(path: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    try:
        entries = sorted(path.iterdir())
    except OSError:
        return sizes
    for entry in entries:
        try:
            if entry.is_file() and not entry.is_symlink():
                sizes[entry.name] = entry.stat().st_size
        except OSError:
            continue
    return sizes


def _is_valid(run_id: object) -> bool:
    try:
        safe_run_id(run_id)  # type: ignore[arg-type]
    except (RunicornError, TypeError):
        return False
    return True


def _valid_ids(run_ids: Sequence[str]) -> list[str]:
    return [rid for rid in dict.fromkeys(run_ids) if _is_valid(rid)]


def _invalid_ids(run_ids: Sequence[str]) -> list[str]:
    return [rid for rid in dict.fromkeys(run_ids) if not _is_valid(rid)]
