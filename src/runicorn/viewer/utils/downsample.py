"""Cutting one metric series down to what a chart can draw, without hiding its extremes.

A series is two NumPy arrays, ``x`` (ascending) and ``y``. When a range holds more points than
the chart asked for, its x range is split into equal-width buckets and each non-empty bucket
gives one point: its last ``(x, y)`` plus the bucket's ``y_min`` and ``y_max``, so a one-step
spike stays visible. Min and max ignore NaN (a NaN is never an extreme) unless a bucket holds
only NaN. Each series is bucketed on its own: a sparse series never inherits the buckets of a
dense one, and an empty bucket costs nothing. Everything is vectorized; no Python loop runs per
point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

REFINE_ROUNDS = 8
CLOSE_ENOUGH = 0.9
MAX_BUCKETS = 1 << 40


@dataclass(frozen=True)
class SeriesWindow:
    """The part of a series a chart receives: raw points, or one point per bucket."""

    x: FloatArray
    y: FloatArray
    count: int
    downsampled: bool
    y_min: FloatArray | None = None
    y_max: FloatArray | None = None


def sort_by_x(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``x`` and ``y`` ordered by ``x`` (stable, so equal x keep file order); NaN x dropped."""
    finite = ~np.isnan(x)
    if not finite.all():
        x, y = x[finite], y[finite]
    if x.size > 1 and bool(np.any(x[1:] < x[:-1])):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return x, y


def slice_range(
    x: FloatArray, y: FloatArray, start: float | None, end: float | None
) -> tuple[FloatArray, FloatArray]:
    """The points of an ascending series with ``start <= x <= end`` (either bound optional)."""
    lo = 0 if start is None else int(np.searchsorted(x, start, side="left"))
    hi = x.size if end is None else int(np.searchsorted(x, end, side="right"))
    return x[lo:hi], y[lo:hi]


def downsample_minmax(x: FloatArray, y: FloatArray, buckets: int) -> SeriesWindow:
    """One point per non-empty equal-width bucket of ``x``'s range (``x`` ascending)."""
    n = x.size
    if n == 0:
        return SeriesWindow(x, y, 0, False)
    buckets = max(1, buckets)
    span = float(x[-1] - x[0])
    if span > 0 and np.isfinite(span):
        ids = ((x - x[0]) * (buckets / span)).astype(np.int64)
        np.minimum(ids, buckets - 1, out=ids)
    else:
        ids = np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    lasts = np.concatenate((starts[1:], [n])) - 1
    # fmin/fmax skip NaN; a bucket of NaN only stays NaN.
    y_min = np.fmin.reduceat(y, starts)
    y_max = np.fmax.reduceat(y, starts)
    return SeriesWindow(x[lasts], y[lasts], n, True, y_min, y_max)


def downsample_to(x: FloatArray, y: FloatArray, max_points: int) -> SeriesWindow:
    """About ``max_points`` points, never more: one per non-empty bucket (``x`` ascending).

    ``max_points`` equal-width buckets give that many points on an evenly logged series; a
    series with gaps (a resumed run, a metric logged in bursts) leaves buckets empty, so the
    width is narrowed until the non-empty ones come close to ``max_points``.
    """
    best = downsample_minmax(x, y, max_points)
    if x.size == 0 or x[-1] == x[0]:
        return best  # one x value: one bucket, whatever the width
    fits, too_many = max_points, 0  # bucket counts known to give <= and > max_points
    for _ in range(REFINE_ROUNDS):
        got = best.x.size
        if got >= max_points * CLOSE_ENOUGH:
            break
        if too_many:
            buckets = (fits + too_many) // 2
        else:
            buckets = min(MAX_BUCKETS, fits * max_points // max(got, 1) + 1)
        if buckets <= fits:
            break
        candidate = downsample_minmax(x, y, buckets)
        if candidate.x.size > max_points:
            too_many = buckets
        else:
            fits, best = buckets, candidate
    return best


def window(
    x: FloatArray,
    y: FloatArray,
    *,
    max_points: int,
    start: float | None = None,
    end: float | None = None,
) -> SeriesWindow:
    """The series within ``[start, end]``: raw when it fits in ``max_points``, else bucketed.

    ``x`` must be ascending (see :func:`sort_by_x`). A bucketed answer has about
    ``max_points`` points (never more): the chart draws each as its last point with the
    bucket's min-max band, so it gets the points it asked for.
    """
    xs, ys = slice_range(x, y, start, end)
    if xs.size <= max_points:
        return SeriesWindow(xs, ys, int(xs.size), False)
    return downsample_to(xs, ys, max(1, max_points))
