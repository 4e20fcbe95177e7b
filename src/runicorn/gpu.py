"""GPU readings for the environment record, the system metrics sampler and the viewer.

NVML (``nvidia-ml-py``) is asked first because it is an in-process call; the ``nvidia-smi``
command is the fallback for machines where the driver tools exist but the NVML library cannot
be loaded into this Python. Neither source ever raises into the caller: a machine without an
NVIDIA GPU gets ``available=False`` and a reason a person can act on.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

NVIDIA_SMI_TIMEOUT = 5.0
"""Seconds to wait for ``nvidia-smi``; a wedged driver can make it hang far longer."""

NVIDIA_SMI_FIELDS = (
    "index",
    "name",
    "utilization.gpu",
    "memory.used",
    "memory.total",
    "temperature.gpu",
    "power.draw",
)

_MIB = 1024 * 1024


@dataclass(frozen=True)
class GpuReading:
    """One GPU at one moment; ``None`` where the driver does not report a value."""

    index: int
    name: str
    utilization_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    temperature_c: float | None
    power_w: float | None


@dataclass(frozen=True)
class GpuReport:
    """What :func:`read_gpus` found: readings, or why there are none."""

    available: bool
    reason: str | None = None
    gpus: list[GpuReading] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable form, as the viewer and ``environment.json`` store it."""
        return dataclasses.asdict(self)


class _NvmlSession:
    """Initializes NVML at most once per process and remembers why it failed, if it did.

    ``nvmlInit`` costs tens of milliseconds and a failed load never starts working later in the
    same process, so retrying it on every sample would only waste time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempted = False
        self._module: Any = None
        self._error: str | None = None

    def module(self) -> tuple[Any, str | None]:
        """The initialized ``pynvml`` module, or ``None`` and the reason it is unusable."""
        with self._lock:
            if not self._attempted:
                self._attempted = True
                self._module, self._error = _init_nvml()
            return self._module, self._error


def _init_nvml() -> tuple[Any, str | None]:
    try:
        import pynvml
    except ImportError:
        return None, "the nvidia-ml-py package is not installed"
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        return None, f"NVML could not be initialized ({type(exc).__name__}: {exc})"
    return pynvml, None


_NVML = _NvmlSession()


def read_gpus() -> GpuReport:
    """Read every NVIDIA GPU through NVML, else ``nvidia-smi``; never raises."""
    nvml_report = read_nvml()
    if nvml_report.available:
        return nvml_report
    smi_report = read_nvidia_smi()
    if smi_report.available:
        return smi_report
    return GpuReport(
        available=False,
        reason=f"no NVIDIA GPU found: {nvml_report.reason}; {smi_report.reason}",
    )


def read_nvml() -> GpuReport:
    """Read the GPUs through NVML only; never raises."""
    nvml, error = _NVML.module()
    if nvml is None:
        return GpuReport(available=False, reason=error)
    try:
        count = int(nvml.nvmlDeviceGetCount())
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    except Exception as exc:
        return GpuReport(available=False, reason=f"NVML could not list GPUs ({exc})")
    if count == 0:
        return GpuReport(available=False, reason="NVML reports no GPUs")
    return GpuReport(
        available=True,
        gpus=[_nvml_reading(nvml, index, handle) for index, handle in enumerate(handles)],
    )


def _nvml_reading(nvml: Any, index: int, handle: Any) -> GpuReading:
    # Each query is separate because consumer cards refuse some (power, utilization) with
    # NVMLError_NotSupported while answering the rest.
    name = _nvml_query(lambda: nvml.nvmlDeviceGetName(handle))
    if isinstance(name, bytes):
        name = name.decode("utf-8", errors="replace")
    utilization = _nvml_query(lambda: nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    memory = _nvml_query(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
    temperature = _nvml_query(
        lambda: nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
    )
    power_mw = _nvml_query(lambda: nvml.nvmlDeviceGetPowerUsage(handle))
    return GpuReading(
        index=index,
        name=str(name) if name is not None else f"GPU {index}",
        utilization_percent=float(utilization) if utilization is not None else None,
        memory_used_bytes=int(memory.used) if memory is not None else None,
        memory_total_bytes=int(memory.total) if memory is not None else None,
        temperature_c=float(temperature) if temperature is not None else None,
        power_w=float(power_mw) / 1000.0 if power_mw is not None else None,
    )


def _nvml_query(query: Any) -> Any:
    try:
        return query()
    except Exception:
        return None


def read_nvidia_smi(timeout: float = NVIDIA_SMI_TIMEOUT) -> GpuReport:
    """Read the GPUs by running ``nvidia-smi`` found on ``PATH``; never raises."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return GpuReport(available=False, reason="nvidia-smi is not on PATH")
    command = [
        executable,
        f"--query-gpu={','.join(NVIDIA_SMI_FIELDS)}",
        "--format=csv,noheader,nounits",
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return GpuReport(available=False, reason=f"nvidia-smi did not answer within {timeout} s")
    except (OSError, ValueError) as exc:
        return GpuReport(available=False, reason=f"nvidia-smi could not be run ({exc})")
    if completed.returncode != 0:
        message = (completed.stderr or completed.stdout).strip().splitlines()
        detail = message[0] if message else "no message"
        return GpuReport(
            available=False,
            reason=f"nvidia-smi failed with exit code {completed.returncode}: {detail}",
        )
    try:
        gpus = parse_nvidia_smi(completed.stdout)
    except ValueError as exc:
        return GpuReport(available=False, reason=f"nvidia-smi output not understood: {exc}")
    if not gpus:
        return GpuReport(available=False, reason="nvidia-smi reports no GPUs")
    return GpuReport(available=True, gpus=gpus)


def parse_nvidia_smi(output: str) -> list[GpuReading]:
    """Parse ``nvidia-smi --query-gpu=<NVIDIA_SMI_FIELDS> --format=csv,noheader,nounits``.

    Raises ``ValueError`` on a line that does not have that shape.
    """
    readings = []
    for line in output.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < len(NVIDIA_SMI_FIELDS):
            raise ValueError(f"expected {len(NVIDIA_SMI_FIELDS)} fields in {line!r}")
        # A name may itself contain commas; the numeric fields around it never do.
        index_text, *name_parts = parts[: len(parts) - 5]
        utilization, used_mib, total_mib, temperature, power = parts[len(parts) - 5 :]
        try:
            index = int(index_text)
        except ValueError:
            raise ValueError(f"GPU index {index_text!r} is not a number in {line!r}") from None
        readings.append(
            GpuReading(
                index=index,
                name=", ".join(name_parts),
                utilization_percent=_smi_number(utilization),
                memory_used_bytes=_smi_mib_to_bytes(used_mib),
                memory_total_bytes=_smi_mib_to_bytes(total_mib),
                temperature_c=_smi_number(temperature),
                power_w=_smi_number(power),
            )
        )
    return readings


def _smi_number(text: str) -> float | None:
    # nvidia-smi writes "[N/A]", "[Not Supported]" or "[Unknown Error]" for missing values.
    try:
        return float(text)
    except ValueError:
        return None


def _smi_mib_to_bytes(text: str) -> int | None:
    mib = _smi_number(text)
    return round(mib * _MIB) if mib is not None else None
