"""Downsampling keeps what a chart must show: spikes, NaN-aware extremes, sparse series."""

from __future__ import annotations

import numpy as np

from runicorn.viewer.utils.downsample import downsample_minmax, slice_range, sort_by_x, window


def steps(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=np.float64)


def test_small_series_is_returned_raw() -> None:
    x, y = steps(10), np.linspace(0, 1, 10)
    result = window(x, y, max_points=10)
    assert not result.downsampled
    assert result.count == 10
    assert result.y_min is None
    np.testing.assert_array_equal(result.y, y)


def test_one_step_spike_stays_visible() -> None:
    x = steps(100_000)
    y = np.full(x.size, 0.5)
    y[54_321] = 1000.0
    y[12_345] = -7.0
    result = window(x, y, max_points=2000)
    assert result.downsampled
    assert result.count == 100_000
    assert 1800 <= result.x.size <= 2000
    assert result.y_max is not None and result.y_min is not None
    assert result.y_max.max() == 1000.0
    assert result.y_min.min() == -7.0
    spike_bucket = int(np.flatnonzero(result.y_max == 1000.0)[0])
    assert result.x[spike_bucket] >= 54_322


def test_bucket_point_is_the_last_point_of_the_bucket() -> None:
    x = steps(10)
    y = x * 10
    result = downsample_minmax(x, y, buckets=2)
    np.testing.assert_array_equal(result.x, [5.0, 10.0])
    np.testing.assert_array_equal(result.y, [50.0, 100.0])
    np.testing.assert_array_equal(result.y_min, [10.0, 60.0])
    np.testing.assert_array_equal(result.y_max, [50.0, 100.0])


def test_nan_is_never_an_extreme_but_a_nan_bucket_stays_nan() -> None:
    x = steps(9)
    y = np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, 7.0, np.inf, np.nan])
    result = downsample_minmax(x, y, buckets=3)
    np.testing.assert_array_equal(result.y_min, [1.0, np.nan, 7.0])
    np.testing.assert_array_equal(result.y_max, [3.0, np.nan, np.inf])
    assert np.isnan(result.y[2])  # the last point of the bucket is kept as it is


def test_sparse_series_keeps_every_point() -> None:
    x = np.arange(1000, 100_001, 1000, dtype=np.float64)
    y = np.sin(x)
    dense = window(x, y, max_points=2000)
    assert not dense.downsampled
    assert dense.x.size == 100


def test_range_is_inclusive_and_count_is_the_true_count() -> None:
    x, y = steps(100_000), np.ones(100_000)
    result = window(x, y, max_points=100, start=1000, end=2999)
    assert result.count == 2000
    assert result.x[-1] == 2999
    assert 90 <= result.x.size <= 100
    full = window(x, y, max_points=5000, start=1000, end=2999)
    assert not full.downsampled
    assert full.x[0] == 1000 and full.x[-1] == 2999


def test_irregular_x_uses_the_x_range_not_the_point_count() -> None:
    # 10k points crowded at the start and 10 spread far away: the far ones keep their buckets.
    x = np.concatenate([np.linspace(0, 1, 10_000), np.linspace(100, 1000, 10)])
    y = np.arange(x.size, dtype=np.float64)
    result = downsample_minmax(x, y, buckets=100)
    assert np.all(np.isin(x[-10:], result.x))


def test_sort_by_x_orders_stably_and_drops_nan_x() -> None:
    x = np.array([3.0, 1.0, np.nan, 2.0, 1.0])
    y = np.array([30.0, 10.0, 99.0, 20.0, 11.0])
    xs, ys = sort_by_x(x, y)
    np.testing.assert_array_equal(xs, [1.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ys, [10.0, 11.0, 20.0, 30.0])


def test_constant_x_and_empty_ranges() -> None:
    x, y = np.full(5000, 7.0), np.arange(5000.0)
    result = window(x, y, max_points=100)
    assert result.x.size == 1 and result.y_max is not None and result.y_max[0] == 4999
    empty = slice_range(x, y, 8, 9)
    assert empty[0].size == 0
    assert window(x[:0], y[:0], max_points=10).count == 0


def test_max_points_gives_about_that_many_points_even_across_gaps() -> None:
    """Issue 8 item 12: ``max_points=N`` gives about N points (it gave N/2), never more."""
    even = steps(100_000)
    resumed = np.concatenate([steps(10_000), np.arange(50_000, 60_001, dtype=np.float64)])
    bursts = np.concatenate([np.linspace(0, 1, 10_000), np.linspace(100, 1000, 10)])
    for x in (even, resumed, bursts):
        for max_points in (100, 500, 2000):
            result = window(x, np.cos(x), max_points=max_points)
            assert result.downsampled
            assert 0.9 * max_points <= result.x.size <= max_points, (x.size, max_points)
            assert result.y_min is not None and result.y_min.size == result.x.size
