"""A script written for ``wandb`` runs through ``runicorn.compat.wandb``."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from runicorn.compat import wandb
from runicorn.experiment import ExperimentManager
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import as_float, read_json

WANDB_SCRIPT = """
import argparse

import numpy as np
import runicorn.compat.wandb as wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=3e-4)
args = parser.parse_args([])

run = wandb.init(
    project="vision",
    name="resnet50",
    config={"optimizer": {"name": "adamw", "betas": [0.9, 0.99]}, "学习率": 3e-4},
    tags=["baseline"],
)
wandb.config.update(args)
wandb.config.epochs = 3
wandb.config["batch_size"] = 64
accuracies = [0.5, float("nan"), 0.8]
for epoch in range(wandb.config.epochs):
    for batch in range(4):
        wandb.log({"train/loss": 1.0 / (epoch * 4 + batch + 1)})
    wandb.log(
        {
            "val": {"acc": accuracies[epoch], "top5": 0.9},
            "weights": wandb.Histogram(np.random.default_rng(epoch).normal(size=1000)),
            "samples": wandb.Image(np.zeros((8, 8, 3)), caption=f"epoch {epoch}"),
        }
    )
wandb.summary["best_acc"] = 0.8
run.alert(title="done", text="training finished", level=wandb.AlertLevel.WARN)
wandb.finish()
print(run.id)
"""


def events_of(run_path: Path, kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in read_events(run_path / "events.jsonl").events if e["type"] == kind]


def test_a_wandb_script_runs_through_the_compat_module(root: Path, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(WANDB_SCRIPT, encoding="utf-8")
    env = {"RUNICORN_DIR": str(root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "train.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    with ExperimentManager(root) as manager:
        record = manager.get(run_id)
        run_path = manager.backend.run_path(run_id)
    assert (record.project, record.name, record.status) == ("vision", "resnet50", "finished")
    assert record.tags == ["baseline"]
    assert record.config == {
        "optimizer": {"name": "adamw", "betas": [0.9, 0.99]},
        "学习率": 3e-4,
        "lr": 3e-4,
        "epochs": 3,
        "batch_size": 64,
    }
    assert record.summary["best_acc"] == 0.8

    rows = events_of(run_path, "metrics")
    loss_steps = [row["global_step"] for row in rows if "train/loss" in row]
    assert loss_steps == [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13]
    val = [row for row in rows if "val.acc" in row]
    assert [row["global_step"] for row in val] == [4, 9, 14]
    assert math.isnan(as_float(val[1]["val.acc"]) or 0.0)
    assert all(row["val.top5"] == 0.9 for row in val)
    histograms = events_of(run_path, "histogram")
    assert [(h["key"], h["step"], sum(h["counts"])) for h in histograms] == [
        ("weights", 4, 1000),
        ("weights", 9, 1000),
        ("weights", 14, 1000),
    ]
    images = events_of(run_path, "image")
    assert [(i["key"], i["step"], i["caption"]) for i in images] == [
        ("samples", 4, "epoch 0"),
        ("samples", 9, "epoch 1"),
        ("samples", 14, "epoch 2"),
    ]
    with Image.open(run_path / images[0]["path"]) as picture:
        assert picture.size == (8, 8)
    (alert,) = events_of(run_path, "alert")
    assert alert["title"] == "done" and alert["level"] == "warn"


def test_commit_false_and_explicit_steps_merge_into_one_row(root: Path) -> None:
    run = wandb.init(project="nlp", name="bert", dir=str(root))
    wandb.log({"loss": 0.5}, commit=False)
    wandb.log({"acc": 0.7})
    wandb.log({"loss": 0.4}, step=10)
    wandb.log({"acc": 0.8}, step=10)
    wandb.log({"loss": 0.3}, step=11)
    wandb.finish()
    assert wandb.run is None
    rows = events_of(run.recorder.path, "metrics")  # type: ignore[arg-type]
    values = [{k: v for k, v in row.items() if k not in ("time", "stage")} for row in rows]
    assert values == [
        {"loss": 0.5, "acc": 0.7, "global_step": 0},
        {"loss": 0.4, "acc": 0.8, "global_step": 10},
        {"loss": 0.3, "global_step": 11},
    ]


def test_config_set_before_init_joins_the_run(root: Path) -> None:
    wandb.config.update({"dropout": 0.1})
    run = wandb.init(project="nlp", dir=str(root), config={"lr": 1e-3})
    wandb.finish(exit_code=1)
    meta = read_json(run.recorder.path / "meta.json")  # type: ignore[operator]
    assert meta["config"] == {"lr": 1e-3, "dropout": 0.1}
    assert read_json(run.recorder.path / "status.json")["status"] == "failed"  # type: ignore[operator]


def test_disabled_mode_records_nothing(root: Path) -> None:
    run = wandb.init(project="nlp", dir=str(root), mode="disabled")
    wandb.log({"loss": 1.0})
    wandb.summary["x"] = 1
    wandb.finish()
    assert run.id is None
    assert list(root.iterdir()) == []


def test_log_before_init_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match=r"before wandb.init"):
        wandb.log({"loss": 1.0})


def test_histogram_from_numpy_histogram() -> None:
    counts, edges = np.histogram([1, 2, 2, 3], bins=3)
    histogram = wandb.Histogram(np_histogram=(counts, edges))
    assert histogram.counts == [1.0, 2.0, 1.0]
    assert histogram.edges == pytest.approx([1.0, 5 / 3, 7 / 3, 3.0])
