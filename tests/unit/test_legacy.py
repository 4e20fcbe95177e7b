"""Scripts written for the original Runicorn SDK, run unchanged against this one."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from quiet_runs import start

import runicorn as rn
from runicorn.experiment import ExperimentManager
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import as_float, read_json

ORIGINAL_SCRIPT = """
import argparse
import logging
import json
import math

import runicorn as rn

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--batch_size", type=int, default=32)
args = parser.parse_args([])

run = rn.init(path="cv/yolo/ablation", alias="best-v2", capture_console=False)
run.log_config(
    args=args,
    extra={"optimizer.betas": [0.9, 0.999], "学习率": 3e-4},
    config_files=["configs/yolo.yaml"],
)
run.set_primary_metric("val/acc", mode="max")
logger = logging.getLogger("train")
logger.setLevel(logging.INFO)
logger.addHandler(run.get_logging_handler())

accuracies = [0.5, 0.7, math.nan, 0.65, 0.8]
for epoch in range(1, 6):
    run.log(loss=1.0 / epoch, stage="train")
    run.log({"val/acc": accuracies[epoch - 1], "step": epoch * 10}, stage="val")
    logger.info("epoch %d done", epoch)
run.log_dataset("cifar10", "data", context="train", description="CIFAR-10")
run.log_pretrained("resnet50", path_or_uri="weights.pt", source_type="torchvision")
run.summary({"final_note": "done"})
run.finish()
print(run.id)
"""


def metric_rows(run_path: Path) -> list[dict[str, Any]]:
    events = read_events(run_path / "events.jsonl").events
    return [event["data"] for event in events if event["type"] == "metrics"]


def test_an_original_sdk_script_runs_unchanged(root: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "train.bin").write_bytes(b"\0" * 1000)
    (work / "weights.pt").write_bytes(b"w" * 10)
    (work / "train.py").write_text(ORIGINAL_SCRIPT, encoding="utf-8")
    env = {"RUNICORN_DIR": str(root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=work, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    run_path = root / "cv" / "yolo" / "ablation" / "runs" / run_id

    meta = read_json(run_path / "meta.json")
    assert (meta["project"], meta["name"], meta["alias"]) == ("cv", "yolo/ablation", "best-v2")
    assert meta["config"] == {
        "lr": 0.01,
        "batch_size": 32,
        "optimizer.betas": [0.9, 0.999],
        "学习率": 3e-4,
        "config_files": ["configs/yolo.yaml"],
    }
    summary = read_json(run_path / "summary.json")
    assert summary["best_metric_name"] == "val/acc"
    assert summary["best_metric_value"] == 0.8
    assert summary["best_metric_step"] == 50
    assert summary["final_note"] == "done"

    rows = metric_rows(run_path)
    val = [row for row in rows if "val/acc" in row]
    assert [row["global_step"] for row in val] == [10, 20, 30, 40, 50]
    assert all(row["stage"] == "val" for row in val)
    assert math.isnan(as_float(val[2]["val/acc"]) or 0.0)
    train = [row for row in rows if "loss" in row]
    assert [row["global_step"] for row in train] == [1, 11, 21, 31, 41]
    assert all(row["stage"] == "train" and "step" not in row for row in train)
    assert "epoch 5 done" in (run_path / "logs.txt").read_text(encoding="utf-8")

    assets = read_json(run_path / "assets.json")
    dataset = assets["datasets"][0]
    assert dataset["name"] == "cifar10" and dataset["context"] == "train"
    assert dataset["fingerprint"]["file_count"] == 1
    assert dataset["fingerprint"]["total_size_bytes"] == 1000
    assert assets["pretrained"][0]["source_type"] == "torchvision"

    with ExperimentManager(root) as manager:
        record = manager.get(run_id)
    assert record.config["学习率"] == 3e-4
    assert record.summary["best_metric_value"] == 0.8


def test_best_value_of_the_primary_metric_follows_the_run(root: Path) -> None:
    run = start(root, project="vision")
    run.set_primary_metric("val/loss", mode="min")
    run.log({"val/loss": 0.9})
    run.log({"val/loss": 0.4})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        summary = read_json(run.path / "summary.json", {})
        if summary.get("best_metric_value") == 0.4:
            break
        time.sleep(0.05)
    assert summary["best_metric_step"] == 2
    run.log({"val/loss": 0.6})
    run.log({"val/loss": float("nan")})
    run.log({"val/loss": 0.1}, step=100)
    run.finish()
    summary = read_json(run.path / "summary.json")
    assert (summary["best_metric_value"], summary["best_metric_step"]) == (0.1, 100)
    assert summary["best_metric_mode"] == "min"


def test_primary_metric_mode_must_be_max_or_min(root: Path) -> None:
    run = start(root)
    with pytest.raises(ValueError, match="max' or 'min"):
        run.set_primary_metric("acc", mode="best")


def test_config_changes_after_init_reach_meta_json_and_the_index(root: Path) -> None:
    run = start(root, project="vision", config={"lr": 3e-4})
    run.config["batch_size"] = 64
    run.config.update({"optimizer.betas": (0.9, 0.99)}, **{"weight decay": 0.01})
    del run.config["lr"]
    expected = {"batch_size": 64, "optimizer.betas": [0.9, 0.99], "weight decay": 0.01}
    assert read_json(run.path / "meta.json")["config"] == expected
    with ExperimentManager(root) as manager:
        deadline = time.monotonic() + 5
        while manager.get(run.id).config != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert manager.get(run.id).config == expected
        assert manager.list(filter="config.batch_size = 64")[0].id == run.id
    run.finish()


def test_switching_recording_off(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rn.set_enabled(False)
    try:
        assert not rn.is_enabled()
        off = rn.init(path="cv/yolo", storage=root)
        assert isinstance(off, rn.NoOpRun)
        off.set_primary_metric("acc")
        off.log(loss=1.0)
        off.log_config(args={"lr": 1})
        off.get_logging_handler().handle(
            __import__("logging").LogRecord("x", 20, "f", 1, "m", None, None)
        )
        off.log_dataset("d", "/nowhere")
        off.watch_outputs(output_dirs=["/nowhere"])
        off.finish()
    finally:
        rn.reset_enabled()
    with rn.enabled(False):
        assert isinstance(rn.init(storage=root), rn.NoOpRun)
    assert rn.is_enabled()
    monkeypatch.setenv("RUNICORN_ON", "off")
    assert not rn.is_enabled()
    assert isinstance(rn.init(storage=root), rn.NoOpRun)
    assert list(root.iterdir()) == []


def test_positional_path_and_root_path(root: Path) -> None:
    run = start(root, project="nlp/bert/base")
    assert (run.project, run.name) == ("nlp", "bert/base")
    run.finish()
    run = start(root, path="/")
    assert (run.project, run.name) == ("default", "default")
    run.finish()


def test_snapshot_code_keeps_sources_and_skips_environments(root: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    (work / "train.py").write_text("print('train')\n")
    (work / "models" / "net.py").write_text("class Net: ...\n")
    (work / ".venv" / "lib").mkdir(parents=True)
    (work / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    (work / "__pycache__").mkdir()
    (work / "__pycache__" / "train.pyc").write_bytes(b"\0")
    run = start(root, snapshot_code=True, workspace_root=work)
    run.finish()
    with zipfile.ZipFile(run.path / "code_snapshot.zip") as archive:
        assert sorted(archive.namelist()) == ["models/net.py", "train.py"]
    assert read_json(run.path / "assets.json")["code"]["snapshot"]["files"] == 2


def test_watch_outputs_copies_settled_files_into_the_run(root: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "checkpoints"
    outputs.mkdir()
    run = start(root)
    run.watch_outputs(output_dirs=[outputs], interval_sec=0.05, patterns=["*.pt"])
    (outputs / "epoch_1.pt").write_bytes(b"weights-1")
    (outputs / "notes.txt").write_text("not a checkpoint")
    target = run.path / "outputs" / "checkpoints" / "epoch_1.pt"
    deadline = time.monotonic() + 5
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert target.read_bytes() == b"weights-1"
    run.stop_outputs_watch()
    run.finish()
    assert not (run.path / "outputs" / "checkpoints" / "notes.txt").exists()
    assert "checkpoints/epoch_1.pt" in read_json(run.path / "assets.json")["outputs"]


def test_log_keyword_metrics_and_step_keys(root: Path) -> None:
    run = start(root)
    run.log(loss=0.5, acc=0.9)
    run.log({"loss": 0.4, "global_step": 7})
    run.log({"loss": 0.3}, loss_aux=0.1)
    run.finish()
    rows = metric_rows(run.path)
    assert [(row["global_step"], row["loss"]) for row in rows] == [(1, 0.5), (7, 0.4), (8, 0.3)]
    assert rows[0]["acc"] == 0.9 and rows[2]["loss_aux"] == 0.1


def test_log_config_gives_the_same_config_as_a_migrated_original_run(
    root: Path, tmp_path: Path
) -> None:
    """New runs and migrated ones filter alike: args and extra flat, a replaced value kept."""
    import argparse

    from runicorn.storage.backends import HybridStorageBackend
    from runicorn.storage.migration import migrate

    args = argparse.Namespace(lr=0.01, batch_size=32, **{"weight decay": 0.05})
    extra = {"optimizer.betas": [0.9, 0.999], "学习率": 3e-4, "lr": 0.02}
    run = start(root, path="cv/yolo/new")
    run.log_config(args=args, extra=extra, config_files=["configs/yolo.yaml"])
    run.finish()
    new_config = read_json(run.path / "meta.json")["config"]
    assert new_config == {
        "lr": 0.02, "batch_size": 32, "weight decay": 0.05, "optimizer.betas": [0.9, 0.999],
        "学习率": 3e-4, "config_files": ["configs/yolo.yaml"], "args": {"lr": 0.01},
    }  # fmt: skip

    old_root = tmp_path / "original"
    old = old_root / "cv" / "yolo" / "old" / "runs" / "20240501_120000_a1b2c3"
    old.mkdir(parents=True)
    (old / "meta.json").write_text('{"id": "20240501_120000_a1b2c3", "project": "cv"}')
    (old / "status.json").write_text('{"status": "finished", "started_at": 1714564800.0}')
    (old / "events.jsonl").write_text("")
    record = {"args": vars(args), "extra": extra, "config_files": ["configs/yolo.yaml"]}
    (old / "assets.json").write_text(json.dumps({"config": record, "datasets": []}))
    migrate(old_root)
    with HybridStorageBackend(old_root) as backend:
        [migrated], _ = backend.list_runs()
        assert migrated.config == new_config
        found, _ = backend.list_runs(filter='config."weight decay" > 0.01 and config.lr == 0.02')
        assert [r.id for r in found] == [migrated.id]
