"""Reading a run folder into a record (storage/run_files.py), for runs that ended badly too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.layout import iter_run_dirs
from runicorn.storage.run_files import read_record

# A training script killed (SIGKILL, as the OOM killer does) after logging for about a second,
# long before its first heartbeat: only init's status.json and the events are on disk.
KILLED_EARLY = """
import os, sys, time
import runicorn as rn

run = rn.init(project="vision", name="resnet50", storage=sys.argv[1],
              config={"batch_size": 64, "optimizer.betas": [0.9, 0.999], "学习率": 3e-4},
              capture_console=False, capture_env=False, system_metrics=False)
for step in range(1, 101):
    run.log({"train/loss": 2.0 / step, "val/acc": step / 100, "lr": float("nan")})
    time.sleep(0.01)
time.sleep(0.3)  # two flush intervals: the events are on disk, the heartbeat is an hour away
os.kill(os.getpid(), 9)
"""


@pytest.fixture
def killed_run(root: Path) -> Path:
    env = {**os.environ, "RUNICORN_HEARTBEAT_INTERVAL": "3600", "RUNICORN_FLUSH_INTERVAL": "0.05"}
    process = subprocess.run(
        [sys.executable, "-c", KILLED_EARLY, str(root)], env=env, timeout=60, check=False
    )
    assert process.returncode == -9
    (run_path,) = iter_run_dirs(root)
    return run_path


def test_a_run_killed_before_its_first_heartbeat_lasts_until_its_last_event(
    root: Path, killed_run: Path
) -> None:
    record = read_record(root, killed_run)
    assert record.duration is not None and record.duration >= 0.9, record
    with HybridStorageBackend(root) as backend:
        (listed,), _ = backend.list_runs(limit=None)
    assert listed.status == "crashed"
    assert listed.duration is not None and listed.duration >= 0.9


def test_a_run_killed_before_its_first_heartbeat_has_its_last_values_as_summary(
    root: Path, killed_run: Path
) -> None:
    with HybridStorageBackend(root) as backend:
        (listed,), _ = backend.list_runs(limit=None)
        detail = backend.get_run(listed.id)
    for record in (listed, detail):
        assert record.summary["train/loss"] == pytest.approx(0.02)
        assert record.summary["val/acc"] == pytest.approx(1.0)
        assert str(record.summary["lr"]).lower() == "nan"  # kept: NaN is a signal


def test_a_finished_run_keeps_its_own_summary_and_end(root: Path) -> None:
    import runicorn as rn

    run = rn.init(project="vision", name="vit", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.log({"train/loss": 0.5})
    run.summary({"best_val_acc": 0.91})
    run.finish()
    record = read_record(root, run.path)
    assert record.summary == {"best_val_acc": 0.91}
    assert record.status == "finished" and record.ended_at is not None
