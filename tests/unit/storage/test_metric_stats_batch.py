"""The writer's vectorized statistics agree with folding rows one at a time."""

from __future__ import annotations

import math
import random

import pytest

from runicorn.storage.events import MetricStats


def random_rows(seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for step in range(1, 400):
        row: dict[str, object] = {"loss": rng.gauss(0, 1), "global_step": step, "time": 1.0}
        if step % 7 == 0:
            row["val/acc"] = rng.random()
        if step % 11 == 0:
            row["loss"] = rng.choice([math.nan, math.inf, -math.inf])
        if step % 13 == 0:
            row["stage"] = "eval"
        if step % 17 == 0:
            row = {"only_sometimes": rng.randint(-5, 5), "global_step": step, "time": 1.0}
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(5))
def test_batch_statistics_equal_row_by_row_statistics(seed: int) -> None:
    rows = random_rows(seed)
    one_by_one, batched = MetricStats(), MetricStats()
    for row in rows:
        one_by_one.add(row)
    for start in range(0, len(rows), 64):  # several flushes
        batched.add_batch(rows[start : start + 64])

    assert batched.last_step == one_by_one.last_step
    assert batched.records.keys() == one_by_one.records.keys()
    for key, expected in one_by_one.records.items():
        got = batched.records[key]
        assert (got.count, got.step, got.min, got.max) == (
            expected.count,
            expected.step,
            expected.min,
            expected.max,
        ), key
        assert got.last == expected.last or (math.isnan(got.last) and math.isnan(expected.last))  # type: ignore[arg-type]


def test_an_all_nan_series_has_no_min_or_max() -> None:
    stats = MetricStats()
    stats.add_batch([{"x": math.nan, "global_step": 1}, {"x": math.nan, "global_step": 2}])
    record = stats.records["x"]
    assert record.min is None and record.max is None and record.count == 2 and record.step == 2
