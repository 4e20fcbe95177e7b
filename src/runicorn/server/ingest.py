"""Taking runs into a server's storage: appended bytes as segments, documents by digest.

Idempotent by offsets: each segment of an append-only file is one object named after its
start offset, recorded in the index only once, so sending the same offset again changes
nothing. Only complete lines are taken; the rest waits for the next pass. The HTTP push
receiver calls :func:`ingest_segment` and :func:`store_document` with what clients send;
:func:`ingest_root` feeds a whole local root (tests, one-off imports).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runicorn.errors import RunicornError, StorageError
from runicorn.security.path_validation import open_under, safe_relative_path
from runicorn.server.objects import APPEND_ONLY_FILES, segment_key_parts
from runicorn.storage.layout import ensure_within
from runicorn.storage.models import ExperimentRecord
from runicorn.storage.run_files import read_record

if TYPE_CHECKING:
    from runicorn.server.backend import ServerStorageBackend

log = logging.getLogger(__name__)
_READ_CHUNK = 64 << 20


class SegmentConflictError(StorageError):
    """A segment that does not continue what the server holds (a gap or an overlap)."""


@dataclass
class IngestReport:
    """What one pass took in."""

    runs: list[str] = field(default_factory=list)
    bytes_appended: int = 0
    documents: int = 0
    conflicts: list[str] = field(default_factory=list)


def ingest_segment(
    backend: ServerStorageBackend, run_id: str, run_path: str, file: str, start: int, data: bytes
) -> bool:
    """Store ``data`` as the segment of ``file`` starting at byte ``start``.

    Returns False for a re-send (a segment already starts there: nothing changes). A start
    past the stored end (a gap) or inside a stored segment raises
    :class:`SegmentConflictError`. ``data`` should end at a line break.
    """
    if file not in APPEND_ONLY_FILES:
        raise StorageError(f"{file!r} is not an append-only run file")
    index = backend.index
    end = index.segment_end(run_id, file)
    if start < end:
        if any(s == start for s, _ in index.segments(run_id, file, after=start)):
            return False
        raise SegmentConflictError(
            f"run {run_id}: {file} segment at byte {start} overlaps what the server holds "
            f"(up to byte {end})"
        )
    if start > end:
        raise SegmentConflictError(
            f"run {run_id}: {file} segment at byte {start} leaves a gap (the server holds {end} "
            "bytes); send from there"
        )
    if not data:
        return False
    backend.store.put(backend.store.run_key(run_path, *segment_key_parts(file, start)), data)
    added = index.add_segment(run_id, file, start, len(data))
    if added:
        backend.cache.accept_segment(run_id, run_path, file, start, data)
    return added


def store_document(
    backend: ServerStorageBackend, run_id: str, run_path: str, path: str, data: bytes
) -> bool:
    """Store a whole file of the run (JSON document, media); False when unchanged."""
    clean = safe_relative_path(path).as_posix()
    digest = hashlib.sha256(data).hexdigest()
    known = backend.index.documents(run_id).get(clean)
    if known is not None and known[0] == digest:
        return False
    backend.store.put(backend.store.run_key(run_path, clean), data)
    backend.index.set_document(run_id, clean, digest, len(data))
    return True


def remove_document(backend: ServerStorageBackend, run_id: str, run_path: str, path: str) -> None:
    """Delete one stored file of the run (``deleted.json`` on restore)."""
    clean = safe_relative_path(path).as_posix()
    backend.store.delete(backend.store.run_key(run_path, clean))
    backend.index.remove_document(run_id, clean)


def ingest_run_dir(
    backend: ServerStorageBackend,
    source_root: Path,
    run_path: Path,
    report: IngestReport | None = None,
) -> ExperimentRecord:
    """Send one local run folder's new bytes and changed files, then index what it says."""
    report = report if report is not None else IngestReport()
    source_root = source_root.resolve()
    folder = ensure_within(source_root, run_path)
    record = read_record(source_root, folder)
    relative = folder.relative_to(source_root).as_posix()
    for file in APPEND_ONLY_FILES:
        sent = _send_appended(backend, source_root, record.id, relative, folder, file)
        report.bytes_appended += sent
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if name in APPEND_ONLY_FILES or path.is_symlink() or not path.is_file():
            continue
        try:
            with open_under(source_root, path) as handle:
                data = handle.read()
        except (OSError, RunicornError) as exc:
            log.warning("runicorn: %s of run %s not sent: %s", name, record.id, exc)
            continue
        if store_document(backend, record.id, relative, name, data):
            report.documents += 1
    record.path = relative
    backend.index.upsert_run(record)
    report.runs.append(record.id)
    return record


def _send_appended(
    backend: ServerStorageBackend, root: Path, run_id: str, relative: str, folder: Path, file: str
) -> int:
    source = folder / file
    if not source.exists():
        return 0
    end = backend.index.segment_end(run_id, file)
    with open_under(root, source) as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size < end:
            raise SegmentConflictError(
                f"run {run_id}: the local {file} ({size} bytes) is shorter than the server's "
                f"({end} bytes): conflict, not sent"
            )
        sent = 0
        handle.seek(end)
        while end < size:
            chunk = handle.read(min(_READ_CHUNK, size - end))
            complete = chunk[: chunk.rfind(b"\n") + 1]
            if not complete:
                break  # a torn last line: it is sent once it is whole
            ingest_segment(backend, run_id, relative, file, end, complete)
            end += len(complete)
            sent += len(complete)
            handle.seek(end)
    return sent


def ingest_root(
    backend: ServerStorageBackend,
    root: Path,
    *,
    project: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Take every run of the local root ``root`` (per its manifest) into the server."""
    from runicorn.manifest import generate

    root = Path(root).resolve()
    manifest = generate(root, project=project)
    report = IngestReport()
    for done, entry in enumerate(manifest.runs, start=1):
        try:
            ingest_run_dir(backend, root, root / entry.path, report)
        except SegmentConflictError as exc:
            report.conflicts.append(str(exc))
        if progress:
            progress(done, len(manifest.runs))
    return report
