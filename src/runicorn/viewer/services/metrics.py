"""Metric reads for charts: one run or many, any x axis, downsampled per series.

Results are columnar (``{"x": [...], "y": [...]}`` per series) and encoded straight from NumPy
arrays; non-finite values become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from runicorn.errors import RunicornError, RunNotFoundError
from runicorn.storage.events import EVENTS_FILE
from runicorn.viewer.services.storage import RunService
from runicorn.viewer.utils.cache import FloatArray, MetricCache, MetricsSnapshot, Series
from runicorn.viewer.utils.downsample import SeriesWindow, sort_by_x, window

BUILTIN_X = ("step", "time", "relative")
DEFAULT_MAX_POINTS = 2000


class InvalidAxisError(RunicornError, ValueError):
    """The requested x axis is neither built in nor a logged key."""


def json_array(values: FloatArray, *, integral: bool = False) -> Any:
    """``values`` ready for orjson: an int64 array for whole steps, tokens for non-finite."""
    finite = np.isfinite(values)
    if finite.all():
        if integral and values.size and bool(np.all(values == np.round(values))):
            return values.astype(np.int64)
        return np.ascontiguousarray(values)
    out: list[Any] = values.tolist()
    for i in np.flatnonzero(~finite):
        v = values[i]
        out[i] = "NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if integral:
        out = [int(v) if isinstance(v, float) and v.is_integer() else v for v in out]
    return out


def encode(payload: Any) -> bytes:
    """JSON bytes of a payload holding NumPy arrays."""
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def _join_on_step(series: Series, axis: Series) -> tuple[FloatArray, FloatArray]:
    """``series`` drawn against the values ``axis`` had at the same steps (last one wins)."""
    assert series.step is not None and axis.step is not None
    order = np.argsort(axis.step, kind="stable")
    steps, values = axis.step[order], axis.value[order]
    if steps.size:
        last = np.concatenate((steps[1:] != steps[:-1], [True]))
        steps, values = steps[last], values[last]
    idx = np.searchsorted(steps, series.step)
    idx_clipped = np.minimum(idx, max(steps.size - 1, 0))
    matched = (idx < steps.size) & (steps[idx_clipped] == series.step) if steps.size else idx < 0
    return values[idx_clipped[matched]], series.value[matched]


def series_xy(snapshot: MetricsSnapshot, key: str, x: str) -> tuple[FloatArray, FloatArray, str]:
    """x and y of ``key`` for axis ``x``, sorted by x, and the axis actually used.

    System series have no step: for ``x=step`` or a key axis they use relative time.
    """
    series = snapshot.series(key)
    t0 = snapshot.t0 or 0.0
    if x == "time":
        xs, used = series.time, "time"
    elif x == "relative" or series.step is None:
        xs, used = series.time - t0, "relative"
    elif x == "step":
        xs, used = series.step, "step"
    else:
        axis = snapshot.series(x)
        if axis.step is None:
            xs, used = series.time - t0, "relative"
        else:
            joined_x, joined_y = _join_on_step(series, axis)
            xs_sorted, ys_sorted = sort_by_x(joined_x, joined_y)
            return xs_sorted, ys_sorted, x
    xs_sorted, ys_sorted = sort_by_x(xs, series.value)
    return xs_sorted, ys_sorted, used


def window_payload(result: SeriesWindow, *, integral_x: bool) -> dict[str, Any]:
    """The API shape of one series window."""
    body: dict[str, Any] = {
        "x": json_array(result.x, integral=integral_x),
        "y": json_array(result.y),
        "count": result.count,
        "downsampled": result.downsampled,
    }
    if result.downsampled and result.y_min is not None and result.y_max is not None:
        body["y_min"] = json_array(result.y_min)
        body["y_max"] = json_array(result.y_max)
    return body


def _empty_series() -> dict[str, Any]:
    return {"x": [], "y": [], "count": 0, "downsampled": False}


def keys_of_comma_list(snapshot: MetricsSnapshot, text: str) -> list[str]:
    """A single ``keys=`` value: the key itself when the run logged a key by that exact name
    (one holding commas), else the comma-separated keys it lists (the API's old form)."""
    if snapshot.has(text):
        return [text]
    return [key.strip() for key in text.split(",") if key.strip()]


class MetricsService:
    """Reads metric windows through the cache."""

    def __init__(self, runs: RunService, cache: MetricCache) -> None:
        self.runs = runs
        self.cache = cache

    def snapshot(self, run_id: str) -> MetricsSnapshot:
        """The run's cached metrics, brought up to date with its events file."""
        record, path = self.runs.locate(run_id)
        return self.cache.get(record.id, path / EVENTS_FILE, root=self.runs.root)

    def series(
        self,
        snapshot: MetricsSnapshot,
        keys: Sequence[str] | None,
        x: str,
        start: float | None,
        end: float | None,
        max_points: int,
    ) -> dict[str, Any]:
        """``{"<key>": {"x", "y", "count", "downsampled", ["y_min", "y_max"]}}``."""
        if x not in BUILTIN_X and not snapshot.has(x):
            raise InvalidAxisError(
                f"x={x!r} is not step, time, relative or a key logged by run {snapshot.run_id}"
            )
        wanted = list(dict.fromkeys(keys)) if keys else snapshot.metric_keys()
        out: dict[str, Any] = {}
        for key in wanted:
            if not snapshot.has(key):
                out[key] = _empty_series()
                continue
            xs, ys, used = series_xy(snapshot, key, x)
            result = window(xs, ys, max_points=max_points, start=start, end=end)
            out[key] = window_payload(result, integral_x=used == "step")
        return out

    def read(
        self,
        run_id: str,
        *,
        keys: Sequence[str] | None = None,
        comma_list: str | None = None,
        x: str = "step",
        start: float | None = None,
        end: float | None = None,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> bytes:
        """The body of ``GET /api/metrics/{id}``, encoded.

        ``keys`` are exact key names; ``comma_list`` is a single ``keys=`` parameter as given
        (see :func:`keys_of_comma_list`).
        """
        snapshot = self.snapshot(run_id)
        if comma_list is not None:
            keys = keys_of_comma_list(snapshot, comma_list)
        series = self.series(snapshot, keys, x, start, end, max_points)
        return encode({"run_id": snapshot.run_id, "x": x, "series": series})

    def read_many(
        self,
        run_ids: Sequence[str],
        *,
        keys: Sequence[str] | None = None,
        x: str = "step",
        start: float | None = None,
        end: float | None = None,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> bytes:
        """The body of ``POST /api/v2/metrics``: every run's series; unknown runs listed."""
        runs: dict[str, Any] = {}
        missing: list[str] = []
        for run_id in dict.fromkeys(run_ids):
            try:
                snapshot = self.snapshot(run_id)
            except (RunNotFoundError, ValueError):
                missing.append(run_id)
                continue
            axis = x if x in BUILTIN_X or snapshot.has(x) else "step"
            runs[run_id] = {
                "x": axis,
                "series": self.series(snapshot, keys, axis, start, end, max_points),
            }
        return encode({"x": x, "runs": runs, "missing": missing})
