"""The storage interface on a team server: the index in PostgreSQL, run files in S3.

Run files are read from a local cache folder that :class:`RunCache` brings up to date from
the object store on each lookup; edits go to the index and to the run's documents in the
store, so the store stays the truth the index can be rebuilt from.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from runicorn.errors import RunNotFoundError
from runicorn.security.path_validation import safe_run_id
from runicorn.server.config import ServerConfig
from runicorn.server.database import Database
from runicorn.server.index import PostgresIndex
from runicorn.server.materialize import RunCache
from runicorn.server.objects import ObjectStore
from runicorn.storage.interface import ProgressCallback
from runicorn.storage.jsonio import dumps, loads
from runicorn.storage.liveness import DEFAULT_HEARTBEAT_INTERVAL, STALE_AFTER_INTERVALS
from runicorn.storage.models import ExperimentRecord
from runicorn.storage.run_files import DELETED_FILE, META_FILE, read_record

log = logging.getLogger(__name__)
FOLLOW_INTERVAL = 1.0


class ServerStorageBackend:
    """:class:`runicorn.storage.interface.RunStorage` on PostgreSQL + an object store."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.database = Database(config.database_url)
        self._index = PostgresIndex(self.database)
        self.store = ObjectStore(config.store, endpoint=config.s3_endpoint)
        self._root = Path(config.cache_dir).resolve()
        self._root.mkdir(parents=True, exist_ok=True)
        self.cache = RunCache(self._root, self._index, self.store)
        self._stop = threading.Event()
        self._follower = threading.Thread(
            target=self._follow_live_runs, name="runicorn-server-follow", daemon=True
        )
        self._follower.start()

    def _follow_live_runs(self) -> None:
        """Keep the cache folders of running runs current, so the live WebSockets (which
        watch those folders) see pushed data within about a second."""
        followed: set[str] = set()
        while not self._stop.wait(FOLLOW_INTERVAL):
            opened = self.cache.opened()
            if not opened:
                continue
            try:
                running = set(self._index.running_among(list(opened)))
                # A run that just ended gets one last refresh: its final lines and status.
                for run_id in running | (followed & set(opened)):
                    self.cache.refresh(run_id, opened[run_id])
                followed = running
            except Exception as exc:  # the next round tries again
                log.debug("runicorn server: following live runs failed: %r", exc)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def index(self) -> PostgresIndex:
        return self._index

    @property
    def needs_rebuild(self) -> bool:
        return False

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Rebuild every run's index row from its files in the object store."""
        ids = sorted(self._index.all_ids())
        for done, run_id in enumerate(ids, start=1):
            record = self._index.get(run_id)
            if record is not None:
                folder = self.cache.refresh(record.id, record.path)
                self._index.upsert_run(read_record(self._root, folder))
            if progress:
                progress(done, len(ids))
        return len(ids)

    def sync_run_dir(self, run_path: Path) -> ExperimentRecord:
        """Take in a run folder placed under :attr:`root` (an imported archive, for one)."""
        from runicorn.server.ingest import ingest_run_dir

        return ingest_run_dir(self, self._root, run_path)

    def refresh_liveness(self, now: float | None = None) -> list[str]:
        """Mark running runs whose pushed heartbeat is older than three intervals ``crashed``.

        The server cannot see the training process; only the heartbeat tells.
        """
        current = time.time() if now is None else now
        stale = [
            run_id
            for run_id, beat, interval in self._index.running()
            if beat is not None
            and current - beat > STALE_AFTER_INTERVALS * (interval or DEFAULT_HEARTBEAT_INTERVAL)
        ]
        if stale:
            self._index.set_status(stale, "crashed")
        return stale

    def list_runs(self, **query: Any) -> tuple[list[ExperimentRecord], int]:
        """A page of runs and the total matching; ``filter``/``sort`` use the v2 grammar."""
        self.refresh_liveness()
        return self._index.list_runs(**query)

    def get_run(self, run_id: str) -> ExperimentRecord:
        safe_run_id(run_id)
        record = self._index.get(run_id)
        if record is None:
            raise RunNotFoundError(f"run {run_id} not found on this server")
        if run_id in self.cache.opened():
            # A cache folder is never older than the index row just read: a status read here
            # ("finished") then comes with the run's last lines already on disk.
            self.cache.refresh(record.id, record.path)
        return record

    def run_path(self, run_id: str) -> Path:
        return self.path_of(self.get_run(run_id))

    def path_of(self, record: ExperimentRecord) -> Path:
        return self.cache.refresh(record.id, record.path)

    def _put_document(self, record: ExperimentRecord, path: str, data: bytes) -> None:
        from runicorn.server.ingest import store_document

        store_document(self, record.id, record.path, path, data)
        self.cache.refresh(record.id, record.path)

    def update_run(
        self, run_id: str, *, tags: list[str] | None = None, notes: str | None = None
    ) -> ExperimentRecord:
        record = self.get_run(run_id)
        documents = self._index.documents(record.id)
        meta: Any = {}
        if META_FILE in documents:
            meta = loads(self.store.get(self.store.run_key(record.path, META_FILE)))
        meta = meta if isinstance(meta, dict) else {}
        if tags is not None:
            tags = list(dict.fromkeys(str(tag) for tag in tags))
            meta["tags"] = tags
        if notes is not None:
            meta["notes"] = notes
        self._put_document(record, META_FILE, dumps(meta, indent=True))
        self._index.set_user_fields(record.id, tags=tags, notes=notes)
        return self.get_run(record.id)

    def _found(self, run_ids: Sequence[str]) -> tuple[list[ExperimentRecord], list[str]]:
        found: list[ExperimentRecord] = []
        missing: list[str] = []
        for run_id in dict.fromkeys(run_ids):
            try:
                found.append(self.get_run(run_id))
            except (RunNotFoundError, ValueError):
                missing.append(run_id)
        return found, missing

    def soft_delete(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        now = time.time()
        found, missing = self._found(run_ids)
        for record in found:
            self._put_document(record, DELETED_FILE, dumps({"deleted_at": now}))
        self._index.set_deleted([r.id for r in found], now)
        return [r.id for r in found], missing

    def restore(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        from runicorn.server.ingest import remove_document

        found, missing = self._found(run_ids)
        for record in found:
            remove_document(self, record.id, record.path, DELETED_FILE)
            self.cache.forget(record.id, record.path, DELETED_FILE)
        self._index.set_deleted([r.id for r in found], None)
        return [r.id for r in found], missing

    def purge(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        found, missing = self._found(run_ids)
        for record in found:
            self.store.delete_prefix(self.store.run_key(record.path) + "/")
            self.cache.forget(record.id, record.path)
        self._index.remove([r.id for r in found])
        return [r.id for r in found], missing

    def list_projects(self) -> list[dict[str, Any]]:
        self.refresh_liveness()
        return self._index.projects()

    def field_names(self, projects: Collection[str] | None = None) -> dict[str, Any]:
        return self._index.field_names(projects)

    def get_preferences(self) -> dict[str, Any]:
        return self._index.get_preferences()

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        return self._index.set_preferences(values)

    def close(self) -> None:
        self._stop.set()
        self._follower.join(timeout=10)
        self.database.close()
