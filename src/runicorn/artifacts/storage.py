"""The artifact store: versions, aliases and lifecycle as files (the truth) and in the index.

Layout (DESIGN §8)::

    .runicorn/blobs/<sha256[:2]>/<sha256>               file contents (see blobs.py)
    .runicorn/artifacts/<project>/<name>/v<N>.json      one immutable version
    .runicorn/artifacts/<project>/<name>/aliases.json   alias -> version
    .runicorn/artifacts/<project>/<name>/lifecycle.jsonl  stage transitions, append-only
    <run folder>/artifacts.json                         {"used": [...], "produced": [...]}

A version file is created with a hard link from a complete temp file, so two writers never
get the same number and a reader never sees half a version. A deleted version keeps its
number (``.v<N>.deleted.json``) so the number is never reused.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from runicorn.artifacts.blobs import BlobStore
from runicorn.artifacts.locks import artifact_lock
from runicorn.artifacts.models import (
    LATEST,
    ArtifactRef,
    ArtifactVersion,
    EdgeKind,
    FileEntry,
    RunEdge,
    Stage,
    StageTransition,
    parse_version_number,
    validate_alias,
    validate_artifact_name,
    validate_artifact_type,
    validate_stage,
    version_digest,
)
from runicorn.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    CorruptBlobError,
    InvalidNameError,
    MissingBlobError,
    RunicornError,
)
from runicorn.security.path_validation import safe_relative_path
from runicorn.storage.artifact_index import ArtifactIndex, EdgeRow
from runicorn.storage.backends import index_path
from runicorn.storage.jsonio import atomic_write_json, dumps, read_json
from runicorn.storage.layout import (
    INDEX_DIR_NAME,
    ensure_within,
    iter_run_dirs,
    location_from_path,
    validate_name,
)

ARTIFACTS_DIR_NAME = "artifacts"
BLOBS_DIR_NAME = "blobs"
RUN_ARTIFACTS_FILE = "artifacts.json"
ALIASES_FILE = "aliases.json"
LIFECYCLE_FILE = "lifecycle.jsonl"
_VERSION_FILE = re.compile(r"^v([0-9]{1,9})\.json$")
_DELETED_FILE = re.compile(r"^\.v([0-9]{1,9})\.deleted\.json$")
_RUN_FILE_LOCK = threading.Lock()


@dataclass(frozen=True)
class RunArtifacts:
    """What one run used and produced, as resolved versions (missing ones left out)."""

    used: list[ArtifactVersion]
    produced: list[ArtifactVersion]


@contextlib.contextmanager
def _version_temp(folder: Path) -> Iterator[tuple[int, str]]:
    """A temp file beside the version files, removed after: a version is published by
    ``os.link``ing it to ``v<N>.json``, which fails rather than overwrite a taken number."""
    fd, temp_name = tempfile.mkstemp(prefix=".version.", suffix=".tmp", dir=folder)
    try:
        yield fd, temp_name
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp_name)


def _rewrite_synced(fd: int, data: bytes) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.fsync(fd)


def _edge_label(run_project: str | None, version: ArtifactVersion) -> str:
    prefix = "" if run_project == version.project else f"{version.project}/"
    return f"{prefix}{version.name}:v{version.version}"


def read_run_edges(run_path: Path) -> dict[str, list[str]]:
    """The ``used`` and ``produced`` lists of a run's ``artifacts.json`` (empty when absent)."""
    document = read_json(run_path / RUN_ARTIFACTS_FILE, {})
    document = document if isinstance(document, dict) else {}
    return {
        kind: [str(item) for item in document.get(kind) or [] if isinstance(item, str)]
        for kind in ("used", "produced")
    }


class ArtifactStore:
    """Every artifact operation of one storage root (SDK worker, viewer, CLI and tools)."""

    def __init__(self, root: Path, *, index: ArtifactIndex | None = None) -> None:
        self.root = Path(root).resolve()
        self.base = self.root / INDEX_DIR_NAME / ARTIFACTS_DIR_NAME
        self.blobs = BlobStore(self.root / INDEX_DIR_NAME / BLOBS_DIR_NAME)
        self._index = index
        self._index_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._folder_stamps: dict[tuple[str, str], int] | None = None
        self._refreshed_at = -math.inf

    @property
    def index(self) -> ArtifactIndex:
        """The index connection, opened on first use."""
        with self._index_lock:
            if self._index is None:
                self._index = ArtifactIndex(index_path(self.root))
            return self._index

    def close(self) -> None:
        with self._index_lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    def __enter__(self) -> ArtifactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def folder(self, project: str, name: str) -> Path:
        """The folder of one artifact, checked against the naming rules and the root."""
        validate_name(project, "project", allow_slash=False)
        validate_artifact_name(name)
        return ensure_within(self.root, self.base / project / name)

    def version_numbers(self, project: str, name: str) -> list[int]:
        """Numbers of the live versions of an artifact, ascending."""
        folder = self.folder(project, name)
        if not folder.is_dir():
            return []
        numbers = [int(m.group(1)) for p in os.listdir(folder) if (m := _VERSION_FILE.match(p))]
        return sorted(numbers)

    def _next_free_number(self, folder: Path) -> int:
        taken = [0]
        for entry in os.listdir(folder):
            match = _VERSION_FILE.match(entry) or _DELETED_FILE.match(entry)
            if match:
                taken.append(int(match.group(1)))
        return max(taken) + 1

    def _read_version_file(self, project: str, name: str, number: int) -> ArtifactVersion:
        path = self.folder(project, name) / f"v{number}.json"
        try:
            document = orjson.loads(path.read_bytes())
            return ArtifactVersion.from_document(document)
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"artifact {project}/{name} has no version v{number}"
            ) from None
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"version file {path} is unreadable: {exc}") from exc

    def _decorate(
        self, version: ArtifactVersion, numbers: list[int] | None = None
    ) -> ArtifactVersion:
        aliases = self.read_aliases(version.project, version.name)
        if numbers is None:
            numbers = self.version_numbers(version.project, version.name)
        version.aliases = sorted(a for a, v in aliases.items() if v == version.version)
        if numbers and numbers[-1] == version.version:
            version.aliases.insert(0, LATEST)
        version.stage = self.stages(version.project, version.name).get(version.version, "none")
        return version

    def resolve(self, project: str, name: str, selector: str = LATEST) -> ArtifactVersion:
        """The version named by ``selector`` (``3``, ``v3``, ``latest`` or an alias)."""
        numbers = self.version_numbers(project, name)
        if not numbers:
            raise ArtifactNotFoundError(
                f"artifact {project}/{name} not found under {self.root}; "
                "check the name or `runicorn artifacts ls`"
            )
        number = parse_version_number(selector)
        if selector == LATEST:
            number = numbers[-1]
        elif number is None:
            validate_alias(selector)
            number = self.read_aliases(project, name).get(selector)
            if number is None:
                raise ArtifactNotFoundError(
                    f"artifact {project}/{name} has no alias {selector!r}; "
                    "use latest, v<N> or one of its aliases"
                )
        return self._decorate(self._read_version_file(project, name, number), numbers)

    def resolve_ref(self, ref: ArtifactRef, default_project: str) -> ArtifactVersion:
        return self.resolve(ref.project or default_project, ref.name, ref.selector)

    def create_version(
        self,
        *,
        project: str,
        name: str,
        type: str,
        files: dict[str, FileEntry],
        references: list[dict[str, Any]] | None = None,
        description: str = "",
        metadata: dict[str, Any] | None = None,
        created_by: str | None = None,
        aliases: Iterable[str] = (),
    ) -> ArtifactVersion:
        """Record a version whose blobs are stored; an identical one is returned instead.

        ``aliases`` are set (moved) on the resulting version either way.
        """
        validate_artifact_type(type)
        alias_list = [validate_alias(alias) for alias in aliases if alias != LATEST]
        for path, entry in files.items():
            safe_relative_path(path)
            if not self.blobs.exists(entry.sha256):
                raise MissingBlobError(f"file {path!r} has no stored blob {entry.sha256[:12]}…")
        references = list(references or [])
        digest = version_digest(files, references)
        folder = self.folder(project, name)
        folder.mkdir(parents=True, exist_ok=True)
        with artifact_lock(folder):
            existing = self._find_digest(project, name, digest)
            if existing is not None:
                version = existing
            else:
                version = ArtifactVersion(
                    project=project,
                    name=name,
                    type=type,
                    version=0,
                    digest=digest,
                    created_at=time.time(),
                    created_by=created_by,
                    description=description,
                    metadata=dict(metadata or {}),
                    files=dict(files),
                    references=references,
                    size=sum(entry.size for entry in files.values()),
                )
                self._write_new_version(folder, version)
            if alias_list:
                aliases_now = self.read_aliases(project, name)
                aliases_now.update(dict.fromkeys(alias_list, version.version))
                self._write_aliases(project, name, aliases_now)
        self._index_version(version)
        return self._decorate(version)

    def _find_digest(self, project: str, name: str, digest: str) -> ArtifactVersion | None:
        numbers = self.version_numbers(project, name)
        with contextlib.suppress(RunicornError):
            known, total = self.index.find_digest(project, name, digest), None
            if known is not None and known in numbers:
                candidate = self._read_version_file(project, name, known)
                if candidate.digest == digest:
                    return candidate
            _, total = self.index.list_versions(project, name, limit=1)
            if total == len(numbers):
                return None
        for number in reversed(numbers):  # the index lags the files: read them
            with contextlib.suppress(RunicornError):
                candidate = self._read_version_file(project, name, number)
                if candidate.digest == digest:
                    return candidate
        return None

    def _write_new_version(self, folder: Path, version: ArtifactVersion) -> None:
        with _version_temp(folder) as (fd, temp_name):
            while True:
                version.version = self._next_free_number(folder)
                _rewrite_synced(fd, dumps(version.file_document(), indent=True))
                try:
                    os.link(temp_name, folder / f"v{version.version}.json")
                    break
                except FileExistsError:
                    continue  # another process took this number: take the next

    def import_version(self, version: ArtifactVersion) -> None:
        """Write a version from another root under its own number (which must be free)."""
        for path, entry in version.files.items():
            safe_relative_path(path)
            if not self.blobs.exists(entry.sha256):
                raise ArtifactError(f"file {path!r} has no stored blob {entry.sha256[:12]}…")
        folder = self.folder(version.project, version.name)
        folder.mkdir(parents=True, exist_ok=True)
        with artifact_lock(folder):
            if (folder / f".v{version.version}.deleted.json").exists():
                raise ArtifactError(
                    f"v{version.version} was deleted here; its number is not reused"
                )
            with _version_temp(folder) as (fd, temp_name):
                _rewrite_synced(fd, dumps(version.file_document(), indent=True))
                try:
                    os.link(temp_name, folder / f"v{version.version}.json")
                except FileExistsError:
                    raise ArtifactError(f"v{version.version} already exists") from None
        self._index_version(version)

    def index_run_edges(self, run_path: Path, run_id: str, run_project: str | None) -> None:
        """Bring the index's edges of one run up to its ``artifacts.json``."""
        rows = self._edge_rows(run_id, run_project, read_run_edges(run_path))
        self.index.set_run_edges(run_id, rows)

    def _index_version(self, version: ArtifactVersion) -> None:
        row = {**version.file_document(), "file_count": len(version.files)}
        row["stage"] = self.stages(version.project, version.name).get(version.version, "none")
        with contextlib.suppress(RunicornError):
            self.index.upsert_version(row)
            self.index.set_aliases(
                version.project, version.name, self.read_aliases(version.project, version.name)
            )

    def read_aliases(self, project: str, name: str) -> dict[str, int]:
        """alias → version of one artifact (``latest`` is not stored: it is always the newest)."""
        document = read_json(self.folder(project, name) / ALIASES_FILE, {})
        if not isinstance(document, dict):
            return {}
        return {str(a): int(v) for a, v in document.items() if isinstance(v, int)}

    def _write_aliases(self, project: str, name: str, aliases: dict[str, int]) -> None:
        atomic_write_json(self.folder(project, name) / ALIASES_FILE, dict(sorted(aliases.items())))

    def set_version_aliases(
        self, project: str, name: str, selector: str, aliases: Iterable[str]
    ) -> ArtifactVersion:
        """Make ``aliases`` exactly the aliases of one version: moved here, others dropped."""
        wanted = [validate_alias(alias) for alias in aliases if alias != LATEST]
        version = self.resolve(project, name, selector)
        folder = self.folder(project, name)
        with artifact_lock(folder):
            current = self.read_aliases(project, name)
            updated = {a: v for a, v in current.items() if v != version.version}
            updated.update(dict.fromkeys(wanted, version.version))
            self._write_aliases(project, name, updated)
        with contextlib.suppress(RunicornError):
            self.index.set_aliases(project, name, updated)
        return self._decorate(version)

    def add_alias(self, project: str, name: str, selector: str, alias: str) -> ArtifactVersion:
        """Point ``alias`` at one version (moving it from wherever it was)."""
        version = self.resolve(project, name, selector)
        current = [a for a in version.aliases if a != LATEST]
        return self.set_version_aliases(project, name, str(version.version), [*current, alias])

    def delete_version(self, project: str, name: str, selector: str) -> ArtifactVersion:
        """Remove one version (its number is never reused; blobs go at the next ``gc``)."""
        version = self.resolve(project, name, selector)
        folder = self.folder(project, name)
        with artifact_lock(folder):
            os.replace(
                folder / f"v{version.version}.json", folder / f".v{version.version}.deleted.json"
            )
            aliases = {a: v for a, v in self.read_aliases(project, name).items()}
            kept = {a: v for a, v in aliases.items() if v != version.version}
            if kept != aliases:
                self._write_aliases(project, name, kept)
        with contextlib.suppress(RunicornError):
            self.index.remove_version(project, name, version.version)
        return version

    def history(self, project: str, name: str) -> list[StageTransition]:
        """Every stage transition of an artifact, oldest first (a torn last line is skipped)."""
        path = self.folder(project, name) / LIFECYCLE_FILE
        transitions: list[StageTransition] = []
        try:
            with open(path, "rb") as lines:
                for line in lines:
                    with contextlib.suppress(ValueError, KeyError, TypeError, RunicornError):
                        transitions.append(StageTransition.from_dict(orjson.loads(line)))
        except FileNotFoundError:
            pass
        return transitions

    def stages(self, project: str, name: str) -> dict[int, Stage]:
        """The current stage of each version that ever left ``none``."""
        stages: dict[int, Stage] = {}
        for transition in self.history(project, name):
            stages[transition.version] = transition.to_stage
        return stages

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
    ) -> list[StageTransition]:
        """Move one version to ``stage``; promoting to production archives the previous one.

        Returns the lines appended to ``lifecycle.jsonl`` (the archive first, if any).
        """
        target = validate_stage(stage)
        version = self.resolve(project, name, selector)
        folder = self.folder(project, name)
        appended: list[StageTransition] = []
        with artifact_lock(folder):
            stages = self.stages(project, name)
            current = stages.get(version.version, "none")
            now = time.time()
            if target == "production" and archive_previous:
                for number, other in sorted(stages.items()):
                    if other == "production" and number != version.version:
                        appended.append(
                            StageTransition(
                                now,
                                number,
                                "production",
                                "archived",
                                f"replaced by v{version.version}",
                                by,
                            )
                        )
            if current != target:
                appended.append(StageTransition(now, version.version, current, target, reason, by))
            if appended:
                data = b"".join(dumps(t.to_dict()) + b"\n" for t in appended)
                with open(folder / LIFECYCLE_FILE, "ab") as log:
                    log.write(data)
                    log.flush()
                    os.fsync(log.fileno())
        with contextlib.suppress(RunicornError):
            self.index.set_stages(project, name, dict(self.stages(project, name)))
        return appended

    def record_run_edge(
        self,
        run_path: Path,
        run_id: str,
        run_project: str | None,
        kind: EdgeKind,
        version: ArtifactVersion,
    ) -> None:
        """Add ``version`` to the run's ``used`` or ``produced`` list (file, then index)."""
        label = _edge_label(run_project, version)
        with _RUN_FILE_LOCK:
            edges = read_run_edges(run_path)
            if label in edges[kind]:
                return
            edges[kind].append(label)
            atomic_write_json(run_path / RUN_ARTIFACTS_FILE, edges)
        with contextlib.suppress(RunicornError):
            self.index.set_run_edges(run_id, self._edge_rows(run_id, run_project, edges))

    @staticmethod
    def _edge_rows(
        run_id: str, run_project: str | None, edges: dict[str, list[str]]
    ) -> list[EdgeRow]:
        rows: list[EdgeRow] = []
        for kind in ("used", "produced"):
            for label in edges.get(kind, []):
                with contextlib.suppress(RunicornError, ValueError):
                    ref = ArtifactRef.parse(label, default_project=run_project)
                    number = parse_version_number(ref.selector)
                    if ref.project and number is not None:
                        rows.append((run_id, ref.project, ref.name, number, kind))
        return rows

    def run_edges(self, run_path: Path, run_project: str | None) -> list[RunEdge]:
        """The edges a run's ``artifacts.json`` records."""
        run_id = run_path.name
        return [
            RunEdge(run, project, name, version, kind)  # type: ignore[arg-type]
            for run, project, name, version, kind in self._edge_rows(
                run_id, run_project, read_run_edges(run_path)
            )
        ]

    def run_artifacts(self, run_path: Path, run_project: str | None) -> RunArtifacts:
        """The versions a run used and produced, resolved (deleted ones left out)."""
        found: dict[str, list[ArtifactVersion]] = {"used": [], "produced": []}
        for edge in self.run_edges(run_path, run_project):
            with contextlib.suppress(ArtifactNotFoundError, InvalidNameError):
                found[edge.kind].append(self.resolve(edge.project, edge.name, str(edge.version)))
        return RunArtifacts(used=found["used"], produced=found["produced"])

    def iter_artifacts(self) -> Iterator[tuple[str, str]]:
        """(project, name) of every artifact folder."""
        if not self.base.is_dir():
            return
        for project in sorted(os.listdir(self.base)):
            project_dir = self.base / project
            if not project_dir.is_dir():
                continue
            for name in sorted(os.listdir(project_dir)):
                if (project_dir / name).is_dir():
                    yield project, name

    def iter_versions(self) -> Iterator[ArtifactVersion]:
        """Every readable live version (unreadable files are skipped)."""
        for project, name in self.iter_artifacts():
            with contextlib.suppress(RunicornError):
                for number in self.version_numbers(project, name):
                    with contextlib.suppress(RunicornError):
                        yield self._read_version_file(project, name, number)

    def sync_artifact(self, project: str, name: str) -> None:
        """Bring the index's rows of one artifact up to its files, reading only new versions."""
        numbers = set(self.version_numbers(project, name))
        if not numbers:
            self.index.remove_artifact(project, name)
            return
        indexed = self.index.indexed_numbers(project, name)
        for number in sorted(indexed - numbers):
            self.index.remove_version(project, name, number)
        stages = self.stages(project, name)
        rows = []
        for number in sorted(numbers - indexed):
            with contextlib.suppress(RunicornError):
                version = self._read_version_file(project, name, number)
                rows.append(
                    {
                        **version.file_document(),
                        "file_count": len(version.files),
                        "stage": stages.get(number, "none"),
                    }
                )
        if rows:
            self.index.upsert_versions(project, name, rows)
        self.index.set_aliases(project, name, self.read_aliases(project, name))
        self.index.set_stages(project, name, dict(stages))

    def _folder_mtimes(self) -> dict[tuple[str, str], int]:
        stamps: dict[tuple[str, str], int] = {}
        with contextlib.suppress(OSError), os.scandir(self.base) as projects:
            for project in projects:
                if not project.is_dir(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError), os.scandir(project.path) as names:
                    for entry in names:
                        if entry.is_dir(follow_symlinks=False):
                            stamps[(project.name, entry.name)] = entry.stat().st_mtime_ns
        return stamps

    def refresh_index(self, min_interval: float = 0.0) -> int:
        """Index the artifacts whose folders changed since the last look (other processes,
        a sync, files copied in); returns how many were brought up to date.

        The first look indexes only artifacts the index does not know; later looks compare
        each folder's modification time, which changes whenever a version, alias file or
        deletion lands in it. One ``stat`` per artifact; skipped when the last look is under
        ``min_interval`` seconds old.
        """
        with self._refresh_lock:
            now = time.monotonic()
            if now - self._refreshed_at < min_interval:
                return 0
            current = self._folder_mtimes()
            self._refreshed_at = time.monotonic()
            if self._folder_stamps is None:
                known = self.index.artifact_keys()
                changed = [key for key in current if key not in known]
                gone = known - set(current)
            else:
                changed = [k for k, stamp in current.items() if self._folder_stamps.get(k) != stamp]
                gone = set(self._folder_stamps) - set(current)
            for project, name in changed:
                with contextlib.suppress(RunicornError):
                    self.sync_artifact(project, name)
            for project, name in gone:
                with contextlib.suppress(RunicornError):
                    self.index.remove_artifact(project, name)
            self._folder_stamps = current
            return len(changed) + len(gone)

    def referenced_blobs(self) -> set[str]:
        """sha256 of every blob a live version uses."""
        return {entry.sha256 for v in self.iter_versions() for entry in v.files.values()}

    def reindex(self) -> int:
        """Rebuild the artifact tables from the files; returns how many versions."""
        rows: list[dict[str, Any]] = []
        aliases: list[tuple[str, str, str, int]] = []
        for project, name in self.iter_artifacts():
            with contextlib.suppress(RunicornError):
                stages = self.stages(project, name)
                for number in self.version_numbers(project, name):
                    with contextlib.suppress(RunicornError):
                        version = self._read_version_file(project, name, number)
                        rows.append(
                            {
                                **version.file_document(),
                                "file_count": len(version.files),
                                "stage": stages.get(number, "none"),
                            }
                        )
                aliases += [
                    (project, name, a, v) for a, v in self.read_aliases(project, name).items()
                ]
        edges: list[EdgeRow] = []
        for run_path in iter_run_dirs(self.root):
            if not (run_path / RUN_ARTIFACTS_FILE).is_file():
                continue
            location = location_from_path(self.root, run_path)
            run_project = location.project if location else None
            edges += self._edge_rows(run_path.name, run_project, read_run_edges(run_path))
        self.index.rebuild(rows, aliases, edges)
        return len(rows)

    def blob_for_file(self, version: ArtifactVersion, path: str) -> tuple[Path, FileEntry]:
        """The stored blob of one file of a version, after checking the path and the bytes."""
        clean = str(safe_relative_path(path))
        entry = version.files.get(clean)
        if entry is None:
            raise ArtifactNotFoundError(f"{version.label} has no file {clean!r}")
        return self.verified_blob(entry), entry

    def verified_blob(self, entry: FileEntry) -> Path:
        """The blob of ``entry`` if its bytes still hash to its sha256; else an error."""
        path = self.blobs.path_of(entry.sha256)
        ensure_within(self.root, path)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"blob {entry.sha256[:12]}… is missing from the store; log the artifact again"
            ) from None
        if stat.st_size != entry.size:
            raise _corrupt(entry.sha256)
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if _VERIFIED.get(entry.sha256) != stamp:
            self.blobs.open_verified(entry.sha256)
            _VERIFIED[entry.sha256] = stamp
        return path


_VERIFIED: dict[str, tuple[int, int, int]] = {}


def _corrupt(sha256: str) -> RunicornError:
    return CorruptBlobError(
        f"blob {sha256[:12]}… no longer matches its size (bytes changed on disk); "
        "run `runicorn gc --verify`"
    )
