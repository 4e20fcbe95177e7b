"""Runs and their histories as tables for notebooks: merged steps, pandas DataFrames.

from runicorn.experiment import ExperimentManager
manager = ExperimentManager()
frame = manager.runs_table(project="vision")         # one row per run
history = manager.history(run_id, by="step")          # one row per step
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runicorn.storage.events import STEP_KEY
from runicorn.storage.models import ExperimentRecord

if TYPE_CHECKING:
    import pandas


def merge_steps(history: Mapping[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]:
    """One row per step: for each key, the last value (not NaN) logged at that step.

    A training loop that logs ``train/loss`` and ``val/acc`` in two calls at the same step has
    two rows there; merged, it has one holding both. Steps come out sorted.
    """
    steps = np.asarray(history[STEP_KEY])
    order = np.argsort(steps, kind="stable")
    unique, starts = np.unique(steps[order], return_index=True)
    merged: dict[str, np.ndarray[Any, Any]] = {STEP_KEY: unique.astype(np.int64)}
    if unique.size == 0:
        return {key: np.asarray(values)[:0] for key, values in history.items()}
    ends = np.r_[starts[1:], steps.size] - 1
    positions = np.arange(steps.size)
    for key, column in history.items():
        if key == STEP_KEY:
            continue
        values = np.asarray(column, dtype=np.float64)[order]
        # the position of the last non-NaN value up to each row, -1 before the first
        last_valid = np.maximum.accumulate(np.where(np.isnan(values), -1, positions))
        picked = last_valid[ends]
        present = picked >= starts
        out = np.full(unique.size, np.nan)
        out[present] = values[picked[present]]
        merged[key] = out
    return merged


def _flat(prefix: str, values: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        if isinstance(value, Mapping) and value:
            yield from _flat(f"{prefix}{key}.", value)
        else:
            yield f"{prefix}{key}", value


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "tables as DataFrames need pandas: pip install 'runicorn[pandas]'"
        ) from exc
    return pandas


def runs_dataframe(runs: Sequence[ExperimentRecord]) -> pandas.DataFrame:
    """One row per run, indexed by run id: its fields, ``config.*`` and ``summary.*`` (nested
    keys joined with ``.``), and ``metrics.<key>.last|min|max`` of every metric."""
    pd = _pandas()
    rows: list[dict[str, Any]] = []
    for run in runs:
        row: dict[str, Any] = {
            "id": run.id,
            "project": run.project,
            "name": run.name,
            "status": run.status,
            "created_at": run.created_at,
            "ended_at": run.ended_at,
            "duration": run.duration,
            "tags": list(run.tags),
            "notes": run.notes,
        }
        row.update(_flat("config.", run.config))
        row.update(_flat("summary.", run.summary))
        for key, metric in run.metrics.items():
            row[f"metrics.{key}.last"] = metric.last
            row[f"metrics.{key}.min"] = metric.min
            row[f"metrics.{key}.max"] = metric.max
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in ("created_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame.set_index("id")


def history_dataframe(history: Mapping[str, np.ndarray[Any, Any]]) -> pandas.DataFrame:
    """A history's columns as a DataFrame indexed by step."""
    pd = _pandas()
    return pd.DataFrame(dict(history)).set_index(STEP_KEY)
