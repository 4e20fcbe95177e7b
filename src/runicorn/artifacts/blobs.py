"""Content-addressed file storage: ``.runicorn/blobs/<sha256[:2]>/<sha256>``.

A blob is written once (hashed while it is copied, into a temp file that is fsynced and then
renamed into place) and never changed, so a reader sees a whole blob or none. Identical
contents are stored once. Memory stays at one copy buffer whatever the file size.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runicorn.errors import CorruptBlobError, UnsafePathError

CHUNK_SIZE = 4 << 20
TEMP_DIR_NAME = "tmp"
STALE_TEMP_SECONDS = 24 * 3600.0
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_SHARD_PATTERN = re.compile(r"^[0-9a-f]{2}$")


def check_sha256(sha256: str) -> str:
    """``sha256`` if it is 64 lower-case hex digits (so it is safe as a file name)."""
    if not isinstance(sha256, str) or not _SHA256_PATTERN.match(sha256):
        raise UnsafePathError(f"{sha256!r} is not a sha256 hex digest")
    return sha256


def hash_file(path: Path, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
    """The sha256 and size of the file at ``path``, read in fixed-size chunks."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    size = 0
    with open(path, "rb", buffering=0) as source:
        while True:
            count = source.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
            size += count
    return digest.hexdigest(), size


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob."""

    sha256: str
    size: int
    path: Path


class BlobStore:
    """The blobs of one storage root."""

    def __init__(self, blobs_dir: Path) -> None:
        self.root = blobs_dir

    def path_of(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives (whether or not it exists)."""
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store the file at ``source``; returns its sha256 and size.

        The file is read once: each chunk is hashed and written to a temp file beside the
        blobs, which is fsynced and renamed to its hash (or dropped when that blob exists).
        """
        temp_dir = self.root / TEMP_DIR_NAME
        temp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        size = 0
        fd, temp_name = tempfile.mkstemp(prefix="blob.", suffix=".tmp", dir=temp_dir)
        try:
            with open(source, "rb", buffering=0) as reader, os.fdopen(fd, "wb", 0) as writer:
                while True:
                    count = reader.readinto(buffer)
                    if not count:
                        break
                    chunk = view[:count]
                    digest.update(chunk)
                    writer.write(chunk)
                    size += count
                os.fsync(writer.fileno())
            sha256 = digest.hexdigest()
            target = self.path_of(sha256)
            if target.is_file() and target.stat().st_size == size:
                os.unlink(temp_name)
                return sha256, size
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp_name, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(temp_name, target)
            _fsync_dir(target.parent)
            return sha256, size
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise

    def open_verified(self, sha256: str) -> Path:
        """The blob's path after checking its bytes; :class:`CorruptBlobError` when they differ."""
        path = self.path_of(sha256)
        actual, _ = hash_file(path)
        if actual != sha256:
            raise CorruptBlobError(
                f"blob {sha256[:12]}… no longer matches its hash (bytes changed on disk); "
                "run `runicorn gc --verify` and log the artifact again"
            )
        return path

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob (temp files excluded)."""
        if not self.root.is_dir():
            return
        for shard in sorted(os.scandir(self.root), key=lambda e: e.name):
            if not _SHARD_PATTERN.match(shard.name) or not shard.is_dir(follow_symlinks=False):
                continue
            for entry in sorted(os.scandir(shard.path), key=lambda e: e.name):
                if entry.is_file(follow_symlinks=False) and _SHA256_PATTERN.match(entry.name):
                    yield BlobInfo(entry.name, entry.stat().st_size, Path(entry.path))

    def remove(self, sha256: str) -> int:
        """Delete blob ``sha256``; returns the bytes freed (0 if it was gone)."""
        path = self.path_of(sha256)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def stale_temp_files(self, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
        """Temp files left by a process killed mid-write, older than ``older_than`` seconds."""
        temp_dir = self.root / TEMP_DIR_NAME
        if not temp_dir.is_dir():
            return []
        cutoff = time.time() - older_than
        return [p for p in temp_dir.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
