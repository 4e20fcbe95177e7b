"""W&B offline run folders (``run-*.wandb``), read with W&B's own reader.

The records of the run's transaction log are decoded by ``wandb-core`` (the reader behind
``wandb leet inspect``); this module turns them into a run: the run record gives project,
name, config, tags and notes; history rows keep ``_step`` and ``_timestamp``; images and
histograms logged as media become media and histogram events; system stats become system
metrics; console output becomes ``logs.txt``; the exit record gives the status. Other media
(tables, audio, video, HTML, 3D objects) are counted as not imported.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from runicorn.importers import MissingExtraError, safe_name
from runicorn.importers.run_writer import ImportedRun
from runicorn.storage.jsonio import as_float

_RUN_FILES_SKIPPED = frozenset(
    {"config.yaml", "wandb-summary.json", "wandb-metadata.json", "output.log", "requirements.txt"}
)


def _core_path() -> str:
    try:
        from wandb.util import get_core_path
    except ImportError as exc:
        raise MissingExtraError("wandb", "the wandb package") from exc
    try:
        return str(get_core_path())
    except Exception as exc:  # a wandb build without its wandb-core binary for this platform
        raise MissingExtraError("wandb", "wandb with its wandb-core reader") from exc


def read_records(run_file: Path) -> Iterator[dict[str, Any]]:
    """Every record of a ``run-*.wandb`` file, decoded by ``wandb-core``."""
    command = [
        _core_path(),
        "leet",
        "inspect",
        "--json",
        "--no-observability",
        "--run-file",
        str(run_file),
        str(run_file.parent.parent),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip():
                yield orjson.loads(line)
        error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        if process.wait() != 0:
            raise ValueError(f"wandb-core could not read {run_file}: {error.strip()[:500]}")


def _timestamp(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return as_float(value)


@dataclass
class WandbRun:
    """One offline run folder."""

    run_file: Path

    @property
    def source_id(self) -> str:
        return self.run_file.stem.removeprefix("run-")

    @property
    def label(self) -> str:
        return str(self.run_file.parent)

    @property
    def created_at(self) -> float | None:
        # offline-run-20241201_101059-<id>: the folder name carries the start time
        stamp = self.run_file.parent.name.split("-")
        try:
            when = dt.datetime.strptime(stamp[-2], "%Y%m%d_%H%M%S")
        except (IndexError, ValueError):
            return None
        return when.replace(tzinfo=dt.timezone.utc).timestamp()

    def read(self, project: str | None) -> ImportedRun:
        run = ImportedRun(
            source="wandb",
            source_id=self.source_id,
            project=project or "wandb",
            name="default",
            created_at=self.created_at,
            status="crashed",
            exit_reason="no exit record (the process ended without wandb.finish)",
            origin={"path": str(self.run_file.parent)},
        )
        files = self.run_file.parent / "files"
        last_time: float | None = None
        for record in read_records(self.run_file):
            kind = record.get("type")
            body = record.get(kind) if isinstance(kind, str) else None
            if not isinstance(body, dict):
                continue
            if kind == "run":
                self._read_run(run, body, project)
            elif kind == "config":
                run.config.update(_config(body))
            elif kind == "history":
                last_time = _read_history(run, body, files) or last_time
            elif kind == "summary":
                update = body.get("update") or {}
                run.summary.update(
                    {k: v for k, v in update.items() if not k.startswith("_") and "." not in k}
                )
            elif kind == "stats":
                _read_stats(run, body)
            elif kind == "output_raw":
                run.log_lines.append(str(body.get("line", "")).rstrip("\n"))
            elif kind == "exit":
                code = body.get("exit_code", 0)
                run.status = "finished" if not code else "failed"
                run.exit_reason = None if not code else f"exit code {code}"
                runtime = body.get("runtime")
                if isinstance(runtime, int | float) and run.created_at is not None:
                    run.ended_at = run.created_at + runtime
        run.log_lines = [line for line in run.log_lines if line]
        run.ended_at = run.ended_at or last_time
        if files.is_dir():
            for path in sorted(files.rglob("*")):
                relative = path.relative_to(files).as_posix()
                if path.is_symlink() or not path.is_file() or relative in _RUN_FILES_SKIPPED:
                    continue
                if not relative.startswith("media/"):
                    run.files.append((relative, path))
        return run

    @staticmethod
    def _read_run(run: ImportedRun, body: dict[str, Any], project: str | None) -> None:
        run.project = project or safe_name(str(body.get("project") or "wandb"), allow_slash=False)
        run.name = safe_name(str(body.get("display_name") or body.get("run_id") or "default"))
        run.created_at = _timestamp(body.get("start_time")) or run.created_at
        run.config.update(_config(body.get("config") or {}))
        run.tags = [str(tag) for tag in body.get("tags") or []]
        run.notes = str(body.get("notes") or "")
        for key in ("group", "job_type"):
            if body.get(key):
                run.tags.append(f"{key}:{body[key]}")
        run.origin["run_id"] = body.get("run_id")


def _config(body: dict[str, Any]) -> dict[str, Any]:
    update = body.get("update") or {}
    return {k: v for k, v in update.items() if k != "_wandb"}


def _read_history(run: ImportedRun, body: dict[str, Any], files: Path) -> float | None:
    item = body.get("item") or {}
    step_info = body.get("step") or {}
    step = int(step_info.get("num", item.get("_step", 0)) or 0)
    wall_time = as_float(item.get("_timestamp")) or run.created_at or 0.0
    media: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] = {}
    for key, value in _flatten(item):
        if key.startswith("_"):
            continue
        owner, dot, field_name = key.rpartition(".")
        if dot and f"{owner}._type" in item:
            media.setdefault(owner, {})[field_name] = value
            continue
        number = _number(value)
        if number is None:
            run.skip("non-numeric history values")
            continue
        values[key] = number
    if values:
        run.rows.append((wall_time, step, values))
    for key, fields in media.items():
        kind = fields.get("_type")
        if kind == "image-file" and isinstance(fields.get("path"), str):
            source = (files / fields["path"]).resolve()
            if files.resolve() in source.parents and source.is_file():
                caption = fields.get("caption")
                run.media.append(
                    (
                        wall_time,
                        key,
                        step,
                        caption if isinstance(caption, str) else None,
                        source.name,
                        source,
                    )
                )
            else:
                run.skip("image files missing from the run folder")
        elif kind == "histogram":
            edges = [float(x) for x in fields.get("bins") or []]
            counts = [float(x) for x in fields.get("values") or []]
            if len(edges) == len(counts) + 1:
                run.histograms.append((wall_time, key, step, edges, counts))
        else:
            run.skip(f"{kind} media")
    return wall_time


def _flatten(item: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested dicts logged to W&B, named as W&B shows them (``val.acc``)."""
    for key, value in item.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _read_stats(run: ImportedRun, body: dict[str, Any]) -> None:
    when = _timestamp(body.get("timestamp"))
    item = body.get("item") or {}
    sample = {
        f"system/{key}": number
        for key, value in item.items()
        if (number := _number(value)) is not None
    }
    if when is not None and sample:
        run.system.append((when, sample))


def discover(path: Path) -> list[WandbRun]:
    """Every ``run-*.wandb`` file under ``path`` (a wandb folder, a run folder or the file)."""
    _core_path()
    base = path.resolve()
    if base.is_file():
        return [WandbRun(base)]
    return [WandbRun(file) for file in sorted(base.rglob("run-*.wandb")) if not file.is_symlink()]
