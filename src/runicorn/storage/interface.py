"""The storage interface the viewer, its services and the export/import code are written against.

Two implementations satisfy it: :class:`runicorn.storage.backends.HybridStorageBackend` (run
folders + SQLite, one machine) and :class:`runicorn.server.backend.ServerStorageBackend`
(PostgreSQL + an S3-compatible object store, a team server). Routers and services never ask
which one they hold.

Run files are always read from a local folder: :meth:`RunStorage.path_of` returns the run's
folder under :attr:`RunStorage.root`. For the local backend that folder is the truth; for the
server it is a cache the call brings up to date from the object store first (appended segments
only), so the columnar metric cache, log readers and exporters work unchanged on both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from runicorn.storage.alerts import AlertRecord
from runicorn.storage.models import ExperimentRecord

ProgressCallback = Callable[[int, int], None]


@runtime_checkable
class RunIndex(Protocol):
    """The index operations used outside the storage package: run ids and alerts."""

    def all_ids(self) -> set[str]:
        """Every run id the index holds (soft-deleted ones too)."""
        ...

    def add_alert_once(self, alert: AlertRecord) -> bool:
        """Record ``alert`` unless its run already has one of its rule at its step."""
        ...

    def alerts(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        levels: Sequence[str] = (),
        project: str | None = None,
        after_id: int | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> tuple[list[AlertRecord], int]:
        """A page of alerts, newest first, and the total matching."""
        ...


@runtime_checkable
class RunStorage(Protocol):
    """Runs: listed and queried through an index, read from files, edited, deleted."""

    @property
    def root(self) -> Path:
        """The local folder run files are read from (the storage root, or the server's cache)."""
        ...

    @property
    def index(self) -> RunIndex: ...

    @property
    def needs_rebuild(self) -> bool:
        """Whether only a full :meth:`reindex` can make the index whole again."""
        ...

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Rebuild the index from the run files; returns how many runs."""
        ...

    def sync_run_dir(self, run_path: Path) -> ExperimentRecord:
        """Take in the run folder ``run_path`` (under :attr:`root`) and index it."""
        ...

    def list_runs(
        self,
        *,
        filter: str | None = None,
        sort: str | None = None,
        project: str | None = None,
        name: str | None = None,
        status: str | Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        text: str | None = None,
        include_deleted: bool = False,
        deleted_only: bool = False,
        limit: int | None = 50,
        offset: int = 0,
    ) -> tuple[list[ExperimentRecord], int]:
        """A page of runs and the total matching; ``filter``/``sort`` use the v2 grammar."""
        ...

    def get_run(self, run_id: str) -> ExperimentRecord:
        """The run ``run_id``; :class:`runicorn.errors.RunNotFoundError` if unknown."""
        ...

    def run_path(self, run_id: str) -> Path:
        """The local folder of run ``run_id``, current with its stored files."""
        ...

    def path_of(self, record: ExperimentRecord) -> Path:
        """The local folder of a run already looked up, current with its stored files."""
        ...

    def update_run(
        self, run_id: str, *, tags: list[str] | None = None, notes: str | None = None
    ) -> ExperimentRecord:
        """Change a run's tags and/or notes."""
        ...

    def soft_delete(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Move runs to the recycle bin; returns ``(deleted, missing)`` ids."""
        ...

    def restore(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Bring runs back from the recycle bin; returns ``(restored, missing)`` ids."""
        ...

    def purge(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete runs and their files for good; returns ``(purged, missing)`` ids."""
        ...

    def list_projects(self) -> list[dict[str, Any]]:
        """Projects, their names and run counts."""
        ...

    def field_names(self, projects: Collection[str] | None = None) -> dict[str, Any]:
        """Config, summary and metric keys and tags present across runs (of ``projects``
        only, when given), for pickers."""
        ...

    def get_preferences(self) -> dict[str, Any]:
        """Stored UI preferences."""
        ...

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        """Merge UI preferences and return them all."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


StorageFactory = Callable[[], RunStorage]
