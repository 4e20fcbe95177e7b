import importlib
import json
import sys
import time
from pathlib import Path

import pytest

from runicorn import gpu

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
fake_nvidia_smi = importlib.import_module("fake_nvidia_smi")

MIB = 1024 * 1024

needs_no_nvml = pytest.mark.skipif(
    gpu.read_nvml().available, reason="a real GPU answers through NVML before nvidia-smi is tried"
)


def test_recorded_nvidia_smi_output_is_read_as_two_gpus(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")

    report = gpu.read_nvidia_smi()

    assert report.available
    assert report.reason is None
    assert report.gpus == [
        gpu.GpuReading(
            index=0,
            name="NVIDIA GeForce RTX 3090",
            utilization_percent=87.0,
            memory_used_bytes=20145 * MIB,
            memory_total_bytes=24576 * MIB,
            temperature_c=71.0,
            power_w=312.45,
        ),
        gpu.GpuReading(
            index=1,
            name="NVIDIA GeForce RTX 3090",
            utilization_percent=0.0,
            memory_used_bytes=3 * MIB,
            memory_total_bytes=24576 * MIB,
            temperature_c=34.0,
            power_w=None,
        ),
    ]


@needs_no_nvml
def test_read_gpus_falls_back_to_nvidia_smi_when_nvml_cannot_load(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")

    report = gpu.read_gpus()

    assert report.available
    assert [reading.index for reading in report.gpus] == [0, 1]
    assert report.gpus[1].power_w is None


@needs_no_nvml
def test_no_gpu_is_an_answer_with_a_reason_not_an_error(tmp_path, monkeypatch):
    fake_nvidia_smi.hide_nvidia_smi(monkeypatch, tmp_path / "empty")

    report = gpu.read_gpus()

    assert not report.available
    assert report.gpus == []
    assert "no NVIDIA GPU found" in report.reason
    assert "NVML" in report.reason
    assert "nvidia-smi is not on PATH" in report.reason


def test_failing_nvidia_smi_reports_its_message(tmp_path, monkeypatch):
    message = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
        "Make sure that the latest NVIDIA driver is installed and running."
    )
    fake_nvidia_smi.use_fake_nvidia_smi(
        monkeypatch, tmp_path / "bin", stdout=message + "\n", exit_code=9
    )

    report = gpu.read_nvidia_smi()

    assert not report.available
    assert "exit code 9" in report.reason
    assert message in report.reason


def test_malformed_nvidia_smi_output_is_unavailable_with_a_reason(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(
        monkeypatch, tmp_path / "bin", stdout="No devices were found here, sorry\n"
    )

    report = gpu.read_nvidia_smi()

    assert not report.available
    assert "not understood" in report.reason


def test_nvidia_smi_that_hangs_is_given_up_on(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin", delay=30)

    started = time.monotonic()
    report = gpu.read_nvidia_smi(timeout=0.5)

    assert time.monotonic() - started < 5
    assert not report.available
    assert "did not answer" in report.reason


def test_nvidia_smi_listing_no_gpus_is_unavailable(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin", stdout="")

    report = gpu.read_nvidia_smi()

    assert not report.available
    assert report.reason == "nvidia-smi reports no GPUs"


def test_unsupported_and_missing_fields_read_as_none():
    output = (
        "0, Tesla K80, [Not Supported], 0, 11441, [N/A], [Unknown Error]\n"
        "1, NVIDIA A100-SXM4-80GB, 100, 81003, 81920, 62, 398.12\n"
    )

    first, second = gpu.parse_nvidia_smi(output)

    assert first.utilization_percent is None
    assert first.memory_used_bytes == 0
    assert first.temperature_c is None
    assert first.power_w is None
    assert second.utilization_percent == 100.0
    assert second.power_w == 398.12


def test_gpu_name_containing_commas_is_kept_whole():
    (reading,) = gpu.parse_nvidia_smi("3, Quadro RTX 8000, Rev. A, 5, 100, 46080, 40, 70.5\n")

    assert reading.index == 3
    assert reading.name == "Quadro RTX 8000, Rev. A"
    assert reading.utilization_percent == 5.0
    assert reading.power_w == 70.5


def test_line_with_too_few_fields_is_rejected():
    with pytest.raises(ValueError, match="expected 7 fields"):
        gpu.parse_nvidia_smi("0, GPU, 5\n")


def test_report_is_json_serializable(tmp_path, monkeypatch):
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")

    data = json.loads(json.dumps(gpu.read_nvidia_smi().to_dict()))

    assert data["available"] is True
    assert data["gpus"][0]["memory_total_bytes"] == 24576 * MIB
    assert data["gpus"][1]["power_w"] is None


def test_nvml_is_initialized_once_however_often_gpus_are_read(monkeypatch):
    pynvml = pytest.importorskip("pynvml")
    calls = []
    real_init = pynvml.nvmlInit

    def counting_init(*args, **kwargs):
        calls.append(1)
        return real_init(*args, **kwargs)

    monkeypatch.setattr(pynvml, "nvmlInit", counting_init)
    session = gpu._NvmlSession()

    first = session.module()
    second = session.module()

    assert len(calls) == 1
    assert first == second
