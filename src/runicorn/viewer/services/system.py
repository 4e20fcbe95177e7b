"""GPU and host readings for ``GET /api/gpu``, and their recent history.

The history is sampled by the viewer itself in a background thread while it runs, so the System
page shows the last hour the moment it opens, not only what it saw since then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

import psutil

from runicorn import gpu

logger = logging.getLogger(__name__)

GPU_READING_TTL = 1.0
HISTORY_INTERVAL = 5.0
# An hour at one sample every 5 s: ~720 small dicts, a few hundred KiB at most.
HISTORY_SAMPLES = 720


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


class SystemHistory:
    """A ring buffer of the newest ``capacity`` samples (Unix time, host and GPU readings)."""

    def __init__(self, capacity: int = HISTORY_SAMPLES) -> None:
        if capacity < 1:
            raise ValueError(f"a system history holds at least one sample, not {capacity}")
        self._samples: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, sample: dict[str, Any]) -> None:
        with self._lock:
            self._samples.append(sample)

    def columns(self, since: float | None = None) -> dict[str, Any]:
        """Samples at or after ``since`` as columns: ``t``, the host's, and per GPU index."""
        with self._lock:
            samples = [s for s in self._samples if since is None or s["t"] >= since]
        gpus: dict[str, dict[str, list[float | None]]] = {}
        for i, sample in enumerate(samples):
            for reading in sample["gpus"]:
                column = gpus.setdefault(
                    str(reading["index"]),
                    {"utilization": [None] * len(samples), "memory_used": [None] * len(samples)},
                )
                column["utilization"][i] = reading["utilization"]
                column["memory_used"][i] = reading["memory_used"]
        return {
            "t": [s["t"] for s in samples],
            "cpu_percent": [s["cpu_percent"] for s in samples],
            "memory_percent": [s["memory_percent"] for s in samples],
            "gpus": gpus,
        }


class SystemService:
    """GPU readings, reused for a second so that many open pages do not spawn nvidia-smi; and a
    sampler that records them every ``interval`` seconds while the viewer runs."""

    def __init__(
        self,
        ttl: float = GPU_READING_TTL,
        interval: float = HISTORY_INTERVAL,
        capacity: int = HISTORY_SAMPLES,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the sampling interval must be positive, not {interval}")
        self.ttl = ttl
        self.interval = interval
        self.history = SystemHistory(capacity)
        self._lock = threading.Lock()
        self._report: gpu.GpuReport | None = None
        self._read_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        """Records one reading now."""
        report = self.gpus()
        host = host_reading()
        self.history.add(
            {
                "t": time.time(),
                "cpu_percent": host["cpu_percent"],
                "memory_percent": host["memory_percent"],
                "gpus": [_gpu_item(g) for g in report.gpus],
            }
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:
                # A failed reading (a driver hiccup) must not end the history: say so, go on.
                logger.warning("system sample failed", exc_info=True)
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Starts the background sampler (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="runicorn-system-history", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=5)

    def gpus(self) -> gpu.GpuReport:
        with self._lock:
            if self._report is None or time.monotonic() - self._read_at > self.ttl:
                self._report = gpu.read_gpus()
                self._read_at = time.monotonic()
            return self._report

    def status(self, history_seconds: float | None = None) -> dict[str, Any]:
        """The body of ``GET /api/gpu``; with ``history_seconds`` also the samples recorded in
        that many seconds before now (columnar, see ``SystemHistory.columns``)."""
        report = self.gpus()
        body: dict[str, Any] = {
            "available": report.available,
            "reason": report.reason,
            "gpus": [_gpu_item(g) for g in report.gpus],
            "host": host_reading(),
        }
        if history_seconds is not None:
            body["history"] = {
                "interval": self.interval,
                **self.history.columns(since=time.time() - history_seconds),
            }
        return body
