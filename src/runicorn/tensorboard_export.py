"""``runicorn export --format tensorboard``: runs as TensorBoard event files (via tensorboardX).

Each run becomes the folder ``<output>/<project>/<name>/<run id>`` that TensorBoard shows as one
run: every metric row is one event with its step and wall time (NaN and infinities kept),
images and histograms keep their steps, and the config goes to the HParams tab.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from runicorn.exporters import ExportResult
from runicorn.importers import MissingExtraError
from runicorn.security.path_validation import open_under
from runicorn.storage.events import EVENTS_FILE, RESERVED_DATA_KEYS, STEP_KEY, read_events
from runicorn.storage.interface import RunStorage
from runicorn.storage.jsonio import as_float
from runicorn.storage.models import ExperimentRecord

_HPARAM_TYPES = (bool, int, float, str)


def _tensorboardx() -> Any:
    try:
        import tensorboardX
    except ImportError as exc:
        raise MissingExtraError("tensorboard", "tensorboardX") from exc
    return tensorboardX


def _flat(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}.")
        elif isinstance(value, _HPARAM_TYPES):
            yield f"{prefix}{key}", value
        else:
            yield f"{prefix}{key}", str(value)


def export_tensorboard(
    backend: RunStorage,
    run_ids: Sequence[str],
    output: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write TensorBoard event files for ``run_ids`` under the folder ``output``."""
    tensorboardx = _tensorboardx()
    records = [backend.get_run(run_id) for run_id in dict.fromkeys(run_ids)]
    files = 0
    for done, record in enumerate(records, start=1):
        folder = output / record.project / Path(*record.name.split("/")) / record.id
        writer = tensorboardx.FileWriter(str(folder))
        try:
            _write_run(tensorboardx, writer, backend.path_of(record), record)
        finally:
            writer.close()
        files += 1
        if progress is not None:
            progress(done, len(records))
    return ExportResult(runs=[record.id for record in records], files=files)


def _write_run(tensorboardx: Any, writer: Any, run_path: Path, record: ExperimentRecord) -> None:
    from tensorboardX.proto.summary_pb2 import HistogramProto, Summary

    for event in read_events(run_path / EVENTS_FILE, root=run_path).events:
        kind = event.get("type", "metrics")
        data = event.get("data")
        wall_time = as_float(event.get("ts"))
        if not isinstance(data, dict):
            continue
        if kind == "metrics":
            values = [
                Summary.Value(tag=key, simple_value=number)
                for key, raw in data.items()
                if key not in RESERVED_DATA_KEYS and (number := as_float(raw)) is not None
            ]
            step = data.get(STEP_KEY)
            if values and isinstance(step, int):
                writer.add_summary(Summary(value=values), step, wall_time)
        elif kind == "histogram":
            summary = _histogram(HistogramProto, Summary, data)
            if summary is not None:
                writer.add_summary(summary, int(data.get("step") or 0), wall_time)
        elif kind == "image":
            summary = _image(Summary, run_path, data)
            if summary is not None:
                writer.add_summary(summary, int(data.get("step") or 0), wall_time)
    hparams = dict(_flat(record.config))
    if hparams:
        metrics = {
            f"summary/{key}": float(value)
            for key, value in record.summary.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        for summary in tensorboardx.summary.hparams(hparams, metrics):
            writer.add_summary(summary)


def _histogram(histogram_proto: Any, summary_proto: Any, data: dict[str, Any]) -> Any:
    edges = [float(x) for x in data.get("edges") or []]
    counts = [float(x) for x in data.get("counts") or []]
    if len(edges) != len(counts) + 1 or not counts:
        return None
    centers = [(left + right) / 2 for left, right in itertools.pairwise(edges)]
    total = sum(counts)
    histogram = histogram_proto(
        min=edges[0],
        max=edges[-1],
        num=total,
        sum=math.fsum(c * x for c, x in zip(counts, centers, strict=True)),
        sum_squares=math.fsum(c * x * x for c, x in zip(counts, centers, strict=True)),
        bucket_limit=edges[1:],
        bucket=counts,
    )
    return summary_proto(value=[summary_proto.Value(tag=str(data.get("key")), histo=histogram)])


def _image(summary_proto: Any, run_path: Path, data: dict[str, Any]) -> Any:
    relative = data.get("path")
    if not isinstance(relative, str):
        return None
    try:
        with open_under(run_path, run_path / relative) as handle:
            content = handle.read()
        from PIL import Image

        with Image.open(io.BytesIO(content)) as picture:
            width, height = picture.size
            channels = len(picture.getbands())
            if picture.format != "PNG":
                buffer = io.BytesIO()
                picture.save(buffer, format="PNG")
                content = buffer.getvalue()
    except (OSError, ValueError):
        return None
    image = summary_proto.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=content
    )
    return summary_proto(value=[summary_proto.Value(tag=str(data.get("key")), image=image)])
