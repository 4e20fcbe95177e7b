"""Getting a version's files out of the store: into a folder, or as a streamed zip."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from runicorn.artifacts.blobs import CHUNK_SIZE
from runicorn.artifacts.interface import ArtifactCatalog, StreamsBlobs
from runicorn.artifacts.models import ArtifactVersion
from runicorn.security.path_validation import resolve_under

ZIP_FLUSH_BYTES = 1 << 20


def download_version(store: ArtifactCatalog, version: ArtifactVersion, target: Path) -> Path:
    """Copy every file of ``version`` under ``target`` (verified; paths kept inside it)."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for rel_path, entry in sorted(version.files.items()):
        blob = store.verified_blob(entry)
        destination = resolve_under(target, rel_path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".part.", dir=destination.parent)
        try:
            with open(blob, "rb") as reader, os.fdopen(fd, "wb") as writer:
                shutil.copyfileobj(reader, writer, CHUNK_SIZE)
            os.replace(temp_name, destination)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
    return target


class _ChunkSink:
    """A write-only file object that hands what is written to a generator in pieces."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pending = 0
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.pending += len(data)
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.pending = 0
        return data


def zip_chunks(store: ArtifactCatalog, version: ArtifactVersion) -> Iterator[bytes]:
    """The version's files as a zip (stored, zip64), produced piece by piece.

    Every blob is verified before its bytes are sent, so a corrupt blob ends the download
    with an error instead of a zip holding wrong contents.
    """
    sources = _file_sources(store, version)
    sink = _ChunkSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for rel_path, chunks in sources.items():
            info = zipfile.ZipInfo(rel_path, date_time=(1980, 1, 1, 0, 0, 0))
            info.file_size = version.files[rel_path].size
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks():
                    member.write(chunk)
                    if sink.pending >= ZIP_FLUSH_BYTES:
                        yield sink.take()
            if sink.pending:
                yield sink.take()
    if sink.pending:
        yield sink.take()


def _file_sources(
    store: ArtifactCatalog, version: ArtifactVersion
) -> dict[str, Callable[[], Iterator[bytes]]]:
    """Per file of ``version``, a reader of its bytes: a verified local blob, or (a team
    server's catalog) a stream from the object store, which checked the bytes on arrival."""
    sources: dict[str, Callable[[], Iterator[bytes]]] = {}
    for rel_path, entry in sorted(version.files.items()):
        if isinstance(store, StreamsBlobs):
            _, remote = store.blob_range(version, rel_path)
            sources[rel_path] = partial(remote.chunks, 0, entry.size)
        else:
            sources[rel_path] = partial(_read_chunks, store.verified_blob(entry))
    return sources


def _read_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK_SIZE):
            yield chunk
