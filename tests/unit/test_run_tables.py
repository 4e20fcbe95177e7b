"""Runs and histories as tables for notebooks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from quiet_runs import start

from runicorn.experiment import ExperimentManager
from runicorn.run_tables import history_dataframe, merge_steps, runs_dataframe


def test_rows_of_one_step_are_merged(root: Path) -> None:
    run = start(root, project="vision", name="resnet")
    for step in range(1, 33):
        run.log({"train/loss": 1.0 / step}, step=step)
        if step % 4 == 0:
            run.log({"val/acc": math.nan if step == 8 else step / 32}, step=step)
    run.log({"lr": 0.1}, step=3)  # a late value for an earlier step
    run.finish()
    with ExperimentManager(root) as manager:
        raw = manager.history(run.id)
        merged = manager.history(run.id, by="step")
    assert raw["global_step"].size == 41
    assert all(
        np.array_equal(a, b, equal_nan=True)
        for a, b in zip(merged.values(), merge_steps(raw).values(), strict=True)
    )
    assert merged["global_step"].tolist() == list(range(1, 33))
    assert np.allclose(merged["train/loss"], [1.0 / s for s in range(1, 33)])
    acc = merged["val/acc"]
    assert np.isnan(acc[7]) and acc[15] == 0.5 and acc[31] == 1.0
    assert np.isnan(acc[0]) and int(np.isnan(acc).sum()) == 32 - 7
    assert merged["lr"][2] == 0.1 and int(np.isnan(merged["lr"]).sum()) == 31
    frame = history_dataframe(merged)
    assert frame.index.name == "global_step" and frame.loc[16, "val/acc"] == 0.5


def test_an_empty_history_stays_empty() -> None:
    empty = merge_steps({"global_step": np.array([], dtype=np.int64), "loss": np.array([])})
    assert empty["global_step"].size == 0 and empty["loss"].size == 0


def test_runs_table_has_config_summary_and_metric_columns(root: Path) -> None:
    for index, batch_size in enumerate((16, 32, 64)):
        run = start(
            root,
            project="vision",
            name=f"sweep/{index}",
            config={"batch_size": batch_size, "optimizer": {"betas": [0.9, 0.99]}, "学习率": 1e-3},
            tags=["sweep"],
        )
        for step, loss in enumerate((2.0, math.nan, 0.5 + index), start=1):
            run.log({"train/loss": loss}, step=step)
        run.summary({"best_acc": 0.5 + index / 10})
        run.finish()
    with ExperimentManager(root) as manager:
        frame = manager.runs_table(sort="config.batch_size")
        assert frame.equals(runs_dataframe(manager.list(sort="config.batch_size")))
    assert list(frame["config.batch_size"]) == [16, 32, 64]
    assert list(frame["config.optimizer.betas"]) == [[0.9, 0.99]] * 3
    assert list(frame["config.学习率"]) == [1e-3] * 3
    assert list(frame["summary.best_acc"]) == [0.5, 0.6, 0.7]
    assert list(frame["metrics.train/loss.last"]) == [0.5, 1.5, 2.5]
    assert list(frame["metrics.train/loss.min"]) == [0.5, 1.5, 2.0]
    assert list(frame["metrics.train/loss.max"]) == [2.0, 2.0, 2.5]
    assert frame["created_at"].dtype.kind == "M" and (frame["status"] == "finished").all()
    assert frame.index.name == "id" and list(frame["tags"]) == [["sweep"]] * 3
    assert isinstance(frame, pd.DataFrame)


def test_history_by_anything_but_step_is_refused(root: Path) -> None:
    run = start(root)
    run.finish()
    with ExperimentManager(root) as manager, pytest.raises(ValueError, match="'step'"):
        manager.history(run.id, by="time")
