"""``ExperimentManager``: find, annotate and delete runs from Python.

from runicorn.experiment import ExperimentManager
manager = ExperimentManager()
for run in manager.list(project="vision", status="finished"):
    print(run.id, run.summary.get("best_acc"))
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from runicorn.config import get_user_root_dir
from runicorn.run_tables import merge_steps, runs_dataframe
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.events import EVENTS_FILE, STEP_KEY
from runicorn.storage.models import ExperimentRecord
from runicorn.viewer.utils.cache import MetricCache, MetricsSnapshot

if TYPE_CHECKING:
    import pandas

# Bounds the columns a manager keeps between calls (an LRU of runs).
HISTORY_CACHE_BYTES = 256 << 20


class ExperimentManager:
    """Runs under one storage root (default: the configured one)."""

    def __init__(self, storage: str | os.PathLike[str] | None = None) -> None:
        self.backend = HybridStorageBackend(get_user_root_dir(storage))
        self._reader = MetricCache(None, max_bytes=HISTORY_CACHE_BYTES)

    @property
    def root(self) -> Path:
        """The storage root."""
        return self.backend.root

    def close(self) -> None:
        """Release the index and the cached columns."""
        self._reader.close()
        self.backend.close()

    def __enter__(self) -> ExperimentManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list(
        self,
        *,
        project: str | None = None,
        name: str | None = None,
        status: str | Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        filter: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[ExperimentRecord]:
        """Runs matching every given condition, newest first unless ``sort`` says otherwise."""
        records, _ = self.backend.list_runs(
            project=project,
            name=name,
            status=status,
            tags=tags,
            filter=filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return records

    def get(self, run_id: str) -> ExperimentRecord:
        """One run; :class:`runicorn.RunNotFoundError` if unknown."""
        return self.backend.get_run(run_id)

    def history(
        self, run_id: str, keys: Sequence[str] | None = None, *, by: str | None = None
    ) -> dict[str, np.ndarray[Any, Any]]:
        """A run's metrics as columns ``{"global_step": steps, key: values}``, NaN where absent.

        One row per logged metrics event, in file order; system metrics and media are left out.
        ``by="step"`` merges the rows of one step into one (steps sorted). The columns come
        from the viewer's columnar reader, so a live run is read incrementally on the next call.
        """
        if by not in (None, "step"):
            raise ValueError(f"by must be None or 'step', got {by!r}")
        snapshot = self._metrics_of(run_id)
        wanted = list(keys) if keys is not None else snapshot.metric_keys("metrics")
        step, time, columns = snapshot.table("metrics", wanted)
        rows = time.size
        history: dict[str, np.ndarray[Any, Any]] = {
            STEP_KEY: np.zeros(rows, np.int64) if step is None else step.astype(np.int64)
        }
        for key in wanted:
            history[key] = columns[key][0] if key in columns else np.full(rows, np.nan)
        return merge_steps(history) if by == "step" else history

    def runs_table(self, **filters: Any) -> pandas.DataFrame:
        """The runs :meth:`list` finds (same arguments) as a pandas DataFrame, one row per run:
        its fields, ``config.*``, ``summary.*`` and ``metrics.<key>.last|min|max``."""
        return runs_dataframe(self.list(**filters))

    def _metrics_of(self, run_id: str) -> MetricsSnapshot:
        """The run's parsed ``events.jsonl`` (only what was appended since the last call)."""
        return self._reader.get(
            run_id, self.backend.run_path(run_id) / EVENTS_FILE, root=self.backend.root
        )

    def set_tags(self, run_id: str, tags: Sequence[str]) -> ExperimentRecord:
        """Replace a run's tags."""
        return self.backend.update_run(run_id, tags=list(tags))

    def add_tags(self, run_id: str, *tags: str) -> ExperimentRecord:
        """Add tags to a run, keeping the ones it has."""
        current = self.get(run_id).tags
        return self.backend.update_run(run_id, tags=[*current, *tags])

    def set_notes(self, run_id: str, notes: str) -> ExperimentRecord:
        """Replace a run's notes."""
        return self.backend.update_run(run_id, notes=notes)

    def delete(self, *run_ids: str, permanent: bool = False) -> builtins.list[str]:
        """Move runs to the recycle bin, or (``permanent=True``) delete their files for good."""
        if permanent:
            return self.backend.purge(run_ids)[0]
        return self.backend.soft_delete(run_ids)[0]

    def restore(self, *run_ids: str) -> builtins.list[str]:
        """Bring runs back from the recycle bin."""
        return self.backend.restore(run_ids)[0]

    def recycle_bin(self) -> builtins.list[ExperimentRecord]:
        """Soft-deleted runs."""
        return self.backend.list_runs(deleted_only=True, limit=None)[0]

    def empty_recycle_bin(self) -> builtins.list[str]:
        """Delete every soft-deleted run for good."""
        return self.backend.purge([record.id for record in self.recycle_bin()])[0]

    def summary_table(self, runs: Sequence[ExperimentRecord]) -> builtins.list[dict[str, Any]]:
        """One flat dict per run (id, name, status, config and summary), e.g. for pandas."""
        table: builtins.list[dict[str, Any]] = []
        for run in runs:
            row: dict[str, Any] = {
                "id": run.id,
                "project": run.project,
                "name": run.name,
                "status": run.status,
                "created_at": run.created_at,
            }
            row.update({f"config.{k}": v for k, v in run.config.items()})
            row.update({f"summary.{k}": v for k, v in run.summary.items()})
            table.append(row)
        return table
