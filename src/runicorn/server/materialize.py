"""A run's local cache folder, brought up to date from the object store.

Append-only files grow by the segments past the local file's size (only new bytes are
fetched); documents and media are fetched when their digest in the index changed. The folder
is then read by the same code as a local run folder (metric cache, logs, exporters).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from runicorn.security.path_validation import resolve_under
from runicorn.server.index import PostgresIndex
from runicorn.server.objects import APPEND_ONLY_FILES, ObjectStore, segment_key_parts
from runicorn.storage.layout import ensure_within


class RunCache:
    """Local copies of runs under ``root``; one lock per run so two requests never append the
    same segment twice."""

    def __init__(self, root: Path, index: PostgresIndex, store: ObjectStore) -> None:
        self.root = root
        self.index = index
        self.store = store
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._documents: dict[str, dict[str, str]] = {}
        self._opened: dict[str, str] = {}

    def _lock(self, run_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(run_id, threading.Lock())

    def folder(self, run_path: str) -> Path:
        return ensure_within(self.root, self.root / run_path)

    def refresh(self, run_id: str, run_path: str) -> Path:
        """The run's folder with every segment and document the index lists."""
        folder = self.folder(run_path)
        with self._lock(run_id):
            self._opened[run_id] = run_path
            folder.mkdir(parents=True, exist_ok=True)
            for file in APPEND_ONLY_FILES:
                self._extend(run_id, run_path, folder / file, file)
            self._fetch_documents(run_id, run_path, folder)
        return folder

    def _extend(self, run_id: str, run_path: str, target: Path, file: str) -> None:
        size = target.stat().st_size if target.exists() else 0
        segments = self.index.segments(run_id, file, after=size)
        if not segments:
            return
        with open(target, "ab") as handle:
            for start, length in segments:
                if start > size:
                    break  # a gap: that segment is not stored yet; later requests resume
                data = self.store.get(self.store.run_key(run_path, *segment_key_parts(file, start)))
                handle.write(data[size - start : length])
                size = start + min(length, len(data))
            handle.flush()
            os.fsync(handle.fileno())

    def accept_segment(
        self, run_id: str, run_path: str, file: str, start: int, data: bytes
    ) -> None:
        """Append a segment just stored by this process to the cached file, when it continues
        exactly where the file ends, so the commit that follows does not fetch it back from the
        object store. Anything else is left to :meth:`refresh`."""
        with self._lock(run_id):
            if self._opened.get(run_id) != run_path:
                return  # no cache folder for this run in this process yet: refresh builds it
            target = self.folder(run_path) / file
            size = target.stat().st_size if target.exists() else 0
            if size != start:
                return
            with open(target, "ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())

    def _fetch_documents(self, run_id: str, run_path: str, folder: Path) -> None:
        have = self._documents.setdefault(run_id, {})
        for path, (sha256, _size) in self.index.documents(run_id).items():
            if have.get(path) == sha256:
                continue
            target = resolve_under(folder, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, self.store.get(self.store.run_key(run_path, path)))
            have[path] = sha256

    def opened(self) -> dict[str, str]:
        """``run_id -> run_path`` of the runs this process has a cache folder for."""
        with self._locks_guard:
            return dict(self._opened)

    def forget(self, run_id: str, run_path: str, document: str | None = None) -> None:
        """Drop the local copy of one document, or of the whole run."""
        with self._lock(run_id):
            folder = self.folder(run_path)
            if document is not None:
                self._documents.get(run_id, {}).pop(document, None)
                resolve_under(folder, document).unlink(missing_ok=True)
                return
            self._documents.pop(run_id, None)
            self._opened.pop(run_id, None)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temp file and a rename: readers never see it torn."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
