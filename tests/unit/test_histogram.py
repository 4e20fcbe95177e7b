"""rn.Histogram: binning, NaN and infinities, np.histogram input, tensors, and the SDK's events."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

import runicorn as rn
from runicorn.histogram import bin_values, histogram_event_line


def histogram_events(run: Any) -> list[dict[str, Any]]:
    path = run.path / "events.jsonl"
    lines = path.read_bytes().splitlines() if path.exists() else []
    events = [orjson.loads(line) for line in lines if line.strip()]
    return [e["data"] for e in events if e["type"] == "histogram"]


def new_run(root: Path) -> Any:
    return rn.init(
        project="vision", name="resnet", storage=root, config={"batch_size": 64},
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip


def test_values_are_binned_into_equal_bins_over_their_range() -> None:
    values = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    out = bin_values(values, 4)
    assert out["edges"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert out["counts"] == [2, 0, 1, 2]
    assert sum(out["counts"]) == values.size


def test_nan_and_infinities_are_counted_apart_not_binned() -> None:
    out = bin_values(np.array([1.0, np.nan, np.inf, -np.inf, np.nan, 2.0]), 2)
    assert out["counts"] == [1, 1]
    assert (out["nan"], out["inf"], out["-inf"]) == (2, 1, 1)
    clean = bin_values(np.array([1.0, 2.0]), 2)
    assert "nan" not in clean and "inf" not in clean


def test_no_finite_value_gives_an_empty_histogram() -> None:
    out = bin_values(np.array([np.nan, np.nan]), 8)
    assert out == {"edges": [], "counts": [], "nan": 2}


def test_a_single_repeated_value_gets_a_bin_around_it() -> None:
    out = bin_values(np.full(10, 3.0), 1)
    assert out["edges"] == [2.5, 3.5]
    assert out["counts"] == [10]


def test_np_histogram_input_is_logged_as_it_is() -> None:
    counts, edges = np.histogram([1, 2, 2, 3], bins=3, range=(0, 3))
    data = rn.Histogram(np_histogram=(counts, edges)).to_event_data("grads", 7)
    assert data == {"key": "grads", "step": 7, "edges": edges.tolist(), "counts": [0, 1, 3]}
    weighted = rn.Histogram(np_histogram=([0.5, 1.25], [0, 1, 2])).to_event_data("w", 1)
    assert weighted["counts"] == [0.5, 1.25]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"np_histogram": ([1, 2], [0, 1])}, "len(edges) == len(counts) + 1"),
        ({"np_histogram": ([1], [1, 0])}, "increasing"),
        ({"np_histogram": ([-1], [0, 1])}, "not negative"),
        ({"np_histogram": 5}, "pair"),
        ({"values": "weights"}, "sequence, NumPy array or tensor"),
        ({"values": [1.0, "x"]}, "numbers"),
        ({"values": [1.0], "bins": 0}, "bins must be a whole number"),
        ({}, "give values"),
    ],
)
def test_bad_input_is_a_problem_kept_for_log_not_an_exception(
    kwargs: dict[str, Any], message: str
) -> None:
    histogram = rn.Histogram(**kwargs)
    assert histogram.problem is not None and message in histogram.problem


def test_the_values_are_copied_when_logged(tmp_path: Path) -> None:
    """An array the script changes afterwards does not change what was logged."""
    weights = np.zeros(100)
    histogram = rn.Histogram(weights, bins=2)
    weights += 1000.0
    data = histogram.to_event_data("weights", 1)
    assert data["edges"] == [-0.5, 0.0, 0.5]


def test_a_torch_tensor_is_copied_off_the_training_thread_path(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    weights = torch.nn.Linear(32, 32).weight  # requires grad, float32
    histogram = rn.Histogram(weights, bins=16)
    expected = bin_values(weights.detach().numpy().copy(), 16)
    with torch.no_grad():
        weights.mul_(100.0)  # an optimiser step in place
    data = histogram.to_event_data("fc.weight", 3)
    assert data["counts"] == expected["counts"]
    assert sum(data["counts"]) == 32 * 32
    half = rn.Histogram(torch.ones(10, dtype=torch.bfloat16), bins=4).to_event_data("h", 0)
    assert sum(half["counts"]) == 10
    ints = rn.Histogram(torch.arange(10), bins=5).to_event_data("i", 0)
    assert ints["counts"] == [2, 2, 2, 2, 2]


def test_run_log_writes_one_histogram_event_binned_on_the_writer_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binned_on: list[str] = []
    original = rn.Histogram.to_event_data

    def spy(self: rn.Histogram, key: str, step: int) -> dict[str, Any]:
        binned_on.append(threading.current_thread().name)
        return original(self, key, step)

    monkeypatch.setattr(rn.Histogram, "to_event_data", spy)
    monkeypatch.setenv("RUNICORN_FLUSH_INTERVAL", "0.05")
    run = new_run(tmp_path)
    rng = np.random.default_rng(0)
    for step in range(1, 4):
        run.log({"train/loss": 1.0 / step, "weights": rn.Histogram(rng.normal(size=1000))})
    # log() returned without binning; the writer bins at its next flush.
    deadline = time.monotonic() + 10
    while len(histogram_events(run)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert binned_on == ["runicorn-writer"] * 3
    run.log({"grads/fc": rn.Histogram(np_histogram=np.histogram([1, 2, 3], bins=3))}, step=10)
    run.finish()

    events = histogram_events(run)
    assert [(e["key"], e["step"]) for e in events] == [
        ("weights", 1), ("weights", 2), ("weights", 3), ("grads/fc", 10),
    ]  # fmt: skip
    assert all(len(e["edges"]) == 65 and sum(e["counts"]) == 1000 for e in events[:3])
    # The scalar beside it is a metric as before; a histogram alone adds no empty metrics row.
    metrics = [
        orjson.loads(line)["data"]
        for line in (run.path / "events.jsonl").read_bytes().splitlines()
        if b'"metrics"' in line
    ]
    assert [m.get("train/loss") for m in metrics] == [1.0, 0.5, 1.0 / 3]


def test_a_bad_histogram_warns_once_and_the_run_goes_on(tmp_path: Path) -> None:
    run = new_run(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.log({"weights": rn.Histogram("not numbers"), "loss": 0.5})
        run.log({"weights": rn.Histogram("not numbers"), "loss": 0.4})
    run.finish()
    assert len([w for w in caught if "histogram 'weights'" in str(w.message)]) == 1
    assert histogram_events(run) == []
    assert b'"loss":0.4' in (run.path / "events.jsonl").read_bytes()


def test_the_event_line_is_the_contract_shape() -> None:
    line = histogram_event_line("weights", rn.Histogram([1.0, 2.0], bins=2), 5, 1.5)
    event = orjson.loads(line)
    assert line.endswith(b"\n")
    assert event == {
        "ts": 1.5,
        "type": "histogram",
        "data": {"key": "weights", "step": 5, "edges": [1.0, 1.5, 2.0], "counts": [1, 1]},
    }


def test_logged_histograms_export_to_tensorboard(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from typer.testing import CliRunner

    from runicorn.cli import app

    root = tmp_path / "root"
    run = new_run(root)
    values = np.random.default_rng(2).normal(size=1000)
    run.log({"weights": rn.Histogram(values, bins=16)}, step=7)
    run.finish()
    output = tmp_path / "tb"
    result = CliRunner().invoke(
        app, ["export", run.id, "--format", "tensorboard", "-o", str(output), "--root", str(root)]
    )
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in output.rglob(run.id) if p.is_dir()]
    accumulator = EventAccumulator(str(folder), size_guidance={"histograms": 0})
    accumulator.Reload()
    (event,) = accumulator.Histograms("weights")
    assert event.step == 7
    assert event.histogram_value.num == 1000
    assert event.histogram_value.min == pytest.approx(values.min())
    assert len(event.histogram_value.bucket) == 16
