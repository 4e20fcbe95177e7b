"""Reading ``logs.txt`` by byte offset, whole lines at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runicorn.storage.run_files import LOGS_FILE
from runicorn.viewer.services.storage import RunService

DEFAULT_LOG_LIMIT = 256 * 1024


def read_log_window(
    path: Path, offset: int | None, limit: int, *, include_partial: bool = False
) -> dict[str, Any]:
    """Whole lines of ``path`` from byte ``offset`` (or the last ``limit`` bytes when None).

    A last line without its newline is still being written and is left for the next read,
    unless ``include_partial`` (the run has ended). A single line longer than ``limit`` is
    returned in pieces so that a reader always makes progress.
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            start = max(0, size - limit) if offset is None else min(max(offset, 0), size)
            handle.seek(start)
            data = handle.read(min(limit, size - start))
    except FileNotFoundError:
        return {"text": "", "offset": 0, "next_offset": 0, "size": 0}
    if offset is None and start > 0:
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]
            start += newline + 1
    at_end = start + len(data) >= size
    if not (include_partial and at_end):
        newline = data.rfind(b"\n")
        if newline >= 0:
            data = data[: newline + 1]
        elif len(data) < limit:
            data = b""
    return {
        "text": data.decode("utf-8", errors="replace"),
        "offset": start,
        "next_offset": start + len(data),
        "size": size,
    }


class LogService:
    """Log windows of runs."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs

    def read(self, run_id: str, offset: int | None, limit: int) -> dict[str, Any]:
        record, folder = self.runs.locate(run_id)
        return read_log_window(
            folder / LOGS_FILE, offset, limit, include_partial=record.status != "running"
        )

    def path(self, run_id: str) -> Path:
        return self.runs.run_path(run_id) / LOGS_FILE
