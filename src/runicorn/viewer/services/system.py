"""GPU and host readings for ``GET /api/gpu``."""

from __future__ import annotations

import threading
import time
from typing import Any

import psutil

from runicorn import gpu

GPU_READING_TTL = 1.0


def _gpu_item(reading: gpu.GpuReading) -> dict[str, Any]:
    return {
        "index": reading.index,
        "name": reading.name,
        "utilization": reading.utilization_percent,
        "memory_used": reading.memory_used_bytes,
        "memory_total": reading.memory_total_bytes,
        "temperature": reading.temperature_c,
        "power": reading.power_w,
    }


def host_reading() -> dict[str, Any]:
    """CPU (since the previous call) and memory use of this machine."""
    memory = psutil.virtual_memory()
    return {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "memory_used": float(memory.total - memory.available),
        "memory_total": float(memory.total),
        "memory_percent": float(memory.percent),
    }


class SystemService:
    """GPU readings, reused for a second so that many open pages do not spawn nvidia-smi."""

    def __init__(self, ttl: float = GPU_READING_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._report: gpu.GpuReport | None = None
        self._read_at = 0.0

    def gpus(self) -> gpu.GpuReport:
        with self._lock:
            if self._report is None or time.monotonic() - self._read_at > self.ttl:
                self._report = gpu.read_gpus()
                self._read_at = time.monotonic()
            return self._report

    def status(self) -> dict[str, Any]:
        """The body of ``GET /api/gpu``."""
        report = self.gpus()
        return {
            "available": report.available,
            "reason": report.reason,
            "gpus": [_gpu_item(g) for g in report.gpus],
            "host": host_reading(),
        }
