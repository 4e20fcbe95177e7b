"""Background sampling of CPU, memory, disk, network and GPU as flat ``system/*`` series.

The SDK records each sample as a ``system`` event: wall time, no step, so sampling never shifts
the training step. Sizes are binary (``gb`` is GiB, ``mb`` is MiB), as ``top`` and
``nvidia-smi`` show them.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Callable
from typing import NamedTuple

import psutil

from runicorn import gpu

_MIB = 1024.0**2
_GIB = 1024.0**3

_CPU_WARMUP = 0.25
"""Seconds between priming the CPU counter and the first sample; a zero-length window says 0%."""


def sample_once() -> dict[str, float]:
    """One reading of the gauges: CPU, memory, this process's RSS and every GPU.

    ``system/cpu_percent`` is the CPU use since this thread's previous call (psutil keeps one
    baseline per thread); the first call in a thread has no baseline and reads 0.
    """
    sample: dict[str, float] = {"system/cpu_percent": float(psutil.cpu_percent(interval=None))}
    memory = psutil.virtual_memory()
    sample["system/memory_percent"] = float(memory.percent)
    sample["system/memory_used_gb"] = memory.used / _GIB
    sample["system/process_rss_gb"] = psutil.Process().memory_info().rss / _GIB
    sample.update(_gpu_sample(gpu.read_gpus()))
    return sample


def _gpu_sample(report: gpu.GpuReport) -> dict[str, float]:
    sample: dict[str, float] = {}
    for reading in report.gpus:
        prefix = f"system/gpu{reading.index}"
        if reading.utilization_percent is not None:
            sample[f"{prefix}/utilization"] = reading.utilization_percent
        if reading.memory_used_bytes is not None and reading.memory_total_bytes:
            sample[f"{prefix}/memory_percent"] = (
                100.0 * reading.memory_used_bytes / reading.memory_total_bytes
            )
        if reading.temperature_c is not None:
            sample[f"{prefix}/temperature"] = reading.temperature_c
        if reading.power_w is not None:
            sample[f"{prefix}/power_w"] = reading.power_w
    return sample


class _IoCounters(NamedTuple):
    at: float
    disk_read: int | None
    disk_write: int | None
    net_sent: int | None
    net_recv: int | None


def _io_counters() -> _IoCounters:
    # Either may be None: containers without block devices, or /proc/net hidden.
    disk = psutil.disk_io_counters()
    net = psutil.net_io_counters()
    return _IoCounters(
        at=time.monotonic(),
        disk_read=disk.read_bytes if disk is not None else None,
        disk_write=disk.write_bytes if disk is not None else None,
        net_sent=net.bytes_sent if net is not None else None,
        net_recv=net.bytes_recv if net is not None else None,
    )


def _io_rates(previous: _IoCounters, current: _IoCounters) -> dict[str, float]:
    elapsed = current.at - previous.at
    if elapsed <= 0:
        return {}
    rates: dict[str, float] = {}
    for key, before, after in (
        ("system/disk_read_mb_s", previous.disk_read, current.disk_read),
        ("system/disk_write_mb_s", previous.disk_write, current.disk_write),
        ("system/net_sent_mb_s", previous.net_sent, current.net_sent),
        ("system/net_recv_mb_s", previous.net_recv, current.net_recv),
    ):
        # A counter that went backwards was reset (device removed, interface restarted).
        if before is not None and after is not None and after >= before:
            rates[key] = (after - before) / _MIB / elapsed
    return rates


class SystemMetricsSampler:
    """Calls ``emit`` with a :func:`sample_once` reading plus I/O rates every ``interval`` s.

    The first sample comes right after :meth:`start`; rates (``*_mb_s``) start with the second.
    Neither :meth:`start` nor :meth:`stop` raise into the training script, and once
    :meth:`stop` has returned ``emit`` is not called again.
    """

    def __init__(self, emit: Callable[[dict[str, float]], None], interval: float) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self._emit = emit
        self._interval = float(interval)
        self._stop_event = threading.Event()
        # Held while emitting so that stop() can promise no emit happens after it returns.
        self._emit_lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._warned = False

    def start(self) -> None:
        """Start sampling in a daemon thread; a second call while running does nothing."""
        with self._emit_lock:
            running = self._thread is not None and self._thread.is_alive()
            if running and not self._stop_event.is_set():
                return
            self._stop_event = threading.Event()
            self._thread = threading.Thread(
                target=self._run,
                args=(self._stop_event,),
                name="runicorn-system-metrics",
                daemon=True,
            )
            try:
                self._thread.start()
            except RuntimeError as exc:
                # "can't start new thread": the run goes on without system metrics.
                self._thread = None
                self._warn_once(exc)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop sampling; waits at most ``timeout`` s for a sample in progress to finish."""
        self._stop_event.set()
        with self._emit_lock:
            # Waits out an emit in progress; every later one sees the event set and is skipped.
            pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stop_event: threading.Event) -> None:
        previous: _IoCounters | None = None
        try:
            psutil.cpu_percent(interval=None)
        except Exception as exc:
            self._warn_once(exc)
        if stop_event.wait(_CPU_WARMUP):
            return
        while True:
            try:
                sample = sample_once()
                current = _io_counters()
                if previous is not None:
                    sample.update(_io_rates(previous, current))
                previous = current
                with self._emit_lock:
                    if stop_event.is_set():
                        return
                    self._emit(sample)
            except Exception as exc:
                self._warn_once(exc)
            if stop_event.wait(self._interval):
                return

    def _warn_once(self, exc: BaseException) -> None:
        if self._warned:
            return
        self._warned = True
        # Under ``-W error`` the warning itself raises; it must not end the sampler.
        with contextlib.suppress(Exception):
            warnings.warn(
                f"runicorn: system metrics sampling failed ({type(exc).__name__}: {exc}); "
                "sampling continues, further errors are not reported",
                RuntimeWarning,
                stacklevel=1,
            )
