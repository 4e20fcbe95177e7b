"""The artifact catalog as the API sees it, with two implementations: files + SQLite
(:class:`runicorn.artifacts.storage.ArtifactStore`) and PostgreSQL + an object store
(:class:`runicorn.server.artifacts.ServerArtifactStore`). The routes, :mod:`catalog` and
:mod:`lineage` are written once against these protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from runicorn.artifacts.models import ArtifactVersion, FileEntry, StageTransition
from runicorn.storage.artifact_index import EdgeRow, VersionKey

if TYPE_CHECKING:
    from runicorn.artifacts.storage import RunArtifacts


class ArtifactIndexReader(Protocol):
    """The indexed reads behind lists and lineage walks."""

    def list_artifacts(
        self,
        *,
        project: str | None = None,
        type: str | None = None,
        name: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]: ...

    def list_versions(
        self, project: str, name: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]: ...

    def versions_of(self, keys: Iterable[VersionKey]) -> dict[VersionKey, dict[str, Any]]: ...

    def aliases_of(self, project: str, name: str) -> dict[str, int]: ...

    def aliases_by_version(self, keys: Iterable[VersionKey]) -> dict[VersionKey, list[str]]: ...

    def edges_of_versions(self, keys: Iterable[VersionKey]) -> list[EdgeRow]: ...

    def edges_of_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]: ...

    def produced_by_runs(self, run_ids: Iterable[str]) -> list[EdgeRow]: ...

    def runs_summary(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...

    def models(
        self, *, project: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]: ...


class ArtifactCatalog(Protocol):
    """Every artifact operation the viewer's routes make."""

    @property
    def index(self) -> ArtifactIndexReader: ...

    def refresh_index(self, min_interval: float = 0.0) -> int: ...

    def resolve(self, project: str, name: str, selector: str = ...) -> ArtifactVersion: ...

    def version_numbers(self, project: str, name: str) -> list[int]: ...

    def stages(self, project: str, name: str) -> dict[int, Any]: ...

    def history(self, project: str, name: str) -> list[StageTransition]: ...

    def run_artifacts(self, run_path: Path, run_project: str | None) -> RunArtifacts: ...

    def set_version_aliases(
        self, project: str, name: str, selector: str, aliases: Iterable[str]
    ) -> ArtifactVersion: ...

    def delete_version(self, project: str, name: str, selector: str) -> ArtifactVersion: ...

    def transition(
        self,
        project: str,
        name: str,
        selector: str,
        stage: str,
        *,
        reason: str = "",
        by: str | None = None,
        archive_previous: bool = True,
    ) -> list[StageTransition]: ...

    def blob_for_file(self, version: ArtifactVersion, path: str) -> tuple[Path, FileEntry]: ...

    def verified_blob(self, entry: FileEntry) -> Path: ...


class BlobRange(Protocol):
    """Bytes of one stored blob, read from elsewhere than the local disk."""

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes ``start`` to ``end`` (exclusive), in pieces."""
        ...


@runtime_checkable
class StreamsBlobs(Protocol):
    """A catalog whose files are streamed from where they are stored (an object store),
    rather than served from a local path."""

    def blob_range(self, version: ArtifactVersion, path: str) -> tuple[FileEntry, BlobRange]: ...
