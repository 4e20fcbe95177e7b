"""Garbage collection of blobs: keep every blob a live version uses, remove the rest.

The whole idea (as in DVC's ``gc``): collect the used hashes, delete every stored object not
among them. ``verify`` re-hashes blobs and moves those whose bytes changed aside, so they are
never served as valid.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from runicorn.artifacts.blobs import hash_file
from runicorn.artifacts.storage import ArtifactStore

CORRUPT_DIR_NAME = "corrupt"
ProgressCallback = Callable[[int, int], None]


@dataclass
class GcReport:
    """What a collection removed (or would remove, on a dry run) and kept."""

    removed: list[str] = field(default_factory=list)
    bytes_reclaimed: int = 0
    kept: int = 0
    temp_files_removed: int = 0
    corrupt: list[str] = field(default_factory=list)
    dry_run: bool = False


def collect_garbage(
    store: ArtifactStore,
    *,
    dry_run: bool = False,
    verify: bool = False,
    progress: ProgressCallback | None = None,
) -> GcReport:
    """Remove blobs no live version references; with ``verify``, also check every kept one."""
    report = GcReport(dry_run=dry_run)
    used = store.referenced_blobs()
    blobs = list(store.blobs.iter_blobs())
    for done, blob in enumerate(blobs, start=1):
        if blob.sha256 in used:
            report.kept += 1
            if verify and hash_file(blob.path)[0] != blob.sha256:
                report.corrupt.append(blob.sha256)
                if not dry_run:
                    _quarantine(store, blob.sha256)
        else:
            report.removed.append(blob.sha256)
            report.bytes_reclaimed += blob.size
            if not dry_run:
                store.blobs.remove(blob.sha256)
        if progress:
            progress(done, len(blobs))
    for temp in store.blobs.stale_temp_files():
        report.temp_files_removed += 1
        if not dry_run:
            with contextlib.suppress(OSError):
                temp.unlink()
    return report


def _quarantine(store: ArtifactStore, sha256: str) -> None:
    """Move a corrupt blob out of the store so it can never be read as that hash."""
    target_dir = store.blobs.root / CORRUPT_DIR_NAME
    target_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.replace(store.blobs.path_of(sha256), target_dir / sha256)
