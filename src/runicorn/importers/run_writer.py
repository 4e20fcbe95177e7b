"""Writing a run read from another tracker into the storage root, the way the SDK lays it out.

An imported run gets a stable id derived from where it came from, so importing the same source
again finds it and skips it. Its files are written into a private folder under the index folder
(plainly: nobody reads them there) and the folder is moved into place at the end, so an
interrupted import leaves no half run behind.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.jsonio import dumps, encode_nonfinite
from runicorn.storage.layout import INDEX_DIR_NAME, run_dir
from runicorn.storage.run_files import (
    DELETED_FILE,
    LOGS_FILE,
    MEDIA_DIR,
    META_FILE,
    STATUS_FILE,
    SUMMARY_FILE,
)

FILES_DIR = "files"
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class ImportedRun:
    """Everything read from one source run, in Runicorn's terms.

    ``rows`` are metric rows ``(wall_time, step, {key: value})``; ``media`` are
    ``(wall_time, key, step, caption, file_name, content)`` with ``content`` bytes or a path;
    ``histograms`` are ``(wall_time, key, step, edges, counts)``; ``files`` are
    ``(relative path in the run's files/, source path)``; ``run_files`` are copied as they are
    (relative to the run folder) and ``raw_events`` is an ``events.jsonl`` taken over whole.
    """

    source: str
    source_id: str
    project: str
    name: str
    created_at: float | None = None
    ended_at: float | None = None
    status: str = "finished"
    exit_reason: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    alias: str | None = None
    run_id: str | None = None
    rows: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    system: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    media: list[tuple[float, str, int, str | None, str, bytes | Path]] = field(default_factory=list)
    histograms: list[tuple[float, str, int, list[float], list[float]]] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)
    run_files: list[tuple[str, Path]] = field(default_factory=list)
    raw_events: Path | None = None
    deleted_at: float | None = None
    origin: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, what: str, count: int = 1) -> None:
        """Note something the source held that is not imported (reported to the user)."""
        self.skipped[what] = self.skipped.get(what, 0) + count

    @property
    def points(self) -> int:
        """How many metric values the run holds."""
        return sum(len(values) for _, _, values in self.rows)


def stable_run_id(source: str, source_id: str, created_at: float | None) -> str:
    """``YYYYMMDD_HHMMSS_xxxxxx`` from the source's start time and a hash of where it came from."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(created_at or 0))
    number = int.from_bytes(hashlib.sha256(f"{source}\0{source_id}".encode()).digest()[:8], "big")
    suffix = ""
    for _ in range(6):
        number, digit = divmod(number, len(_ID_ALPHABET))
        suffix += _ID_ALPHABET[digit]
    return f"{stamp}_{suffix}"


def _metric_line(wall_time: float, step: int, values: dict[str, Any]) -> bytes:
    data = {**values, "global_step": step, "time": wall_time}
    line = orjson.dumps({"ts": wall_time, "type": "metrics", "data": data})
    if b"null" in line:  # orjson writes NaN/Infinity as null: keep them as tokens
        data = {
            key: encode_nonfinite(value)
            if isinstance(value, float) and not math.isfinite(value)
            else value
            for key, value in data.items()
        }
        line = orjson.dumps({"ts": wall_time, "type": "metrics", "data": data})
    return line + b"\n"


def _event_lines(run: ImportedRun, media_names: list[str]) -> Iterable[tuple[float, bytes]]:
    for wall_time, step, values in run.rows:
        yield wall_time, _metric_line(wall_time, step, values)
    for wall_time, values in run.system:
        yield wall_time, dumps({"ts": wall_time, "type": "system", "data": values}) + b"\n"
    for (wall_time, key, step, caption, _, _), name in zip(run.media, media_names, strict=True):
        data = {"key": key, "path": f"{MEDIA_DIR}/{name}", "step": step, "caption": caption}
        yield wall_time, dumps({"ts": wall_time, "type": "image", "data": data}) + b"\n"
    for wall_time, key, step, edges, counts in run.histograms:
        data = {"key": key, "step": step, "edges": edges, "counts": counts}
        yield wall_time, dumps({"ts": wall_time, "type": "histogram", "data": data}) + b"\n"


def _safe_file_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return cleaned.strip(".")[:120] or "file"


def _copy_tree_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def write_run(root: Path, run: ImportedRun) -> Path:
    """Write ``run`` under ``root`` and return its folder (which must not exist yet)."""
    run_id = run.run_id or stable_run_id(run.source, run.source_id, run.created_at)
    final = run_dir(root, run.project, run.name, run_id)
    if final.exists():
        raise FileExistsError(f"run {run_id} is already at {final}")
    staging = root / INDEX_DIR_NAME / "import-staging" / run_id
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        media_names: list[str] = []
        if run.media:
            (staging / MEDIA_DIR).mkdir()
        for number, (_, key, step, _, file_name, content) in enumerate(run.media, start=1):
            suffix = Path(file_name).suffix.lower() or ".png"
            name = f"{_safe_file_name(key)[:64]}_{step}_{number}{suffix}"
            if isinstance(content, Path):
                shutil.copyfile(content, staging / MEDIA_DIR / name)
            else:
                (staging / MEDIA_DIR / name).write_bytes(content)
            media_names.append(name)
        with open(staging / EVENTS_FILE, "wb") as events:
            if run.raw_events is not None:
                with open(run.raw_events, "rb") as raw:
                    shutil.copyfileobj(raw, events)
            lines = list(_event_lines(run, media_names))
            lines.sort(key=lambda item: item[0])
            events.writelines(line for _, line in lines)
        if run.log_lines:
            with open(staging / LOGS_FILE, "w", encoding="utf-8") as logs:
                logs.writelines(
                    line if line.endswith("\n") else line + "\n" for line in run.log_lines
                )
        for relative, source in run.files:
            _copy_tree_file(source, staging / FILES_DIR / relative)
        for relative, source in run.run_files:
            _copy_tree_file(source, staging / relative)
        ended = run.ended_at or (run.rows[-1][0] if run.rows else run.created_at)
        meta: dict[str, Any] = {
            "id": run_id,
            "project": run.project,
            "name": run.name,
            "created_at": run.created_at,
            "config": run.config,
            "tags": list(dict.fromkeys(run.tags)),
            "notes": run.notes,
            "imported_from": {
                "source": run.source,
                "id": run.source_id,
                "imported_at": time.time(),
                **run.origin,
            },
        }
        if run.alias:
            meta["alias"] = run.alias
        (staging / META_FILE).write_bytes(dumps(meta, indent=True))
        status = {
            "status": run.status,
            "started_at": run.created_at,
            "ended_at": ended,
            "heartbeat_at": ended,
            "exit_reason": run.exit_reason,
        }
        (staging / STATUS_FILE).write_bytes(dumps(status, indent=True))
        (staging / SUMMARY_FILE).write_bytes(dumps(run.summary, indent=True))
        if run.deleted_at is not None:
            (staging / DELETED_FILE).write_bytes(dumps({"deleted_at": run.deleted_at}))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
