"""Importing W&B offline runs recorded by the real wandb package."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from imported_store import ImportedStore, events, series
from PIL import Image

from runicorn.importers import import_from
from runicorn.storage.jsonio import read_json

SCRIPT = """
import numpy as np
import wandb

run = wandb.init(
    project="vision",
    name="resnet50",
    config={"lr": 3e-4, "optimizer": {"betas": [0.9, 0.999]}, "学习率": 1e-3},
    tags=["baseline"],
    notes="first try",
)
losses = [2.0, 1.5, float("nan"), 0.8, float("inf")]
for step, loss in enumerate(losses):
    wandb.log({"train/loss": loss, "epoch": step // 2})
wandb.log({"samples": wandb.Image(np.full((6, 4, 3), 128, dtype=np.uint8), caption="batch 0")})
wandb.log({"weights": wandb.Histogram(np_histogram=([1, 3, 2], [0.0, 1.0, 2.0, 3.0]))})
wandb.log({"val/acc": 0.75, "val": {"top5": 0.9}}, step=10)
wandb.config.update({"batch_size": 64})
wandb.summary["best_acc"] = 0.75
print("epoch done")
wandb.finish(exit_code=EXIT_CODE)
"""


def record_run(folder: Path, exit_code: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_DIR": str(folder),
        "WANDB_CONFIG_DIR": str(folder / "config"),
        "WANDB_CACHE_DIR": str(folder / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("EXIT_CODE", str(exit_code))],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return folder / "wandb"


def test_an_offline_run_carries_over(tmp_path: Path, root: Path, store: ImportedStore) -> None:
    wandb_dir = record_run(tmp_path / "work", exit_code=0)
    report = import_from("wandb", wandb_dir, root=root)
    assert report.failed == [] and len(report.imported) == 1
    record, run_path = store.run("resnet50")
    assert (record.project, record.status) == ("vision", "finished")
    assert record.config == {
        "lr": 3e-4,
        "optimizer": {"betas": [0.9, 0.999]},
        "学习率": 1e-3,
        "batch_size": 64,
    }
    assert (record.tags, record.notes) == (["baseline"], "first try")
    assert record.summary["best_acc"] == 0.75

    ours = series(run_path)
    loss = ours["train/loss"]
    assert [step for step, _, _ in loss] == [0, 1, 2, 3, 4]
    assert [v for _, _, v in loss][:2] == [2.0, 1.5] and math.isnan(loss[2][2])
    assert loss[3][2] == 0.8 and loss[4][2] == math.inf
    assert [v for _, _, v in ours["epoch"]] == [0, 0, 1, 1, 2]
    assert [(s, v) for s, _, v in ours["val/acc"]] == [(10, 0.75)]
    assert [(s, v) for s, _, v in ours["val.top5"]] == [(10, 0.9)]
    times = [when for _, when, _ in loss]
    assert times == sorted(times) and abs(times[0] - record.created_at) < 120  # type: ignore[operator]

    (image,) = [e["data"] for e in events(run_path, "image")]
    assert (image["key"], image["step"], image["caption"]) == ("samples", 5, "batch 0")
    with Image.open(run_path / image["path"]) as picture:
        assert picture.size == (4, 6)
    (histogram,) = [e["data"] for e in events(run_path, "histogram")]
    assert histogram["edges"] == [0.0, 1.0, 2.0, 3.0] and histogram["counts"] == [1, 3, 2]
    assert "epoch done" in (run_path / "logs.txt").read_text(encoding="utf-8")
    assert read_json(run_path / "meta.json")["imported_from"]["source"] == "wandb"

    again = import_from("wandb", wandb_dir, root=root)
    assert again.imported == [] and len(store.runs()) == 1


def test_a_failed_run_keeps_its_exit_code(tmp_path: Path, root: Path, store: ImportedStore) -> None:
    wandb_dir = record_run(tmp_path / "work", exit_code=3)
    import_from("wandb", wandb_dir, root=root, project="crashes")
    record, _ = store.run("resnet50")
    assert (record.project, record.status, record.exit_reason) == (
        "crashes",
        "failed",
        "exit code 3",
    )
