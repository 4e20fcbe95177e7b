"""Moving runs in and out of a storage root: archives, and metric tables for other tools.

- :func:`export_archive` writes runs to a ``.tar.gz``: each run folder under its path in the
  root, and a ``manifest.json`` (last) with every file's size and SHA-256.
- :func:`import_archive` reads such an archive as a stream and refuses it, before anything
  lands in the root, when it holds links, device files, absolute paths, ``..``, or grows past a
  size limit (checked while reading, so a gzip bomb stops early). Runs whose files do not match
  the manifest, or whose id already exists, are skipped and reported; nothing is overwritten.
  Imported runs are indexed.
- :func:`export_metrics` writes the metric rows of runs as CSV, JSON (records) or Parquet.

The CLI (``runicorn export`` / ``runicorn import``) and the viewer's API both call these.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import math
import os
import secrets
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

import numpy as np

from runicorn.artifacts.transfer import adopt_artifacts, export_artifacts, listed_blob_members
from runicorn.errors import InvalidNameError, RunicornError, UnsafePathError
from runicorn.security.path_validation import open_under
from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.interface import RunStorage
from runicorn.storage.jsonio import dumps, encode_nonfinite, loads
from runicorn.storage.layout import (
    INDEX_DIR_NAME,
    ensure_within,
    iter_run_dirs,
    validate_name,
    validate_run_id,
)
from runicorn.storage.models import ExperimentRecord

ProgressCallback = Callable[[int, int], None]
MetricFormat = Literal["csv", "json", "parquet"]

MANIFEST_NAME = "manifest.json"
ARCHIVE_FORMAT = "runicorn-export"
ARCHIVE_VERSION = 1
DEFAULT_MAX_ARCHIVE_BYTES = 4 << 30
DEFAULT_MAX_UNPACKED_BYTES = 16 << 30
MAX_MEMBERS = 200_000
MAX_MANIFEST_BYTES = 64 << 20
_COPY_CHUNK = 1 << 20


class ArchiveError(RunicornError, ValueError):
    """An archive is malformed or unsafe; the message names the offending member."""


class ArchiveTooLargeError(ArchiveError):
    """An archive (or what it unpacks to) is larger than the limit."""


@dataclass
class ExportResult:
    """What an export wrote."""

    runs: list[str]
    files: int = 0
    bytes: int = 0


@dataclass
class ImportResult:
    """Runs an import added, and those it skipped with the reason."""

    imported: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The API shape ``{"imported": [...], "skipped": [{"id", "reason"}]}``."""
        return {"imported": self.imported, "skipped": self.skipped}


class _HashingReader:
    """Reads at most ``size`` bytes of ``source`` and hashes exactly what was read."""

    def __init__(self, source: IO[bytes], size: int) -> None:
        self.source = source
        self.remaining = size
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        n = self.remaining if n < 0 else min(n, self.remaining)
        data = self.source.read(n)
        self.remaining -= len(data)
        self.sha256.update(data)
        return data


def _run_files(run_path: Path) -> Iterator[tuple[str, Path]]:
    """``(relative name, path)`` of every regular file in a run folder; links are skipped."""
    stack = [run_path]
    while stack:
        folder = stack.pop()
        for entry in sorted(folder.iterdir()):
            if entry.is_symlink():
                continue
            if entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                yield entry.relative_to(run_path).as_posix(), entry


def export_archive(
    backend: RunStorage,
    run_ids: Sequence[str],
    destination: Path | IO[bytes],
    *,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write ``run_ids`` (with ``manifest.json``) to a ``.tar.gz`` at ``destination``.

    Raises :class:`RunNotFoundError` for an unknown id, before anything is written.
    """
    records = [backend.get_run(run_id) for run_id in dict.fromkeys(run_ids)]
    result = ExportResult(runs=[r.id for r in records])
    manifest_runs: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        if isinstance(destination, Path):
            handle: IO[bytes] = stack.enter_context(open(destination, "wb"))
        else:
            handle = destination
        tar = stack.enter_context(tarfile.open(fileobj=handle, mode="w:gz"))
        for done, record in enumerate(records, start=1):
            run_path = backend.run_path(record.id)
            files: dict[str, dict[str, Any]] = {}
            for name, path in _run_files(run_path):
                entry = _add_file(tar, f"{record.path}/{name}", backend.root, path)
                if entry is not None:
                    files[name] = entry
                    result.files += 1
                    result.bytes += entry["size"]
            manifest_runs.append(
                {"id": record.id, "project": record.project, "name": record.name,
                 "path": record.path, "files": files}
            )  # fmt: skip
            if progress:
                progress(done, len(records))
        manifest = {
            "format": ARCHIVE_FORMAT,
            "version": ARCHIVE_VERSION,
            "created_at": time.time(),
            "runs": manifest_runs,
            "artifacts": _export_artifacts(tar, backend, records),
        }
        data = dumps(manifest, indent=True)
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
        tar.addfile(info, io.BytesIO(data))
    return result


def _add_file(tar: tarfile.TarFile, arcname: str, root: Path, path: Path) -> dict[str, Any] | None:
    try:
        handle = open_under(root, path)  # a link swapped in after listing is not followed
    except (OSError, UnsafePathError):
        return None
    with handle:
        stat = os.fstat(handle.fileno())
        # A live run's events.jsonl grows while we read: archive the size seen now, hashed
        # from the very bytes archived.
        info = tarfile.TarInfo(arcname)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _HashingReader(handle, stat.st_size)
        tar.addfile(info, reader)  # tarfile only calls read(n)
    return {"size": stat.st_size, "sha256": reader.sha256.hexdigest()}


class _LimitedReader(io.RawIOBase):
    """A reader that raises :class:`ArchiveTooLargeError` once more than ``limit`` bytes pass."""

    def __init__(self, source: IO[bytes], limit: int) -> None:
        self.source = source
        self.limit = limit
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        self.consumed += len(data)
        if self.consumed > self.limit:
            raise ArchiveTooLargeError(
                f"the archive is larger than the limit of {self.limit} bytes"
            )
        buffer[: len(data)] = data
        return len(data)


def _member_path(name: str) -> PurePosixPath:
    """A member name as a safe relative path, or :class:`ArchiveError`."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise ArchiveError(f"archive member {name!r} has an absolute or malformed path")
    path = PurePosixPath(name)
    if path.is_absolute() or any(part == ".." for part in path.parts) or not path.parts:
        raise ArchiveError(f"archive member {name!r} leaves the archive ('..')")
    if ":" in path.parts[0] or path.parts[0] == INDEX_DIR_NAME:
        raise ArchiveError(f"archive member {name!r} names a drive or the index folder")
    return path


def _check_member(member: tarfile.TarInfo) -> None:
    if member.issym() or member.islnk():
        raise ArchiveError(f"archive member {member.name!r} is a link; links are refused")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"archive member {member.name!r} is a device or special file; refused")


def import_archive(
    backend: RunStorage,
    source: Path | IO[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Add the runs of an archive made by :func:`export_archive` to the root and index them.

    Each member is checked against the manifest before a byte of it is written: a member the
    manifest does not list refuses the archive, and a member is never written past the size
    the manifest declares. Raises :class:`ArchiveError` (or :class:`ArchiveTooLargeError`)
    when the archive is unsafe or malformed; in that case nothing is added.
    """
    staging = backend.root / INDEX_DIR_NAME / "tmp" / f"import-{secrets.token_hex(8)}"
    staging.mkdir(parents=True)
    try:
        with contextlib.ExitStack() as stack:
            if isinstance(source, Path):
                raw: IO[bytes] = stack.enter_context(open(source, "rb"))
            else:
                raw = _seekable(source, staging, max_bytes, stack)
            start = raw.tell()

            def stream() -> IO[bytes]:
                raw.seek(start)
                return io.BufferedReader(_LimitedReader(raw, max_bytes), _COPY_CHUNK)

            # export_archive writes the manifest last; one reading finds it, and only a
            # second one writes anything.
            manifest = _find_manifest(stream(), max_unpacked_bytes)
            listed = _listed_files(manifest, max_unpacked_bytes)
            listed.update(listed_blob_members(manifest))
            hashes = _unpack(stream(), staging, listed)
        result = _adopt_runs(backend, staging, manifest, hashes, progress)
        result.skipped += _adopt_artifacts(backend, staging, manifest, hashes, result)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_artifacts(
    tar: tarfile.TarFile, backend: RunStorage, records: list[ExperimentRecord]
) -> dict[str, Any]:
    """The artifact versions the runs produced or used, with their blobs (artifacts/transfer)."""
    runs = [(record.project, backend.path_of(record)) for record in records]
    return export_artifacts(tar, backend.root, runs)


def _adopt_artifacts(
    backend: RunStorage,
    staging: Path,
    manifest: dict[str, Any],
    hashes: dict[str, tuple[int, str]],
    result: ImportResult,
) -> list[dict[str, str]]:
    """Verified blobs and versions into the store; the imported runs' edges into the index."""
    projects = {e.get("id"): e.get("project") for e in manifest["runs"] if isinstance(e, dict)}
    runs = [(run_id, projects.get(run_id), backend.run_path(run_id)) for run_id in result.imported]
    return adopt_artifacts(backend.root, staging, manifest, hashes, runs)


def _seekable(
    source: IO[bytes], staging: Path, max_bytes: int, stack: contextlib.ExitStack
) -> IO[bytes]:
    """``source`` itself when it can be read twice, else a copy of it in ``staging``."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if source.seekable():
            return source
    # Beside the staging folder, never in it: a member could have the same name.
    copy: IO[bytes] = stack.enter_context(tempfile.TemporaryFile(dir=staging.parent))  # noqa: SIM115
    shutil.copyfileobj(io.BufferedReader(_LimitedReader(source, max_bytes)), copy, _COPY_CHUNK)
    copy.seek(0)
    return copy


def _members(stream: IO[bytes]) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo, str]]:
    """Every member of the archive with its checked name; a bad header refuses the archive."""
    try:
        tar = tarfile.open(fileobj=stream, mode="r|gz")  # noqa: SIM115 - with tar: below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"not a .tar.gz archive made by runicorn export: {exc}") from exc
    with tar:
        try:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise ArchiveError(f"the archive holds more than {MAX_MEMBERS} members")
                _check_member(member)
                yield tar, member, _member_path(member.name).as_posix()
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, RunicornError):
                raise
            raise ArchiveError(f"the archive is damaged or truncated: {exc}") from exc


def _find_manifest(stream: IO[bytes], max_unpacked: int) -> dict[str, Any]:
    """The archive's manifest, read without writing anything."""
    unpacked = 0
    for tar, member, name in _members(stream):
        if member.isdir():
            continue
        unpacked += member.size
        if unpacked > max_unpacked:
            raise ArchiveTooLargeError(
                f"the archive unpacks to more than the limit of {max_unpacked} bytes"
            )
        if name == MANIFEST_NAME:
            if member.size > MAX_MANIFEST_BYTES:
                raise ArchiveError("the manifest is implausibly large")
            source = tar.extractfile(member)
            if source is None:
                raise ArchiveError(f"archive member {member.name!r} cannot be read")
            return _parse_manifest(source.read(member.size))
    raise ArchiveError(f"the archive has no {MANIFEST_NAME}; make it with runicorn export")


def _listed_files(manifest: dict[str, Any], max_unpacked: int) -> dict[str, int]:
    """``{member name: declared size}`` of every file the manifest lists, checked."""
    listed: dict[str, int] = {}
    for entry in manifest["runs"]:
        _, rel = _run_path_of(entry)
        files = entry.get("files")
        if not isinstance(files, dict):
            raise ArchiveError(f"manifest entry {rel.name!r} lacks its file list")
        for name, spec in files.items():
            size = spec.get("size") if isinstance(spec, dict) else None
            if type(size) is not int or size < 0:
                raise ArchiveError(f"manifest entry {rel.name!r}: {name!r} has no valid size")
            listed[_member_path(f"{rel.as_posix()}/{name}").as_posix()] = size
    if sum(listed.values()) > max_unpacked:
        raise ArchiveTooLargeError(
            f"the archive unpacks to more than the limit of {max_unpacked} bytes"
        )
    return listed


def _unpack(stream: IO[bytes], staging: Path, listed: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Write the listed members into ``staging``; returns ``{name: (size, sha256)}``.

    A member whose size differs from the declared one is not written (its run is then skipped
    as altered); an unlisted member refuses the whole archive.
    """
    hashes: dict[str, tuple[int, str]] = {}
    manifests = 0
    for tar, member, name in _members(stream):
        if member.isdir():
            continue
        if name == MANIFEST_NAME:
            manifests += 1
            if manifests > 1:
                raise ArchiveError(f"archive member {name!r} appears twice")
            continue
        declared = listed.get(name)
        if declared is None:
            raise ArchiveError(f"archive member {name!r} is not listed in {MANIFEST_NAME}")
        if name in hashes:
            raise ArchiveError(f"archive member {name!r} appears twice")
        if member.size != declared:
            hashes[name] = (member.size, "")  # recorded as a mismatch, never written
            continue
        source = tar.extractfile(member)
        if source is None:
            raise ArchiveError(f"archive member {member.name!r} cannot be read")
        hashes[name] = _copy_member(source, staging.joinpath(*name.split("/")), declared)
    return hashes


def _copy_member(source: IO[bytes], target: Path, size: int) -> tuple[int, str]:
    """Copy at most ``size`` bytes (the declared size) of ``source`` to a new ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    copied = 0
    with open(target, "xb") as out:
        while copied < size and (chunk := source.read(min(_COPY_CHUNK, size - copied))):
            digest.update(chunk)
            out.write(chunk)
            copied += len(chunk)
    return copied, digest.hexdigest()


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = loads(data)
    except ValueError as exc:
        raise ArchiveError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != ARCHIVE_FORMAT
        or not isinstance(manifest.get("runs"), list)
    ):
        raise ArchiveError(f"{MANIFEST_NAME} is not a runicorn export manifest")
    return manifest


def _run_path_of(entry: Any) -> tuple[str, PurePosixPath]:
    """The run id and relative folder a manifest entry names, checked to be safe."""
    if not isinstance(entry, dict):
        raise ArchiveError("a manifest run entry is not an object")
    run_id = entry.get("id")
    raw_path = entry.get("path")
    if not isinstance(run_id, str) or not isinstance(raw_path, str):
        raise ArchiveError("a manifest run entry lacks its id or path")
    try:
        validate_run_id(run_id)
        path = _member_path(raw_path)
        for part in path.parts:
            validate_name(part, "path segment", allow_slash=False)
    except InvalidNameError as exc:
        raise ArchiveError(f"manifest entry {run_id!r}: {exc}") from exc
    if path.name != run_id or len(path.parts) < 2:
        raise ArchiveError(f"manifest entry {run_id!r}: its path must end with the run id")
    return run_id, path


def _adopt_runs(
    backend: RunStorage,
    staging: Path,
    manifest: dict[str, Any],
    hashes: dict[str, tuple[int, str]],
    progress: ProgressCallback | None,
) -> ImportResult:
    entries = [(_run_path_of(e), e) for e in manifest["runs"]]
    existing = backend.index.all_ids() | {p.name for p in iter_run_dirs(backend.root)}
    result = ImportResult()
    for done, ((run_id, rel), entry) in enumerate(entries, start=1):
        reason = _verify_run(rel, entry["files"], hashes)
        target = backend.root.joinpath(*rel.parts)
        if reason is None and (run_id in existing or target.exists()):
            reason = "a run with this id already exists; it was left as it is"
        if reason is None:
            try:
                ensure_within(backend.root, target)
                target.parent.mkdir(parents=True, exist_ok=True)
                staged = staging.joinpath(*rel.parts)
                if not staged.is_dir():
                    staged.mkdir(parents=True)
                staged.rename(target)
            except (OSError, RunicornError) as exc:
                reason = f"cannot place the run at {rel.as_posix()}: {exc}"
        if reason is None:
            backend.sync_run_dir(target)
            existing.add(run_id)
            result.imported.append(run_id)
        else:
            result.skipped.append({"id": run_id, "reason": reason})
        if progress:
            progress(done, len(entries))
    return result


def _verify_run(
    rel: PurePosixPath, files: dict[str, Any], hashes: dict[str, tuple[int, str]]
) -> str | None:
    """Why the staged run does not match the manifest, or None when it does."""
    for name, spec in files.items():
        got = hashes.get(f"{rel.as_posix()}/{name}")
        if got is None:
            return f"{name} is listed in the manifest but missing from the archive"
        if isinstance(spec, dict) and got[0] != spec.get("size"):
            return (
                f"{name} holds {got[0]} bytes in the archive but the manifest declares "
                f"{spec.get('size')}: the archive is damaged or was altered; it was not written"
            )
        if not isinstance(spec, dict) or got != (spec.get("size"), spec.get("sha256")):
            return f"checksum mismatch for {name}: the archive is damaged or was altered"
    return None


def _metric_rows(
    records: list[ExperimentRecord],
    backend: RunStorage,
    keys: Sequence[str] | None,
    progress: ProgressCallback | None,
) -> tuple[list[str], list[tuple[ExperimentRecord, dict[str, Any]]]]:
    """Per run: columns ``step``, ``time`` and one per key, with a mask of present values."""
    from runicorn.viewer.utils.cache import MetricCache, TableName  # the columnar parser

    cache = MetricCache(None)
    tables: list[tuple[ExperimentRecord, dict[str, Any]]] = []
    all_keys: dict[str, None] = {}
    for done, record in enumerate(records, start=1):
        events = backend.run_path(record.id) / EVENTS_FILE
        snapshot = cache.get(record.id, events, root=backend.root)
        wanted = (
            list(keys)
            if keys
            else [k for k in snapshot.metric_keys() if not k.startswith("system/")]
        )
        tables_of_run: tuple[TableName, ...] = ("metrics", "system")
        for table in tables_of_run:
            step, times, columns = snapshot.table(table, wanted)
            if not columns:
                continue
            all_keys.update(dict.fromkeys(columns))
            tables.append((record, {"step": step, "time": times, "columns": columns}))
        cache.forget(record.id)
        if progress:
            progress(done, len(records))
    ordered = sorted(all_keys) if not keys else [k for k in keys if k in all_keys]
    return ordered, tables


def _cells(values: np.ndarray, present: np.ndarray) -> list[float | str | None]:
    out: list[float | str | None] = values.tolist()
    for i in np.flatnonzero(~np.isfinite(values)):
        out[i] = encode_nonfinite(float(values[i]))
    for i in np.flatnonzero(~present):
        out[i] = None
    return out


def _steps(step: np.ndarray | None, n: int) -> list[int | None]:
    if step is None:
        return [None] * n
    return [None if math.isnan(s) else int(s) for s in step.tolist()]


def export_metrics(
    backend: RunStorage,
    run_ids: Sequence[str],
    destination: Path | IO[bytes],
    *,
    fmt: MetricFormat = "csv",
    keys: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write the metric rows of ``run_ids`` as a table.

    CSV and Parquet: one row per logged event with columns ``run_id``, ``step``, ``time`` and
    one per key (empty where the event lacks the key; non-finite values as ``NaN``/``Infinity``
    in CSV). JSON: a list of records ``{"run_id", "project", "name", "step", "time", <key>..}``,
    one per row, ``null`` where the row lacks a key and bare ``NaN``/``Infinity`` for
    non-finite values, so ``pandas.read_json`` reads float columns.
    System metrics (``system/*``) are included only when named in ``keys``.
    """
    if fmt not in ("csv", "json", "parquet"):
        raise ValueError(f"unknown metric table format {fmt!r}: use csv, json or parquet")
    records = [backend.get_run(run_id) for run_id in dict.fromkeys(run_ids)]
    ordered, tables = _metric_rows(records, backend, keys, progress)
    with contextlib.ExitStack() as stack:
        if isinstance(destination, Path):
            handle: IO[bytes] = stack.enter_context(open(destination, "wb"))
        else:
            handle = destination
        if fmt == "csv":
            _write_csv(handle, ordered, tables)
        elif fmt == "json":
            _write_json(handle, ordered, tables)
        else:
            _write_parquet(handle, ordered, tables)
    return ExportResult(runs=[r.id for r in records], files=1)


def _write_csv(
    handle: IO[bytes], keys: list[str], tables: list[tuple[ExperimentRecord, dict[str, Any]]]
) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(["run_id", "step", "time", *keys])
    for record, table in tables:
        n = table["time"].size
        columns = [
            _cells(*table["columns"][k]) if k in table["columns"] else [None] * n for k in keys
        ]
        times = table["time"].tolist()
        steps = _steps(table["step"], n)
        for i in range(n):
            writer.writerow(
                [record.id, steps[i], times[i], *("" if c[i] is None else c[i] for c in columns)]
            )
    text.flush()
    text.detach()


def _json_numbers(values: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    """Each value as a JSON number token: ``NaN``/``Infinity``/``-Infinity`` when non-finite
    (the literals ``pandas.read_json`` and Python's ``json`` read as floats), ``null`` when absent.
    """
    out = [repr(v) for v in values.tolist()]
    for i in np.flatnonzero(~np.isfinite(values)):
        out[i] = encode_nonfinite(float(values[i]))
    if present is not None:
        for i in np.flatnonzero(~present):
            out[i] = "null"
    return out


def _write_json(
    handle: IO[bytes], keys: list[str], tables: list[tuple[ExperimentRecord, dict[str, Any]]]
) -> None:
    """A list of records, one per logged row: ``{"run_id", "project", "name", "step", "time",
    <key>: ...}``. Non-finite values are written as bare ``NaN``/``Infinity`` so that
    ``pandas.read_json`` keeps every metric column float (strings would turn it into text).
    """
    quoted_keys = [dumps(key).decode() for key in keys]
    handle.write(b"[")
    first = True
    for record, table in tables:
        n = table["time"].size
        run = ",".join(
            f'"{field}":{dumps(value).decode()}'
            for field, value in (("run_id", record.id), ("project", record.project),
                                 ("name", record.name))
        )  # fmt: skip
        steps = ["null" if s is None else str(s) for s in _steps(table["step"], n)]
        times = _json_numbers(table["time"])
        columns = [
            _json_numbers(*table["columns"][key]) if key in table["columns"] else ["null"] * n
            for key in keys
        ]
        lines: list[str] = []
        for i in range(n):
            cells = "".join(
                f",{quoted}:{column[i]}"
                for quoted, column in zip(quoted_keys, columns, strict=True)
            )
            lines.append(f'{{{run},"step":{steps[i]},"time":{times[i]}{cells}}}')
        if lines:
            handle.write(("" if first else ",").encode() + ",".join(lines).encode())
            first = False
    handle.write(b"]")


def _write_parquet(
    handle: IO[bytes], keys: list[str], tables: list[tuple[ExperimentRecord, dict[str, Any]]]
) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RunicornError(
            "Parquet export needs pyarrow: pip install 'runicorn[parquet]'"
        ) from exc
    run_ids: list[str] = []
    steps: list[np.ndarray] = []
    times: list[np.ndarray] = []
    values: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    masks: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    for record, table in tables:
        n = table["time"].size
        run_ids.extend([record.id] * n)
        steps.append(table["step"] if table["step"] is not None else np.full(n, np.nan))
        times.append(table["time"])
        for key in keys:
            full, present = table["columns"].get(key, (np.full(n, np.nan), np.zeros(n, bool)))
            values[key].append(full)
            masks[key].append(~present)
    step = np.concatenate(steps) if steps else np.empty(0)
    columns: dict[str, Any] = {
        "run_id": pa.array(run_ids, type=pa.string()).dictionary_encode(),
        "step": pa.array(
            np.nan_to_num(step, nan=0).astype(np.int64), mask=np.isnan(step), type=pa.int64()
        ),
        "time": pa.array(np.concatenate(times) if times else np.empty(0), type=pa.float64()),
    }
    for key in keys:
        columns[key] = pa.array(
            np.concatenate(values[key]) if values[key] else np.empty(0),
            mask=np.concatenate(masks[key]) if masks[key] else np.empty(0, bool),
            type=pa.float64(),
        )
    pq.write_table(pa.table(columns), handle)


__all__ = [
    "ArchiveError",
    "ArchiveTooLargeError",
    "ExportResult",
    "ImportResult",
    "export_archive",
    "export_metrics",
    "import_archive",
]
