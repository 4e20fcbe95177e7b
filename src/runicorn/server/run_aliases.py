"""Filling the alias of runs stored before the index had a column for it.

A migration sees only the database, while the alias lives in each run's meta.json in the
object store; so the server reads those documents once, when it starts after the upgrade.
"""

from __future__ import annotations

import logging

from runicorn.server.index import PostgresIndex
from runicorn.server.objects import ObjectStore, ObjectStoreError
from runicorn.storage.jsonio import loads
from runicorn.storage.run_files import META_FILE

log = logging.getLogger(__name__)


def fill_missing_aliases(index: PostgresIndex, store: ObjectStore) -> int:
    """Read the alias of every run whose row does not have it yet; returns how many rows."""
    filled: list[tuple[str, str | None]] = []
    for run_id, run_path, has_meta in index.paths_without_alias():
        alias = None
        if has_meta:
            try:
                meta = loads(store.get(store.run_key(run_path, META_FILE)))
            except (ObjectStoreError, ValueError) as exc:  # retried at the next start
                log.warning("runicorn server: cannot read the alias of run %s: %s", run_id, exc)
                continue
            value = meta.get("alias") if isinstance(meta, dict) else None
            alias = value.strip() if isinstance(value, str) and value.strip() else None
        filled.append((run_id, alias))
    if filled:
        index.set_aliases(filled)
    return len(filled)
