"""TensorBoard event files, read with TensorBoard's own loader (no TensorFlow needed).

Each folder holding event files is one run, as TensorBoard shows it; its name is the folder's
path under the imported one. Scalars keep their steps and wall times, one metric row per
event; images go to ``media/``, histograms become histogram events, text goes to the log.
Audio, graphs, PR curves and other plugins' data are counted as not imported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.importers import MissingExtraError, safe_name
from runicorn.importers.run_writer import ImportedRun

DEFAULT_PROJECT = "tensorboard"
_FILE_TIME = re.compile(r"tfevents\.(\d+(?:\.\d+)?)")
_HUGE = 1e300


def _loader() -> Any:
    try:
        from tensorboard.backend.event_processing import event_file_loader
    except ImportError as exc:
        raise MissingExtraError("tensorboard", "the tensorboard package") from exc
    return event_file_loader


def _event_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.is_symlink() and "tfevents" in path.name
    )


@dataclass
class TensorBoardRun:
    """One folder of event files."""

    folder: Path
    files: list[Path]
    name: str

    @property
    def source_id(self) -> str:
        return str(self.folder)

    @property
    def label(self) -> str:
        return str(self.folder)

    @property
    def created_at(self) -> float | None:
        times = [float(m.group(1)) for f in self.files if (m := _FILE_TIME.search(f.name))]
        return min(times) if times else None

    def read(self, project: str | None) -> ImportedRun:
        run = ImportedRun(
            source="tensorboard",
            source_id=self.source_id,
            project=project or DEFAULT_PROJECT,
            name=safe_name(self.name),
            created_at=self.created_at,
            origin={"path": str(self.folder)},
        )
        loader = _loader()
        first_wall: float | None = None
        last_wall: float | None = None
        for file in self.files:
            for event in loader.LegacyEventFileLoader(str(file)).Load():
                wall_time = event.wall_time
                if first_wall is None:
                    first_wall = wall_time
                last_wall = wall_time
                if event.HasField("summary"):
                    _read_summary(run, event.summary, wall_time, int(event.step))
                elif event.HasField("graph_def") or event.HasField("meta_graph_def"):
                    run.skip("graph")
        run.created_at = run.created_at or first_wall
        run.ended_at = last_wall
        return run


def discover(path: Path) -> list[TensorBoardRun]:
    """Every folder under ``path`` (itself included) that holds event files."""
    _loader()
    base = path.resolve()
    if base.is_file():
        return [TensorBoardRun(base.parent, [base], base.parent.name)]
    runs = []
    for folder in sorted(
        [base, *(p for p in base.rglob("*") if p.is_dir() and not p.is_symlink())]
    ):
        files = _event_files(folder)
        if not files:
            continue
        relative = folder.relative_to(base).as_posix()
        name = base.name if relative == "." else relative
        runs.append(TensorBoardRun(folder, files, name))
    return runs


def _read_summary(run: ImportedRun, summary: Any, wall_time: float, step: int) -> None:
    values: dict[str, Any] = {}
    for value in summary.value:
        kind = value.WhichOneof("value")
        tag = value.tag
        if kind == "simple_value":
            values[tag] = float(value.simple_value)
        elif kind == "histo":
            run.histograms.append((wall_time, tag, step, *_histogram(value.histo)))
        elif kind == "image":
            run.media.append(
                (wall_time, tag, step, None, "image.png", bytes(value.image.encoded_image_string))
            )
        elif kind == "tensor":
            _read_tensor(run, values, value, wall_time, step)
        elif value.metadata.plugin_data.plugin_name == "hparams":
            _read_hparams(run, value.metadata.plugin_data.content)
        else:
            run.skip(kind or "unknown summary")
    if values:
        run.rows.append((wall_time, step, values))


def _histogram(histo: Any) -> tuple[list[float], list[float]]:
    """TensorBoard keeps right bucket limits and the min/max: rebuild the bin edges."""
    limits = [float(x) for x in histo.bucket_limit]
    counts = [float(x) for x in histo.bucket]
    if not limits:
        return [float(histo.min), float(histo.max)], [float(histo.num)]
    edges = [min(float(histo.min), limits[0])]
    for limit in limits:
        edges.append(float(histo.max) if abs(limit) >= _HUGE else limit)
    # tensorboardX opens with an empty bucket ending at the first edge: it has no width.
    while len(counts) > 1 and counts[0] == 0 and edges[0] == edges[1]:
        edges.pop(0)
        counts.pop(0)
    return edges, counts


def _read_tensor(
    run: ImportedRun, values: dict[str, Any], value: Any, wall_time: float, step: int
) -> None:
    from tensorboard.util import tensor_util

    plugin = value.metadata.plugin_data.plugin_name
    tag = value.tag
    try:
        array = tensor_util.make_ndarray(value.tensor)
    except Exception:
        run.skip(f"{plugin or 'tensor'} summary")
        return
    if plugin in ("scalars", "") and array.size == 1 and array.dtype.kind in "fiub":
        values[tag] = float(array.reshape(()))
    elif plugin == "text":
        for text in array.reshape(-1):
            decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            run.log_lines.append(f"[{tag} step {step}] {decoded}")
    elif plugin == "histograms" and array.ndim == 2 and array.shape[1] == 3:
        edges = [float(array[0, 0]), *(float(right) for right in array[:, 1])]
        run.histograms.append((wall_time, tag, step, edges, [float(c) for c in array[:, 2]]))
    elif plugin == "images" and array.ndim == 1 and array.size >= 3:
        for index, encoded in enumerate(array[2:]):
            run.media.append(
                (
                    wall_time,
                    tag,
                    step,
                    f"{index}" if array.size > 3 else None,
                    "i.png",
                    bytes(encoded),
                )
            )
    elif plugin == "hparams":
        _read_hparams(run, value.metadata.plugin_data.content)
    else:
        run.skip(f"{plugin} summary")


def _read_hparams(run: ImportedRun, content: bytes) -> None:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return
    for key, raw in data.session_start_info.hparams.items():
        kind = raw.WhichOneof("kind")
        if kind == "number_value":
            number = raw.number_value
            run.config[key] = (
                int(number) if number.is_integer() and not math.isinf(number) else number
            )
        elif kind == "string_value":
            run.config[key] = raw.string_value
        elif kind == "bool_value":
            run.config[key] = raw.bool_value


def iter_scalars(path: Path) -> Iterator[tuple[str, int, float, float]]:
    """``(tag, step, wall_time, value)`` of every scalar in one event file (for benchmarks)."""
    loader = _loader()
    for event in loader.LegacyEventFileLoader(str(path)).Load():
        if event.HasField("summary"):
            for value in event.summary.value:
                if value.WhichOneof("value") == "simple_value":
                    yield value.tag, int(event.step), event.wall_time, value.simple_value
