"""``runicorn.compat.tensorboard.SummaryWriter`` against tensorboardX's own writer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX import SummaryWriter as TensorboardXWriter

import runicorn as rn
from runicorn.compat.tensorboard import SummaryWriter
from runicorn.experiment import ExperimentManager
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import as_float, read_json

LOSSES = [2.3, 1.7, math.nan, 0.9, 0.6]


def train(writer: Any) -> None:
    """A training loop written for tensorboardX, unchanged for either writer."""
    rng = np.random.default_rng(0)
    for step, loss in enumerate(LOSSES):
        writer.add_scalar("train/loss", loss, step)
        writer.add_scalars("lr", {"backbone": 1e-4 * (step + 1), "head": 1e-3}, step)
    writer.add_image("samples/first", rng.random((3, 8, 6)), 4)
    writer.add_images("samples/batch", rng.random((4, 3, 8, 8)), 4)
    writer.add_histogram("weights/fc", rng.normal(size=5000), 4)
    writer.add_text("notes", "warmup finished, 学习率 lowered", 2)
    writer.add_hparams({"lr": 3e-4, "batch_size": 64}, {"hparam/best_loss": 0.6})
    writer.flush()
    writer.close()


def runicorn_series(run_path: Path) -> dict[str, list[tuple[int, float]]]:
    series: dict[str, list[tuple[int, float]]] = {}
    for event in read_events(run_path / "events.jsonl").events:
        if event["type"] != "metrics":
            continue
        data = event["data"]
        for key, value in data.items():
            if key not in ("global_step", "time", "stage"):
                number = as_float(value)
                assert number is not None
                series.setdefault(key, []).append((data["global_step"], number))
    return series


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-6)


def test_a_tensorboardx_loop_records_the_same_values(root: Path, tmp_path: Path) -> None:
    log_dir = tmp_path / "runs" / "resnet"
    train(TensorboardXWriter(str(log_dir)))
    train(SummaryWriter(str(log_dir), storage=root))

    with ExperimentManager(root) as manager:
        (record,) = manager.list()
        run_path = manager.backend.run_path(record.id)
    assert (record.project, record.name, record.status) == ("tensorboard", "resnet", "finished")
    ours = runicorn_series(run_path)

    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    theirs = {tag: accumulator.Scalars(tag) for tag in accumulator.Tags()["scalars"]}
    assert sorted(ours) == ["lr/backbone", "lr/head", "train/loss"]
    for key in ("train/loss",):
        assert [s for s, _ in ours[key]] == [e.step for e in theirs[key]]
        assert all(same(a, e.value) for (_, a), e in zip(ours[key], theirs[key], strict=True))
    # tensorboardX keeps each add_scalars series in a folder of its own
    backbone = EventAccumulator(str(log_dir / "lr" / "backbone"))
    backbone.Reload()
    tbx_backbone = backbone.Scalars("lr")
    assert [(s, round(v, 8)) for s, v in ours["lr/backbone"]] == [
        (e.step, round(e.value, 8)) for e in tbx_backbone
    ]

    assert record.config == {"lr": 3e-4, "batch_size": 64}
    assert record.summary == {"hparam/best_loss": 0.6}
    events = read_events(run_path / "events.jsonl").events
    images = [e["data"] for e in events if e["type"] == "image"]
    assert [(i["key"], i["step"]) for i in images] == [("samples/first", 4), ("samples/batch", 4)]
    with Image.open(run_path / images[0]["path"]) as first:
        assert first.size == (6, 8)
    with Image.open(run_path / images[1]["path"]) as grid:
        assert grid.size == (16, 16)
    (histogram,) = [e["data"] for e in events if e["type"] == "histogram"]
    assert histogram["key"] == "weights/fc" and histogram["step"] == 4
    assert sum(histogram["counts"]) == 5000
    assert len(histogram["edges"]) == len(histogram["counts"]) + 1
    assert "[notes step 2] warmup finished, 学习率 lowered" in (run_path / "logs.txt").read_text(
        encoding="utf-8"
    )


def test_writer_logs_into_a_run_already_started(root: Path) -> None:
    run = rn.init(project="vision", name="vit", storage=root, capture_env=False)
    writer = SummaryWriter()
    writer.add_scalar("val/acc", 0.5, 1)
    writer.add_scalar("val/acc", 0.7)  # no step: the run's current step
    writer.close()
    assert run.status == "running"
    run.finish()
    assert runicorn_series(run.path)["val/acc"] == [(1, 0.5), (1, 0.7)]


@pytest.mark.parametrize("log_dir", ["runs/Dec01_10-00:00_host", "/tmp/x/exp?1"])
def test_log_dirs_become_valid_run_names(root: Path, log_dir: str) -> None:
    writer = SummaryWriter(log_dir, storage=root)
    assert writer.run.project == "tensorboard"
    assert writer.run.name == Path(log_dir).name.replace(":", "_").replace("?", "_")
    writer.close()
    assert read_json(writer.run.path / "status.json")["status"] == "finished"
