"""Conversions shared by the compatibility layers: tensors to arrays, values to histograms."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from runicorn.sdk import NoOpRun, Run
from runicorn.storage.jsonio import dumps

DEFAULT_BINS = 64


def to_numpy(value: Any) -> np.ndarray[Any, Any]:
    """An array from a NumPy array, a torch tensor (any device) or a nested sequence."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def histogram_of(
    values: Any = None,
    *,
    bins: int | Sequence[float] | str = DEFAULT_BINS,
    np_histogram: tuple[Any, Any] | None = None,
) -> tuple[list[float], list[float]]:
    """``(edges, counts)`` of ``values``, or of a ready ``(counts, edges)`` pair; non-finite
    values are left out (a histogram has no bin for them)."""
    if np_histogram is not None:
        counts, edges = np_histogram
        return [float(e) for e in to_numpy(edges)], [float(c) for c in to_numpy(counts)]
    array = to_numpy(values).astype(np.float64, copy=False).ravel()
    array = array[np.isfinite(array)]
    bin_spec: Any = DEFAULT_BINS if isinstance(bins, str) else bins
    if array.size == 0:
        return [0.0, 1.0], [0.0]
    counts, edges = np.histogram(array, bins=bin_spec)
    return edges.astype(float).tolist(), counts.astype(float).tolist()


def log_histogram(
    run: Run | NoOpRun, key: str, edges: list[float], counts: list[float], step: int | None
) -> None:
    """Record one histogram event (DESIGN §13's shape) on ``run``; never raises."""
    if not isinstance(run, Run) or run.status != "running":
        return
    try:
        at_step = run.step if step is None else int(step)
        data = {"key": str(key), "step": at_step, "edges": edges, "counts": counts}
        line = dumps({"ts": time.time(), "type": "histogram", "data": data}) + b"\n"
        run._writer.add_event(line, None)
    except Exception as exc:
        run._warn(f"histogram:{key}", f"Runicorn could not record histogram {key!r}: {exc!r}")


def image_grid(images: np.ndarray[Any, Any], layout: str = "NCHW") -> np.ndarray[Any, Any]:
    """A batch of images tiled into one HWC picture, as TensorBoard shows ``add_images``."""
    batch = np.asarray(images)
    if layout.upper() == "NCHW":
        batch = np.moveaxis(batch, 1, -1)
    elif layout.upper() == "NHW":
        batch = batch[..., None]
    count, height, width, channels = batch.shape
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.zeros((rows * height, columns * width, channels), dtype=batch.dtype)
    for index in range(count):
        row, column = divmod(index, columns)
        grid[row * height : (row + 1) * height, column * width : (column + 1) * width] = batch[
            index
        ]
    return grid


def hwc_image(image: Any, layout: str = "CHW") -> np.ndarray[Any, Any]:
    """One image as HxWxC (or HxW) from TensorBoard's ``dataformats`` (CHW, HWC, HW)."""
    array = to_numpy(image)
    layout = layout.upper()
    if layout == "CHW" and array.ndim == 3:
        return np.moveaxis(array, 0, -1)
    return array
