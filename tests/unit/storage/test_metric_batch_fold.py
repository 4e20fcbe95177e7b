"""The batch fold (SDK writer, reindex, sync) gives exactly what folding row by row gives."""

from __future__ import annotations

import math
import random
from typing import Any

from runicorn.storage.events import MetricStats


def _one_by_one(rows: list[dict[str, Any]]) -> MetricStats:
    stats = MetricStats()
    for row in rows:
        stats.add(row)
    return stats


def _batch(rows: list[dict[str, Any]]) -> MetricStats:
    stats = MetricStats()
    stats.add_events({"ts": 1.0, "type": "metrics", "data": row} for row in rows)
    return stats


def _as_tuples(stats: MetricStats) -> dict[str, tuple[Any, ...]]:
    def same_nan(value: Any) -> Any:
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    return {
        key: tuple(same_nan(v) for v in (r.last, r.min, r.max, r.step, r.count))
        for key, r in stats.records.items()
    } | {"last_step": (stats.last_step,)}


def test_rows_of_equal_size_with_other_metric_keys_are_all_counted() -> None:
    rows = [
        {"global_step": 1, "train/loss": 2.5, "lr": 0.1, "stage": "warmup"},
        {"global_step": 2, "train/loss": 1.5, "lr": 0.1, "学习率": 3e-4},
    ]

    stats = _batch(rows)

    assert stats.records["学习率"].count == 1
    assert _as_tuples(stats) == _as_tuples(_one_by_one(rows))


def test_text_nan_tokens_fold_like_numbers_and_other_text_is_skipped() -> None:
    rows = [
        {"global_step": 1, "train/loss": "NaN", "val/acc": 0.5},
        {"global_step": 2, "train/loss": 1.0, "val/acc": "Infinity"},
        {"global_step": 3, "train/loss": 0.5, "val/acc": "-Infinity"},
    ]
    assert _as_tuples(_batch(rows)) == _as_tuples(_one_by_one(rows))
    assert _batch(rows).records["val/acc"].min == -math.inf

    odd = [*rows, {"global_step": "4", "train/loss": "1.5", "val/acc": None}]
    assert _as_tuples(_batch(odd)) == _as_tuples(_one_by_one(odd))
    assert _batch(odd).records["train/loss"].count == 3


def test_random_mixtures_match_the_row_by_row_fold() -> None:
    rng = random.Random(7)
    odd_values: list[Any] = [1, True, None, "NaN", "1.5", float("nan"), -3]
    for _ in range(500):
        rows = []
        for i in range(rng.randint(1, 25)):
            row: dict[str, Any] = {}
            if rng.random() < 0.9:
                row["global_step"] = rng.choice([i, i, i - 5, float(i)])
            for key in rng.sample(["train/loss", "val/acc", "学习率", "lr"], rng.randint(0, 4)):
                row[key] = rng.choice(odd_values) if rng.random() < 0.2 else rng.random()
            if rng.random() < 0.2:
                row["stage"] = "train"
            rows.append(row)
        assert _as_tuples(_batch(rows)) == _as_tuples(_one_by_one(rows)), rows
