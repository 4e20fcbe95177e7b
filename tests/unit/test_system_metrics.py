import importlib
import sys
import threading
import time
import warnings
from pathlib import Path

import psutil
import pytest

from runicorn import gpu
from runicorn.system_metrics import SystemMetricsSampler, sample_once

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
fake_nvidia_smi = importlib.import_module("fake_nvidia_smi")

GAUGES = {
    "system/cpu_percent",
    "system/memory_percent",
    "system/memory_used_gb",
    "system/process_rss_gb",
}
RATES = {
    "system/disk_read_mb_s",
    "system/disk_write_mb_s",
    "system/net_sent_mb_s",
    "system/net_recv_mb_s",
}

needs_no_nvml = pytest.mark.skipif(
    gpu.read_nvml().available, reason="a real GPU answers through NVML before nvidia-smi is tried"
)


class Collector:
    """Receives samples from the sampler thread and lets the test wait for them."""

    def __init__(self):
        self.samples = []
        self.arrived = threading.Condition()

    def __call__(self, sample):
        with self.arrived:
            self.samples.append(sample)
            self.arrived.notify_all()

    def wait_for(self, count, timeout=10.0):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.samples) >= count, timeout), (
                f"only {len(self.samples)} of {count} samples arrived in {timeout} s"
            )
        return list(self.samples)


@pytest.fixture
def no_gpu(tmp_path, monkeypatch):
    fake_nvidia_smi.hide_nvidia_smi(monkeypatch, tmp_path / "empty")


def test_sample_once_reads_plausible_cpu_memory_and_process_values(no_gpu):
    sample = sample_once()

    assert set(sample) >= GAUGES
    assert all(isinstance(value, float) for value in sample.values())
    assert 0.0 <= sample["system/cpu_percent"] <= 100.0
    assert 0.0 < sample["system/memory_percent"] <= 100.0
    total_gb = psutil.virtual_memory().total / 1024**3
    assert 0.0 < sample["system/memory_used_gb"] <= total_gb
    assert 0.001 < sample["system/process_rss_gb"] < total_gb


@needs_no_nvml
def test_without_a_gpu_there_are_no_gpu_keys(no_gpu):
    assert not [key for key in sample_once() if key.startswith("system/gpu")]


@needs_no_nvml
def test_recorded_gpus_become_per_gpu_series(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")

    sample = sample_once()

    assert sample["system/gpu0/utilization"] == 87.0
    assert sample["system/gpu0/memory_percent"] == pytest.approx(100 * 20145 / 24576)
    assert sample["system/gpu0/temperature"] == 71.0
    assert sample["system/gpu0/power_w"] == 312.45
    assert sample["system/gpu1/utilization"] == 0.0
    assert sample["system/gpu1/temperature"] == 34.0
    # The idle card reported "[N/A]" for its power draw: no value rather than a made-up zero.
    assert "system/gpu1/power_w" not in sample


def test_sampler_emits_repeatedly_with_rates_from_the_second_sample_on(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=0.1)

    sampler.start()
    try:
        samples = collector.wait_for(4)
    finally:
        sampler.stop()

    first, *later = samples
    assert set(first) >= GAUGES
    assert not set(first) & RATES
    for sample in later:
        assert set(sample) >= GAUGES
        # Containers may hide disk or network counters; what is reported must be a real rate.
        for key in set(sample) & RATES:
            assert 0.0 <= sample[key] < 100_000
    assert any(set(sample) & RATES for sample in later) == bool(
        psutil.disk_io_counters() or psutil.net_io_counters()
    )


def test_cpu_percent_shows_a_busy_process(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=0.1)
    busy_until = time.monotonic() + 1.0

    sampler.start()
    try:
        while time.monotonic() < busy_until:
            pass
        samples = collector.wait_for(3)
    finally:
        sampler.stop()

    # One core of this machine was spinning the whole time, so some sample must show it.
    assert max(sample["system/cpu_percent"] for sample in samples) > 100 / psutil.cpu_count() / 3


def test_first_sample_comes_promptly_not_after_a_full_interval(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=60)

    started = time.monotonic()
    sampler.start()
    try:
        collector.wait_for(1, timeout=5)
    finally:
        sampler.stop()

    assert time.monotonic() - started < 2


def test_stop_returns_promptly_and_nothing_is_emitted_afterwards(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=0.05)
    sampler.start()
    collector.wait_for(2)

    started = time.monotonic()
    sampler.stop()
    stopped_after = time.monotonic() - started
    count = len(collector.samples)
    time.sleep(0.3)

    assert stopped_after < 1.0
    assert len(collector.samples) == count


def test_stop_during_the_long_wait_between_samples_is_prompt(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=60)
    sampler.start()
    collector.wait_for(1)

    started = time.monotonic()
    sampler.stop()

    assert time.monotonic() - started < 1.0


@needs_no_nvml
def test_sampler_includes_gpu_series_when_nvidia_smi_answers(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=0.1)

    sampler.start()
    try:
        samples = collector.wait_for(2)
    finally:
        sampler.stop()

    for sample in samples:
        assert sample["system/gpu0/utilization"] == 87.0
        assert sample["system/gpu1/memory_percent"] == pytest.approx(100 * 3 / 24576)


def test_failing_emit_warns_once_and_sampling_goes_on(no_gpu):
    calls = []

    def broken_emit(sample):
        calls.append(sample)
        raise OSError("disk full")

    sampler = SystemMetricsSampler(broken_emit, interval=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler.start()
        deadline = time.monotonic() + 10
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        sampler.stop()

    assert len(calls) >= 4
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 1
    assert "disk full" in messages[0]


def test_start_twice_runs_one_sampler(no_gpu):
    collector = Collector()
    sampler = SystemMetricsSampler(collector, interval=60)

    sampler.start()
    sampler.start()
    try:
        collector.wait_for(1)
        time.sleep(0.5)
    finally:
        sampler.stop()

    assert len(collector.samples) == 1


def test_stop_without_start_is_harmless():
    SystemMetricsSampler(lambda sample: None, interval=1).stop()


@pytest.mark.parametrize("interval", [0, -1, float("nan")])
def test_interval_must_be_positive(interval):
    with pytest.raises(ValueError, match="interval"):
        SystemMetricsSampler(lambda sample: None, interval=interval)
