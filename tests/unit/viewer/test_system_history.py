"""The viewer's own record of host and GPU readings (``viewer/services/system.py``)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import pytest

from runicorn import gpu
from runicorn.viewer.services.system import SystemHistory, SystemService

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
fake_nvidia_smi = importlib.import_module("fake_nvidia_smi")


def sample(t: float, gpus: list[tuple[int, float]]) -> dict[str, object]:
    return {
        "t": t, "cpu_percent": t / 10, "memory_percent": 50.0,
        "gpus": [{"index": i, "utilization": u, "memory_used": 1e9} for i, u in gpus],
    }  # fmt: skip


def test_history_keeps_the_newest_samples_as_columns() -> None:
    history = SystemHistory(capacity=3)
    for t in range(5):
        history.add(sample(float(t), [(0, 10.0 * t)] + ([(1, 1.0)] if t == 4 else [])))
    columns = history.columns()
    assert columns["t"] == [2.0, 3.0, 4.0]
    assert columns["cpu_percent"] == [0.2, 0.3, 0.4]
    # A GPU seen in only some samples has gaps (None) where it was not read.
    assert columns["gpus"]["0"]["utilization"] == [20.0, 30.0, 40.0]
    assert columns["gpus"]["1"]["utilization"] == [None, None, 1.0]
    assert history.columns(since=3.5)["t"] == [4.0]


def test_history_refuses_an_empty_buffer() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        SystemHistory(capacity=0)


def test_sampler_records_in_the_background_until_stopped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(gpu, "read_nvml", lambda: gpu.GpuReport(False, "no NVML in tests"))
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")
    service = SystemService(ttl=0.0, interval=0.02, capacity=100)
    service.start()
    try:
        deadline = time.monotonic() + 10
        while len(service.history.columns()["t"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        service.stop()
    columns = service.history.columns()
    assert len(columns["t"]) >= 3
    assert columns["t"] == sorted(columns["t"])
    assert all(0 <= m <= 100 for m in columns["memory_percent"])
    assert set(columns["gpus"]) == {"0", "1"}
    count = len(columns["t"])
    time.sleep(0.1)
    assert len(service.history.columns()["t"]) == count, "the sampler went on after stop()"
    body = service.status(history_seconds=3600)
    assert body["history"]["interval"] == 0.02
    assert len(body["history"]["t"]) == count
