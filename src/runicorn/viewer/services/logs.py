"""Reading ``logs.txt`` by byte offset, whole lines at a time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from runicorn.errors import RunNotFoundError
from runicorn.security.path_validation import open_under
from runicorn.storage.run_files import LOGS_FILE
from runicorn.viewer.services.storage import RunService

DEFAULT_LOG_LIMIT = 256 * 1024


def read_log_window(
    path: Path,
    offset: int | None,
    limit: int,
    *,
    include_partial: bool = False,
    root: Path | None = None,
) -> dict[str, Any]:
    """Whole lines of ``path`` from byte ``offset`` (or the last ``limit`` bytes when None).

    A last line without its newline is still being written and is left for the next read,
    unless ``include_partial`` (the run has ended). A single line longer than ``limit`` is
    returned in pieces so that a reader always makes progress. ``path`` must stay under
    ``root`` (by default its own folder): a link leading elsewhere is an
    :class:`~runicorn.errors.UnsafePathError`.
    """
    try:
        with open_under(root or path.parent, path) as handle:
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
    """Log windows of runs, and their whole ``logs.txt`` for download."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs

    def read(self, run_id: str, offset: int | None, limit: int) -> dict[str, Any]:
        record, folder = self.runs.locate(run_id)
        return read_log_window(
            folder / LOGS_FILE,
            offset,
            limit,
            include_partial=record.status != "running",
            root=self.runs.root,
        )

    def open(self, run_id: str) -> tuple[str, BinaryIO, int]:
        """The run's id, its ``logs.txt`` opened (never through a link leaving the root), size.

        :class:`RunNotFoundError` when the run has no ``logs.txt`` yet.
        """
        record, folder = self.runs.locate(run_id)
        try:
            handle = open_under(self.runs.root, folder / LOGS_FILE)
        except FileNotFoundError:
            raise RunNotFoundError(f"run {record.id} has no logs.txt yet") from None
        return record.id, handle, os.fstat(handle.fileno()).st_size


def iter_file(handle: BinaryIO, size: int, chunk: int = 1 << 16) -> Iterator[bytes]:
    """The first ``size`` bytes of ``handle`` in chunks, then close it (a live log grows)."""
    with handle:
        remaining = size
        while remaining > 0:
            data = handle.read(min(chunk, remaining))
            if not data:
                return
            remaining -= len(data)
            yield data
