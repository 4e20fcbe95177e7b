"""``rn.Histogram``: a distribution logged at a step, binned off the training thread.

``run.log({"weights": rn.Histogram(values, bins=64)})`` keeps a private copy of ``values`` (a
tensor the optimiser updates in place must not change what was logged) and the writer thread
bins it into one event ``{"type": "histogram", "data": {"key", "step", "edges", "counts"}}``.
``rn.Histogram(np_histogram=(counts, edges))`` logs bins computed elsewhere as they are.

Constructing one never raises: a problem is kept and reported once, as a warning, by ``log``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

__all__ = [
    "DEFAULT_BINS",
    "MAX_BINS",
    "Histogram",
    "bin_values",
    "held_bytes",
    "histogram_event_line",
]

DEFAULT_BINS = 64
MAX_BINS = 512


class Histogram:
    """A distribution to log: raw values (binned later into ``bins`` bins) or ready bins."""

    __slots__ = ("_counts", "_edges", "_values", "bins", "problem")

    def __init__(
        self,
        values: Any = None,
        bins: int = DEFAULT_BINS,
        *,
        np_histogram: tuple[Any, Any] | None = None,
    ) -> None:
        self.problem: str | None = None
        self._values: npt.NDArray[np.floating[Any]] | None = None
        self._counts: npt.NDArray[np.float64] | None = None
        self._edges: npt.NDArray[np.float64] | None = None
        self.bins = DEFAULT_BINS
        try:
            if np_histogram is not None:
                self._counts, self._edges = _checked_bins(np_histogram)
            elif values is None:
                self.problem = "give values or np_histogram=(counts, edges)"
            else:
                self.bins = _checked_bin_count(bins)
                self._values = _private_copy(values)
        except (TypeError, ValueError) as exc:
            self.problem = str(exc)

    def to_event_data(self, key: str, step: int) -> dict[str, Any]:
        """The event's ``data`` (called on the writer thread, where the binning happens)."""
        if self._counts is not None and self._edges is not None:
            edges = self._edges.tolist()
            return {"key": key, "step": step, "edges": edges, "counts": _plain_counts(self._counts)}
        assert self._values is not None, "a Histogram with a problem is never encoded"
        return {"key": key, "step": step, **bin_values(self._values, self.bins)}


def bin_values(values: npt.NDArray[np.floating[Any]], bins: int) -> dict[str, Any]:
    """``edges`` and ``counts`` of the finite values in ``bins`` equal bins over their range.

    NaN and infinities cannot be placed in a bin: they are counted apart (``nan``, ``inf``,
    ``-inf``, present only when non-zero) so a diverging layer is still visible. No finite value
    gives empty ``edges`` and ``counts``.
    """
    flat = values.ravel()
    finite = np.isfinite(flat)
    out: dict[str, Any] = {}
    if not finite.all():
        nan = int(np.isnan(flat).sum())
        pos = int(np.isposinf(flat).sum())
        neg = int(np.isneginf(flat).sum())
        out.update({k: v for k, v in (("nan", nan), ("inf", pos), ("-inf", neg)) if v})
        flat = flat[finite]
    if flat.size == 0:
        return {"edges": [], "counts": [], **out}
    low, high = float(flat.min()), float(flat.max())
    if low == high:  # one value: a bin of width one around it, as np.histogram does
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(flat, bins=bins, range=(low, high))
    return {"edges": edges.tolist(), "counts": counts.tolist(), **out}


def _checked_bin_count(bins: Any) -> int:
    if (
        isinstance(bins, bool)
        or not isinstance(bins, int | np.integer)
        or not 1 <= bins <= MAX_BINS
    ):
        raise ValueError(f"bins must be a whole number from 1 to {MAX_BINS}, got {bins!r}")
    return int(bins)


def _private_copy(values: Any) -> npt.NDArray[np.floating[Any]]:
    """A CPU NumPy copy of ``values`` the caller can no longer change (one copy where possible)."""
    detach = getattr(values, "detach", None)
    if callable(detach):  # a torch tensor (or alike): leave the autograd graph, then the device
        tensor = detach()
        if not tensor.is_floating_point() or str(tensor.dtype) in (
            "torch.bfloat16",
            "torch.float16",
        ):
            tensor = tensor.float()  # NumPy has no bfloat16; integers bin as floats
        array = tensor.cpu().numpy()
        # On the CPU, .numpy() shares the tensor's memory: copy so in-place updates do not leak.
        same_memory = tensor.device.type == "cpu"
        return np.array(array, copy=True) if same_memory else array
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return np.array(values, copy=True)
        if values.dtype.kind in "iub":
            return values.astype(np.float64)
        raise TypeError(f"values must be numbers, got an array of {values.dtype}")
    if isinstance(values, str | bytes | dict):
        raise TypeError(
            f"values must be a sequence, NumPy array or tensor, got {type(values).__name__}"
        )
    try:
        return np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"values must be numbers (a sequence, NumPy array or tensor), "
            f"got {type(values).__name__}"
        ) from None


def _checked_bins(
    np_histogram: tuple[Any, Any],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    try:
        raw_counts, raw_edges = np_histogram
    except (TypeError, ValueError):
        raise ValueError(
            "np_histogram must be a pair (counts, edges), as np.histogram returns"
        ) from None
    counts = np.asarray(raw_counts, dtype=np.float64).ravel()
    edges = np.asarray(raw_edges, dtype=np.float64).ravel()
    if counts.size == 0 or edges.size != counts.size + 1:
        raise ValueError(
            f"np_histogram needs len(edges) == len(counts) + 1 and at least one bin, "
            f"got {counts.size} counts and {edges.size} edges"
        )
    if counts.size > MAX_BINS * 8:
        raise ValueError(f"np_histogram has {counts.size} bins; at most {MAX_BINS * 8} are kept")
    if not np.isfinite(edges).all() or not (np.diff(edges) > 0).all():
        raise ValueError("np_histogram edges must be finite and increasing")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("np_histogram counts must be finite and not negative")
    return counts.copy(), edges.copy()


def _plain_counts(counts: npt.NDArray[np.float64]) -> list[float] | list[int]:
    """Whole counts as ints (the usual case); weighted or density counts stay floats."""
    if all(math.isfinite(c) and c == int(c) for c in counts.tolist()):
        return [int(c) for c in counts.tolist()]
    return [float(c) for c in counts.tolist()]


def histogram_event_line(key: str, histogram: Histogram, step: int, ts: float) -> bytes:
    """The ``events.jsonl`` line of ``histogram`` (binning it first: call it off the hot path)."""
    event = {"ts": ts, "type": "histogram", "data": histogram.to_event_data(key, step)}
    return orjson.dumps(event) + b"\n"


def held_bytes(histogram: Histogram) -> int:
    """Memory the histogram holds until it is written (for the writer's buffer bound)."""
    arrays = (histogram._values, histogram._counts, histogram._edges)
    return sum(a.nbytes for a in arrays if a is not None)
