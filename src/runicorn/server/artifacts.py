"""The artifact catalog of a team server: versions, aliases and edges indexed in PostgreSQL,
version documents and blobs in the object store (DESIGN §8 and §12).

Keys: ``<prefix>/blobs/<sha256>`` for file contents and
``<prefix>/.runicorn/artifacts/<project>/<name>/{v<N>.json, aliases.json, lifecycle.jsonl}``
for the documents, as in a local root. Everything a push brings is untrusted: names, numbers,
paths and hashes are checked here before anything becomes visible, a blob only once its bytes
hash to its name, a version only once every blob it names is held. File downloads, Range
requests and zips stream from the store (:meth:`ServerArtifactStore.blob_range`); only a caller
that needs a local path (:meth:`ServerArtifactStore.verified_blob`) gets a verified copy in
the cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from runicorn.artifacts.blobs import check_sha256
from runicorn.artifacts.interface import BlobRange
from runicorn.artifacts.models import (
    LATEST,
    ArtifactRef,
    ArtifactVersion,
    FileEntry,
    Stage,
    StageTransition,
    check_artifact_path,
    parse_version_number,
    validate_alias,
    validate_artifact_name,
    validate_artifact_type,
    validate_stage,
    version_digest,
)
from runicorn.artifacts.storage import RUN_ARTIFACTS_FILE, RunArtifacts, read_run_edges
from runicorn.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    CorruptBlobError,
    InvalidNameError,
    RunicornError,
)
from runicorn.security.path_validation import safe_run_id
from runicorn.server.artifact_index import PostgresArtifactIndex
from runicorn.server.config import ServerConfig
from runicorn.server.database import Connection, Database
from runicorn.server.objects import ObjectStore
from runicorn.server.project_access import current_user
from runicorn.storage.artifact_index import EdgeRow
from runicorn.storage.jsonio import dumps
from runicorn.storage.layout import INDEX_DIR_NAME, validate_name

ALIASES_DOCUMENT = "aliases.json"
LIFECYCLE_DOCUMENT = "lifecycle.jsonl"
ARTIFACT_DOCUMENTS = (ALIASES_DOCUMENT, LIFECYCLE_DOCUMENT)
_CACHED_VERSIONS = 2048
_CHUNK = 1 << 20


class PushRefusedError(ArtifactError):
    """A pushed document or blob that cannot be accepted as sent (answered 400)."""


class PushConflictError(ArtifactError):
    """A push that contradicts what the server holds (answered 409)."""


def check_artifact(project: str, name: str) -> tuple[str, str]:
    """``(project, name)`` when both are valid single folder names, else an error."""
    validate_name(project, "project", allow_slash=False)
    validate_artifact_name(name)
    return project, name


def parse_run_edges(data: bytes) -> dict[str, list[str]]:
    """The ``used``/``produced`` lists of an ``artifacts.json`` sent by a client."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise PushRefusedError(f"{RUN_ARTIFACTS_FILE} is not JSON: {exc}") from exc
    document = document if isinstance(document, dict) else {}
    return {
        kind: [str(item) for item in document.get(kind) or [] if isinstance(item, str)]
        for kind in ("used", "produced")
    }


def edge_rows(run_id: str, run_project: str | None, edges: dict[str, list[str]]) -> list[EdgeRow]:
    """Index rows of a run's ``used``/``produced`` labels (``name:v3``, ``project/name:v3``);
    labels that name no exact version are left out."""
    rows: list[EdgeRow] = []
    for kind, labels in edges.items():
        for label in labels:
            with contextlib.suppress(RunicornError, ValueError):
                ref = ArtifactRef.parse(label, default_project=run_project)
                number = parse_version_number(ref.selector)
                if ref.project and number is not None:
                    rows.append((run_id, ref.project, ref.name, number, kind))
    return rows


def plan_transition(
    stages: dict[int, Stage],
    version: int,
    target: Stage,
    *,
    reason: str,
    by: str | None,
    archive_previous: bool,
    now: float,
) -> list[StageTransition]:
    """The lifecycle lines moving ``version`` to ``target`` (the production it replaces first)."""
    lines: list[StageTransition] = []
    if target == "production" and archive_previous:
        for number, stage in sorted(stages.items()):
            if stage == "production" and number != version:
                lines.append(
                    StageTransition(
                        now, number, "production", "archived", f"replaced by v{version}", by
                    )
                )
    current = stages.get(version, "none")
    if current != target:
        lines.append(StageTransition(now, version, current, target, reason, by))
    return lines


def _transitions(data: bytes) -> list[StageTransition]:
    found = []
    for line in data.splitlines():
        if line.strip():
            with contextlib.suppress(ValueError, KeyError, TypeError, RunicornError):
                found.append(StageTransition.from_dict(orjson.loads(line)))
    return found


def _stages_of(transitions: Iterable[StageTransition]) -> dict[int, Stage]:
    stages: dict[int, Stage] = {}
    for transition in transitions:
        stages[transition.version] = transition.to_stage
    return stages


def _lifecycle_bytes(transitions: Iterable[StageTransition]) -> bytes:
    return b"".join(dumps(t.to_dict()) + b"\n" for t in transitions)


class _StoredBlob:
    """Ranges of one blob in the object store."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        self.store = store
        self.key = key

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        yield from self.store.get_chunks(self.key, _CHUNK, byte_range=(start, end))


class ServerArtifactStore:
    """:class:`runicorn.artifacts.interface.ArtifactCatalog` on PostgreSQL + an object store."""

    def __init__(self, config: ServerConfig) -> None:
        self.database = Database(config.database_url)
        self._index = PostgresArtifactIndex(self.database)
        self.store = ObjectStore(config.store, endpoint=config.s3_endpoint)
        self.blob_cache = Path(config.cache_dir).resolve() / INDEX_DIR_NAME / "blobs"
        self._versions: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
        self._versions_lock = threading.Lock()

    @property
    def index(self) -> PostgresArtifactIndex:
        return self._index

    def close(self) -> None:
        self.database.close()

    def refresh_index(self, min_interval: float = 0.0) -> int:
        """Nothing to do: the index is written with every push and change."""
        return 0

    def document_key(self, project: str, name: str, document: str) -> str:
        check_artifact(project, name)
        return self.store.location.key(INDEX_DIR_NAME, "artifacts", project, name, document)

    def blob_key(self, sha256: str) -> str:
        return self.store.location.key("blobs", check_sha256(sha256))

    def _get(self, key: str) -> bytes | None:
        try:
            return b"".join(self.store.get_chunks(key))
        except KeyError:
            return None

    def version_numbers(self, project: str, name: str) -> list[int]:
        check_artifact(project, name)
        return self._index.version_numbers(project, name)

    def _version_bytes(self, project: str, name: str, number: int) -> bytes:
        key = (project, name, number)
        with self._versions_lock:
            cached = self._versions.get(key)
        if cached is not None:
            return cached
        data = self._get(self.document_key(project, name, f"v{number}.json"))
        if data is None:
            raise ArtifactNotFoundError(f"artifact {project}/{name} has no version v{number}")
        with self._versions_lock:
            self._versions[key] = data
            while len(self._versions) > _CACHED_VERSIONS:
                self._versions.popitem(last=False)
        return data

    def resolve(self, project: str, name: str, selector: str = LATEST) -> ArtifactVersion:
        """The version named by ``selector`` (``3``, ``v3``, ``latest`` or an alias)."""
        numbers = self.version_numbers(project, name)
        if not numbers:
            raise ArtifactNotFoundError(f"artifact {project}/{name} not found on this server")
        aliases = self._index.aliases_of(project, name)
        number = parse_version_number(selector)
        if selector == LATEST:
            number = numbers[-1]
        elif number is None:
            validate_alias(selector)
            number = aliases.get(selector)
            if number is None:
                raise ArtifactNotFoundError(
                    f"artifact {project}/{name} has no alias {selector!r}; "
                    "use latest, v<N> or one of its aliases"
                )
        if number not in numbers:
            raise ArtifactNotFoundError(f"artifact {project}/{name} has no version v{number}")
        try:
            version = ArtifactVersion.from_document(
                orjson.loads(self._version_bytes(project, name, number))
            )
        except ValueError as exc:
            raise ArtifactError(f"version {project}/{name}:v{number} is unreadable: {exc}") from exc
        version.aliases = sorted(a for a, v in aliases.items() if v == number)
        if number == numbers[-1]:
            version.aliases.insert(0, LATEST)
        version.stage = self.stages(project, name).get(number, "none")
        return version

    def history(self, project: str, name: str) -> list[StageTransition]:
        data = self._get(self.document_key(project, name, LIFECYCLE_DOCUMENT))
        return _transitions(data) if data else []

    def stages(self, project: str, name: str) -> dict[int, Stage]:
        """The stage of each version that left ``none`` (kept in the index with every change
        of the lifecycle document)."""
        check_artifact(project, name)
        return self._index.stages(project, name)

    def run_artifacts(self, run_path: Path, run_project: str | None) -> RunArtifacts:
        """The versions a run's ``artifacts.json`` names that this user may read."""
        found: dict[str, list[ArtifactVersion]] = {"used": [], "produced": []}
        for _, project, name, number, kind in edge_rows(
            run_path.name, run_project, read_run_edges(run_path)
        ):
            with contextlib.suppress(ArtifactNotFoundError, InvalidNameError):
                found[kind].append(self.resolve(project, name, str(number)))
        return RunArtifacts(used=found["used"], produced=found["produced"])

    def _locked(self, project: str, name: str, work: Any) -> Any:
        def run(conn: Connection) -> Any:
            self._index.lock_artifact(conn, project, name)
            return work()

        return self.database.run(run)

    def _write_aliases(self, project: str, name: str, aliases: dict[str, int]) -> None:
        data = dumps(dict(sorted(aliases.items())), indent=True)
        self.store.put(self.document_key(project, name, ALIASES_DOCUMENT), data)
        self._index.set_aliases(project, name, aliases)
        self._index.set_document(project, name, ALIASES_DOCUMENT, hashlib.sha256(data).hexdigest())

    def set_version_aliases(
        self, project: str, name: str, selector: str, aliases: Iterable[str]
    ) -> ArtifactVersion:
        """Make ``aliases`` exactly the aliases of one version: moved here, others dropped."""
        wanted = [validate_alias(alias) for alias in aliases if alias != LATEST]
        version = self.resolve(project, name, selector)

        def change() -> None:
            current = self._index.aliases_of(project, name)
            updated = {a: v for a, v in current.items() if v != version.version}
            updated.update(dict.fromkeys(wanted, version.version))
            self._write_aliases(project, name, updated)

        self._locked(project, name, change)
        return self.resolve(project, name, str(version.version))

    def delete_version(self, project: str, name: str, selector: str) -> ArtifactVersion:
        """Hide one version for good (its number is never taken again; blobs stay)."""
        version = self.resolve(project, name, selector)

        def delete() -> None:
            source = self.document_key(project, name, f"v{version.version}.json")
            data = self._version_bytes(project, name, version.version)
            self.store.put(
                self.document_key(project, name, f".v{version.version}.deleted.json"), data
            )
            self.store.delete(source)
            self._index.mark_deleted(project, name, version.version)
            kept = {
                a: v for a, v in self._index.aliases_of(project, name).items()
                if v != version.version
            }  # fmt: skip
            self._write_aliases(project, name, kept)

        self._locked(project, name, delete)
        return version

    def _write_lifecycle(self, project: str, name: str, lines: list[StageTransition]) -> str:
        data = _lifecycle_bytes(lines)
        self.store.put(self.document_key(project, name, LIFECYCLE_DOCUMENT), data)
        self._index.set_stages(project, name, dict(_stages_of(lines)))
        return hashlib.sha256(data).hexdigest()

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

        On the server the history names the user who asked, whatever ``by`` says."""
        target = validate_stage(stage)
        user = current_user.get()
        by = user.name if user is not None else by
        version = self.resolve(project, name, selector)

        def move() -> list[StageTransition]:
            history = self.history(project, name)
            appended = plan_transition(
                _stages_of(history), version.version, target, reason=reason, by=by,
                archive_previous=archive_previous, now=time.time(),
            )  # fmt: skip
            if appended:
                digest = self._write_lifecycle(project, name, history + appended)
                self._index.set_document(project, name, LIFECYCLE_DOCUMENT, digest)
            return appended

        result: list[StageTransition] = self._locked(project, name, move)
        return result

    def blob_for_file(self, version: ArtifactVersion, path: str) -> tuple[Path, FileEntry]:
        clean = check_artifact_path(path)
        entry = version.files.get(clean)
        if entry is None:
            raise ArtifactNotFoundError(f"{version.label} has no file {clean!r}")
        return self.verified_blob(entry), entry

    def blob_range(self, version: ArtifactVersion, path: str) -> tuple[FileEntry, BlobRange]:
        """One file of a version, streamed from the object store (verified when it arrived)."""
        clean = check_artifact_path(path)
        entry = version.files.get(clean)
        if entry is None:
            raise ArtifactNotFoundError(f"{version.label} has no file {clean!r}")
        if self._index.blob_size(entry.sha256) != entry.size:
            raise ArtifactNotFoundError(
                f"blob {entry.sha256[:12]}… is missing from the object store; push it again"
            )
        return entry, _StoredBlob(self.store, self.blob_key(entry.sha256))

    def verified_blob(self, entry: FileEntry) -> Path:
        """A local copy of the blob, streamed from the store and checked against its sha256."""
        target = self.blob_cache / check_sha256(entry.sha256)[:2] / entry.sha256
        with contextlib.suppress(FileNotFoundError):
            if target.stat().st_size == entry.size:
                return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".blob.", suffix=".tmp", dir=target.parent)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as writer:
                for chunk in self.store.get_chunks(self.blob_key(entry.sha256), _CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
            if digest.hexdigest() != entry.sha256:
                raise CorruptBlobError(
                    f"blob {entry.sha256[:12]}… in the object store does not match its hash"
                )
            os.replace(temp_name, target)
        except KeyError:
            raise ArtifactNotFoundError(
                f"blob {entry.sha256[:12]}… is missing from the object store; push it again"
            ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
        return target

    def store_blob(self, sha256: str, source: Path, holder: str) -> None:
        """Put a received file, already checked to hash to ``sha256``, into the store, and
        count ``holder`` (who sent it) among those who hold it."""
        size = source.stat().st_size
        key = self.blob_key(sha256)
        self.store.put_file(key, source)

        def record(conn: Connection) -> None:
            # Under the lock the collector deletes with: had it removed this very object
            # since the upload above, it is sent again before a row says it is stored.
            self._index.lock_blob(conn, sha256)
            if not self.store.exists(key):
                self.store.put_file(key, source)
            self._index.add_blob(conn, sha256, size)
            self._index.add_holder(conn, sha256, holder)

        self.database.run(record)

    def accept_version(
        self, project: str, name: str, number: int, data: bytes, holder: str
    ) -> bool:
        """Take a pushed ``v<N>.json`` naming only blobs ``holder`` has uploaded; False when the
        same version is already held."""
        version = self._checked_version(project, name, number, data, holder)
        stored: bool = self._locked(project, name, lambda: self._store_version(version))
        return stored

    def _store_version(self, version: ArtifactVersion) -> bool:
        project, name, number = version.project, version.name, version.version
        known = self._index.version_row(project, name, number)
        if known is not None:
            if known.get("deleted_at") is not None:
                raise PushConflictError(
                    f"{project}/{name}:v{number} was deleted on the server; "
                    "its number is not reused"
                )
            if known["digest"] != version.digest:
                raise PushConflictError(
                    f"{project}/{name}:v{number} on the server has other files "
                    f"(digest {known['digest'][:12]}…); not replaced"
                )
            return False
        hashes = {entry.sha256 for entry in version.files.values()}
        if self._index.touch_blobs(sorted(hashes)) < len(hashes):
            raise PushRefusedError(
                f"{project}/{name}:v{number} names a blob collected since it was uploaded; "
                "push the blobs again"
            )
        document = version.file_document()
        self.store.put(
            self.document_key(project, name, f"v{number}.json"), dumps(document, indent=True)
        )
        self._index.insert_version(document)
        self._index.set_stages(project, name, dict(_stages_of(self.history(project, name))))
        return True

    def _checked_version(
        self, project: str, name: str, number: int, data: bytes, holder: str
    ) -> ArtifactVersion:
        check_artifact(project, name)
        try:
            version = ArtifactVersion.from_document(orjson.loads(data))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise PushRefusedError(
                f"v{number}.json of {project}/{name} is not a version: {exc}"
            ) from exc
        if (version.project, version.name, version.version) != (project, name, number):
            raise PushRefusedError(
                f"the document names {version.project}/{version.name}:v{version.version}, "
                f"not {project}/{name}:v{number}"
            )
        if number < 1:
            raise PushRefusedError(f"version numbers start at 1, not {number}")
        validate_artifact_type(version.type)
        if version.created_by is not None:
            safe_run_id(str(version.created_by))
        for path, entry in version.files.items():
            if check_artifact_path(path) != path:
                raise PushRefusedError(f"file path {path!r} is not in its clean form")
            check_sha256(entry.sha256)
            if entry.size < 0:
                raise PushRefusedError(f"file {path!r} has a negative size")
        if version_digest(version.files, version.references) != version.digest:
            raise PushRefusedError(
                f"{project}/{name}:v{number}: its digest does not match its files"
            )
        hashes = sorted({entry.sha256 for entry in version.files.values()})
        missing = self._index.missing_blobs(hashes, holder)
        if missing:
            raise PushRefusedError(
                f"{project}/{name}:v{number} names {len(missing)} blob(s) this user has not "
                f"uploaded ({missing[0][:12]}…); push the blobs first"
            )
        for path, entry in version.files.items():
            if self._index.blob_size(entry.sha256) != entry.size:
                raise PushRefusedError(f"file {path!r}: its size differs from the stored blob's")
        version.size = sum(entry.size for entry in version.files.values())
        return version

    def accept_document(self, project: str, name: str, document: str, data: bytes) -> bool:
        """Take a pushed ``aliases.json`` (replaces) or ``lifecycle.jsonl`` (merged by line)."""
        check_artifact(project, name)
        digest = hashlib.sha256(data).hexdigest()
        if self._index.push_state(project, name)["documents"].get(document) == digest:
            return False
        if document == ALIASES_DOCUMENT:
            aliases = self._checked_aliases(project, name, data)
            self._locked(project, name, lambda: self._write_aliases(project, name, aliases))
        elif document == LIFECYCLE_DOCUMENT:
            pushed = self._checked_lifecycle(data)

            def merge() -> None:
                held = self.history(project, name)
                seen = {dumps(t.to_dict()) for t in held}
                merged = held + [t for t in pushed if dumps(t.to_dict()) not in seen]
                merged.sort(key=lambda t: t.ts)
                self._write_lifecycle(project, name, merged)

            self._locked(project, name, merge)
        else:
            raise PushRefusedError(f"{document!r} is not an artifact document")
        self._index.set_document(project, name, document, digest)
        return True

    def _checked_aliases(self, project: str, name: str, data: bytes) -> dict[str, int]:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise PushRefusedError(f"{ALIASES_DOCUMENT} is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise PushRefusedError(f"{ALIASES_DOCUMENT} must map alias to version")
        live = set(self._index.version_numbers(project, name))
        aliases: dict[str, int] = {}
        for alias, number in document.items():
            validate_alias(str(alias))
            if not isinstance(number, int) or isinstance(number, bool):
                raise PushRefusedError(f"alias {alias!r} must name a version number")
            if number in live:
                aliases[str(alias)] = number
        return aliases

    @staticmethod
    def _checked_lifecycle(data: bytes) -> list[StageTransition]:
        lines = []
        for raw in data.splitlines():
            if not raw.strip():
                continue
            try:
                lines.append(StageTransition.from_dict(orjson.loads(raw)))
            except (ValueError, KeyError, TypeError) as exc:
                raise PushRefusedError(f"{LIFECYCLE_DOCUMENT}: a line is not a transition") from exc
        return lines

    def accept_run_edges(self, run_id: str, run_project: str, data: bytes) -> int:
        """Index what a pushed ``artifacts.json`` says the run used and produced."""
        rows = edge_rows(run_id, run_project, parse_run_edges(data))
        self._index.set_run_edges(run_id, run_project, rows)
        return len(rows)
