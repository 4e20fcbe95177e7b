"""torchvision's reference-script ``MetricLogger`` and ``SmoothedValue``, recording into the run.

    from runicorn.compat.torchvision import MetricLogger
    metric_logger = MetricLogger(delimiter="  ")
    for images, target in metric_logger.log_every(loader, 10, header="Epoch: [0]"):
        ...
        metric_logger.update(loss=loss.item(), lr=optimizer.param_groups[0]["lr"])

Each ``update`` also logs its values to the active Runicorn run (one step per call). torch is
imported only when tensors are passed or processes are synchronised.
"""

from __future__ import annotations

import datetime
import statistics
import sys
import time
import warnings
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sized
from typing import Any, TypeVar

from runicorn import sdk

T = TypeVar("T")


class SmoothedValue:
    """A series of values with its windowed median/average and its global average."""

    def __init__(self, window_size: int = 20, fmt: str | None = None) -> None:
        self.deque: deque[float] = deque(maxlen=window_size)
        self.total = 0.0
        self.count = 0
        self.fmt = fmt or "{median:.4f} ({global_avg:.4f})"

    def update(self, value: float, n: int = 1) -> None:
        """Add ``value``, counted ``n`` times in the global average."""
        self.deque.append(value)
        self.count += n
        self.total += value * n

    def synchronize_between_processes(self) -> None:
        """Sum ``count`` and ``total`` over a ``torch.distributed`` job (the window stays local)."""
        torch = sys.modules.get("torch")
        if torch is None:
            return
        distributed = torch.distributed
        if not distributed.is_available() or not distributed.is_initialized():
            return
        device = "cuda" if distributed.get_backend() == "nccl" else "cpu"
        totals = torch.tensor([self.count, self.total], dtype=torch.float64, device=device)
        distributed.barrier()
        distributed.all_reduce(totals)
        count, total = totals.tolist()
        self.count = int(count)
        self.total = total

    @property
    def median(self) -> float:
        return float(statistics.median(self.deque)) if self.deque else 0.0

    @property
    def avg(self) -> float:
        return float(statistics.fmean(self.deque)) if self.deque else 0.0

    @property
    def global_avg(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def max(self) -> float:
        return max(self.deque) if self.deque else 0.0

    @property
    def value(self) -> float:
        return self.deque[-1] if self.deque else 0.0

    def __str__(self) -> str:
        return self.fmt.format(
            median=self.median,
            avg=self.avg,
            global_avg=self.global_avg,
            max=self.max,
            value=self.value,
        )


def _number(value: Any) -> float | int | None:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


class MetricLogger:
    """Meters by name, printed every few iterations by :meth:`log_every`."""

    def __init__(self, delimiter: str = "\t") -> None:
        self.meters: defaultdict[str, SmoothedValue] = defaultdict(SmoothedValue)
        self.delimiter = delimiter

    def update(self, **kwargs: Any) -> None:
        """Add one value per meter, and log them to the active run."""
        values: dict[str, float | int] = {}
        for key, raw in kwargs.items():
            value = _number(raw)
            if value is None:
                warnings.warn(
                    f"MetricLogger.update(): {key!r} is not a number; skipped",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            self.meters[key].update(value)
            values[key] = value
        run = sdk.get_active_run()
        if values and run is not None:
            run.log(values)

    def __getattr__(self, attr: str) -> SmoothedValue:
        meters = self.__dict__.get("meters")
        if meters is not None and attr in meters:
            return meters[attr]  # type: ignore[no-any-return]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def __str__(self) -> str:
        return self.delimiter.join(f"{name}: {meter}" for name, meter in self.meters.items())

    def synchronize_between_processes(self) -> None:
        for meter in self.meters.values():
            meter.synchronize_between_processes()

    def add_meter(self, name: str, meter: SmoothedValue) -> None:
        self.meters[name] = meter

    def log_every(
        self, iterable: Iterable[T], print_freq: int, header: str | None = None
    ) -> Iterator[T]:
        """Yield from ``iterable``, printing progress, meters and timings every ``print_freq``."""
        header = header or ""
        start = end = time.time()
        iter_time = SmoothedValue(fmt="{avg:.4f}")
        data_time = SmoothedValue(fmt="{avg:.4f}")
        total = len(iterable) if isinstance(iterable, Sized) else None
        width = len(str(total)) if total else 0
        index = 0
        try:
            for item in iterable:
                data_time.update(time.time() - end)
                yield item
                iter_time.update(time.time() - end)
                if index % print_freq == 0 or (total is not None and index == total - 1):
                    remaining = iter_time.global_avg * ((total - index) if total else 0)
                    eta = str(datetime.timedelta(seconds=int(remaining)))
                    position = f"[{index:{width}d}/{total}]" if total else f"[{index}]"
                    print(
                        self.delimiter.join(
                            [
                                header,
                                position,
                                f"eta: {eta}",
                                str(self),
                                f"time: {iter_time}",
                                f"data: {data_time}",
                            ]
                        )
                    )
                index += 1
                end = time.time()
        finally:
            elapsed = time.time() - start
            print(
                f"{header} Total time: {datetime.timedelta(seconds=int(elapsed))} "
                f"({elapsed / max(index, 1):.4f} s / it)"
            )
