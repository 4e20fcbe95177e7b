"""Bringing run folders that the index does not know into it.

Covers folders copied in by hand, runs whose index writes failed, and folders written by the
original Runicorn SDK in both of its layouts (``<project>/<name>/runs/<id>`` and
``runs/<a/b/c>/<id>``). What the original stored beside them is read as ours
(``storage/run_files.py``, so ``reindex`` agrees): its ``log_config()`` config in
``assets.json`` becomes the config, its run alias a tag (it also stays in meta.json), and a run
it deleted (a ``.deleted`` marker, or moved to ``runs/.recycle/<id>``) lands in the recycle bin.
Migration only reads run files; running it twice changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runicorn.storage.backends import HybridStorageBackend, index_path
from runicorn.storage.layout import iter_run_dirs
from runicorn.storage.run_files import read_record


@dataclass
class MigrationReport:
    """What a migration found and did."""

    found: int = 0
    indexed: list[str] = field(default_factory=list)
    already_indexed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False
    recycled: list[str] = field(default_factory=list)
    """Runs indexed straight into the recycle bin (deleted under the original SDK)."""


def migrate(
    root: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MigrationReport:
    """Index every run folder under ``root`` that the index lacks (none when ``dry_run``)."""
    root = Path(root).resolve()
    # A dry run changes nothing, not even by creating an empty index in a store that has none.
    backend = None if dry_run and not index_path(root).exists() else HybridStorageBackend(root)
    try:
        known = backend.index.all_ids() if backend is not None else set()
        run_dirs = list(iter_run_dirs(root))
        report = MigrationReport(found=len(run_dirs), dry_run=dry_run)
        for done, run_path in enumerate(run_dirs, start=1):
            run_id = run_path.name
            if run_id in known:
                report.already_indexed.append(run_id)
            else:
                try:
                    record = read_record(root, run_path)
                    if backend is not None and not dry_run:
                        backend.index.upsert_run(record)
                    report.indexed.append(record.id)
                    if record.deleted_at is not None:
                        report.recycled.append(record.id)
                except Exception as exc:  # one unreadable folder must not stop the others
                    report.failed.append((str(run_path), repr(exc)))
            if progress:
                progress(done, len(run_dirs))
        return report
    finally:
        if backend is not None:
            backend.close()
