"""torchvision's reference ``MetricLogger`` and ``SmoothedValue``, recording into the run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import runicorn as rn
from runicorn.compat.torchvision import MetricLogger, SmoothedValue
from runicorn.storage.events import read_events


def test_smoothed_value_windows_and_global_average() -> None:
    meter = SmoothedValue(window_size=3)
    for value in (1.0, 2.0, 10.0, 4.0):
        meter.update(value)
    meter.update(6.0, n=2)
    assert meter.median == 6.0
    assert meter.avg == pytest.approx((10 + 4 + 6) / 3)
    assert meter.global_avg == pytest.approx((1 + 2 + 10 + 4 + 12) / 6)
    assert (meter.max, meter.value) == (10.0, 6.0)
    assert str(meter) == "6.0000 (4.8333)"


def test_a_reference_training_loop_logs_to_the_run(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = rn.init(
        project="detection",
        name="fasterrcnn",
        storage=root,
        capture_console=False,
        system_metrics=False,
    )
    metric_logger = MetricLogger(delimiter="  ")
    metric_logger.add_meter("lr", SmoothedValue(window_size=1, fmt="{value:.6f}"))
    batches = [torch.tensor([float(i)]) for i in range(5)]
    for batch in metric_logger.log_every(batches, 2, header="Epoch: [0]"):
        loss = batch.sum() * 0.1
        metric_logger.update(loss=loss, lr=0.02)
    run.finish()

    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Epoch: [0]  [0/5]  eta: ")
    assert "lr: 0.020000  loss: 0.0000 (0.0000)" in printed[0]
    assert printed[-1].startswith("Epoch: [0] Total time: ")
    assert metric_logger.loss.global_avg == pytest.approx(0.2)
    events = read_events(run.path / "events.jsonl").events
    rows = [e["data"] for e in events if e["type"] == "metrics"]
    assert [(r["global_step"], round(r["loss"], 6)) for r in rows] == [
        (1, 0.0),
        (2, 0.1),
        (3, 0.2),
        (4, 0.3),
        (5, 0.4),
    ]


def test_unknown_meter_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'acc'"):
        MetricLogger().acc  # noqa: B018
