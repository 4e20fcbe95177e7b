"""Garbage collection of the team server's blobs: every blob no live artifact version names,
unused for a grace period, leaves the index and the bucket.

Blobs are named by hash and shared across versions and projects, so one is garbage only when no
live version's files name it (a deleted version keeps its blobs until this runs). The names are
read from each live version's document in the bucket; a document that cannot be read stops the
collection before anything is deleted. Pushes may go on meanwhile:

- a blob uploaded, or named by a version accepted, within ``grace`` is kept (``stored_at`` is set
  by both), so a push whose version this scan did not see never loses a blob;
- accepting a version refreshes its blobs' ``stored_at`` and is refused when a row is gone, so a
  version can never name a blob collected meanwhile (its pusher uploads it again);
- deleting a blob (row, then object, one transaction) and storing one (object, then row after
  re-checking the object) hold the same per-blob advisory lock.

Objects under ``blobs/`` that no row records (a collection or an upload cut short) go too, once
older than the grace period.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import orjson

from runicorn.artifacts.models import ArtifactVersion
from runicorn.errors import StorageError
from runicorn.server.artifacts import ServerArtifactStore

DEFAULT_GRACE_SECONDS = 24 * 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")
ProgressCallback = Callable[[int, int], None]


@dataclass
class ServerGcReport:
    """What a collection removed (or would remove, on a dry run) and kept."""

    versions_read: int = 0
    removed: list[str] = field(default_factory=list)
    bytes_reclaimed: int = 0
    kept: int = 0
    recent: int = 0  # unused but younger than the grace period
    orphan_objects: int = 0
    dry_run: bool = False


def collect_server_garbage(
    artifacts: ServerArtifactStore,
    *,
    grace: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ServerGcReport:
    """Remove the blobs no live version names and nothing stored or named for ``grace``
    seconds; ``progress(done, total)`` over the versions read, then the blobs removed."""
    if grace < 0:
        raise ValueError(f"the grace period cannot be negative ({grace} s)")
    report = ServerGcReport(dry_run=dry_run)
    cutoff = time.time() - grace
    index = artifacts.index
    keys = index.live_version_keys()
    used: set[str] = set()
    for done, (project, name, number) in enumerate(keys, start=1):
        key = artifacts.document_key(project, name, f"v{number}.json")
        data = artifacts.store.get(key)  # a missing document raises: nothing is deleted
        try:
            version = ArtifactVersion.from_document(orjson.loads(data))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise StorageError(
                f"{project}/{name}:v{number}: its document in the bucket is not a version "
                f"({exc}); nothing was collected"
            ) from exc
        used.update(entry.sha256 for entry in version.files.values())
        report.versions_read += 1
        if progress:
            progress(done, len(keys))

    stale = index.blobs_stored_before(cutoff)
    garbage = sorted(sha for sha in stale if sha not in used)
    known = index.blob_hashes()
    report.kept = len(known) - len(garbage)
    report.recent = sum(1 for sha in known if sha not in used and sha not in stale)
    for done, sha256 in enumerate(garbage, start=1):
        blob_key = artifacts.blob_key(sha256)
        remove = partial(artifacts.store.delete, blob_key)
        if dry_run or index.delete_stale_blob(sha256, cutoff, remove):
            report.removed.append(sha256)
            report.bytes_reclaimed += stale[sha256]
        else:
            report.kept += 1  # stored or named again since the scan
        if progress:
            progress(done, len(garbage))

    prefix = artifacts.store.location.key("blobs") + "/"
    for key, modified, size in artifacts.store.entries(prefix):
        sha256 = key[len(prefix) :]
        if sha256 in known or modified >= cutoff or not _SHA256.fullmatch(sha256):
            continue
        if dry_run or index.delete_orphan_object(sha256, partial(artifacts.store.delete, key)):
            report.orphan_objects += 1
            report.bytes_reclaimed += size
    return report
