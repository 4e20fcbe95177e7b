"""``runicorn export --format tensorboard``: event files TensorBoard's own reader opens."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from typer.testing import CliRunner

import runicorn as rn
from runicorn.cli import app
from runicorn.compat.tensorboard import SummaryWriter
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import as_float

LOSSES = [2.0, 1.2, math.nan, math.inf, 0.4]


def record_run(root: Path) -> rn.Run:
    run = rn.init(
        project="vision",
        name="resnet/ablation",
        storage=root,
        config={"lr": 3e-4, "optimizer": {"betas": [0.9, 0.99], "name": "adamw"}, "学习率": 1},
        capture_env=False,
        system_metrics=False,
    )
    assert isinstance(run, rn.Run)
    for step, loss in enumerate(LOSSES, start=1):
        run.log({"train/loss": loss, "lr": 1e-3 / step}, step=step * 10)
    run.log({"val/acc": 0.875}, step=50, stage="val")
    run.log_image("samples", np.full((6, 4, 3), 200, dtype=np.uint8), step=20)
    writer = SummaryWriter()  # logs into the active run
    writer.add_histogram("weights", np.arange(100, dtype=float), 30)
    run.summary({"best_acc": 0.875})
    run.finish()
    return run


def test_exported_event_files_hold_every_point(root: Path, tmp_path: Path) -> None:
    run = record_run(root)
    output = tmp_path / "tb"
    result = CliRunner().invoke(
        app, ["export", run.id, "--format", "tensorboard", "-o", str(output), "--root", str(root)]
    )
    assert result.exit_code == 0, result.output
    folder = output / "vision" / "resnet" / "ablation" / run.id
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    assert sorted(tags["scalars"]) == ["lr", "train/loss", "val/acc"]

    rows = [
        e["data"] for e in read_events(run.path / "events.jsonl").events if e["type"] == "metrics"
    ]
    for tag in tags["scalars"]:
        expected = [(r["global_step"], r["time"], as_float(r[tag])) for r in rows if tag in r]
        got = [(e.step, e.wall_time, e.value) for e in accumulator.Scalars(tag)]
        assert len(got) == len(expected)
        for (step, when, value), (e_step, e_when, e_value) in zip(got, expected, strict=True):
            assert (step, when) == (e_step, e_when)
            assert e_value is not None
            same = float(np.float32(e_value))
            assert (math.isnan(value) and math.isnan(same)) or value == same

    (image,) = accumulator.Images("samples")
    assert (image.step, image.width, image.height) == (20, 4, 6)
    (histogram,) = accumulator.Histograms("weights")
    assert histogram.step == 30 and histogram.histogram_value.num == 100
    assert histogram.histogram_value.min == 0.0 and histogram.histogram_value.max == 99.0

    hparams = accumulator.summary_metadata
    assert any(
        plugin_data_pb2.HParamsPluginData.FromString(m.plugin_data.content).HasField(
            "session_start_info"
        )
        for tag, m in hparams.items()
        if m.plugin_data.plugin_name == "hparams"
    )


def test_unknown_format_names_the_choices(root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "x", "--format", "tfrecord", "-o", str(tmp_path), "--root", str(root)]
    )
    assert result.exit_code == 1
    assert "tensorboard" in result.output


def test_export_then_import_gives_the_run_back(root: Path, tmp_path: Path) -> None:
    from runicorn.experiment import ExperimentManager
    from runicorn.importers import import_from
    from runicorn.storage.backends import HybridStorageBackend
    from runicorn.tensorboard_export import export_tensorboard

    run = record_run(root)
    with HybridStorageBackend(root) as backend:
        export_tensorboard(backend, [run.id], tmp_path / "tb")
    other = tmp_path / "other"
    report = import_from("tensorboard", tmp_path / "tb" / "vision", root=other, project="vision")
    assert report.failed == []
    with ExperimentManager(other) as manager:
        records = {record.name: record for record in manager.list()}
    back = records[f"resnet/ablation/{run.id}"]
    assert back.config == {
        "lr": 3e-4,
        "optimizer.betas": "[0.9, 0.99]",
        "optimizer.name": "adamw",
        "学习率": 1,
    }
    assert back.metrics["train/loss"].count == len(LOSSES)
    assert back.metrics["val/acc"].last == 0.875
