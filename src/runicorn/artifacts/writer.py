"""The artifact writer of one run: the training thread only queues, a worker stores.

``log_artifact`` snapshots the description and returns a handle at once; one background
thread per run hashes and copies the files into the blob store (bounded memory: one copy
buffer), writes the version and records the run's edge. ``close`` (called by ``finish``)
waits for the queue. A failure is one warning and a handle whose ``wait()`` returns None:
it never raises into the training script.
"""

from __future__ import annotations

import _thread
import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runicorn.artifacts.artifact import Artifact, PendingFile
from runicorn.artifacts.code import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_TOTAL_BYTES,
    select_code_files,
)
from runicorn.artifacts.models import (
    ArtifactRef,
    ArtifactVersion,
    EdgeKind,
    FileEntry,
    validate_alias,
)
from runicorn.errors import MissingBlobError, RunicornError

if TYPE_CHECKING:  # imported by the worker, so that the training thread never pays for it
    from runicorn.artifacts.storage import ArtifactStore

Warn = Callable[[str, str], None]


class StoredArtifact:
    """A stored version as the SDK hands it out: its files, and ways to get at them."""

    def __init__(self, root: Path, version: ArtifactVersion) -> None:
        self._root = root
        self._version = version
        self.project = version.project
        self.name = version.name
        self.type = version.type
        self.version = version.version
        self.digest = version.digest
        self.aliases = list(version.aliases)
        self.metadata = dict(version.metadata)
        self.description = version.description
        self.references = list(version.references)
        self.files: dict[str, dict[str, Any]] = {
            path: entry.to_dict() for path, entry in sorted(version.files.items())
        }

    def path(self, relative: str) -> Path:
        """The stored (read-only) file behind ``relative``, checked against its sha256."""
        from runicorn.artifacts.storage import ArtifactStore

        with ArtifactStore(self._root) as store:
            blob, _ = store.blob_for_file(self._version, relative)
            return blob

    def download(self, target: str | Path) -> Path:
        """Copy every file into ``target`` under its own name; returns ``target``."""
        from runicorn.artifacts.download import download_version
        from runicorn.artifacts.storage import ArtifactStore

        with ArtifactStore(self._root) as store:
            return download_version(store, self._version, Path(target))

    def __repr__(self) -> str:
        return f"<runicorn.StoredArtifact {self.project}/{self.name}:v{self.version}>"


class ArtifactHandle:
    """What ``log_artifact`` returns: ``wait()`` gives the stored version (None on failure)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.error: str | None = None
        self._result: StoredArtifact | None = None
        self._done = threading.Event()

    def wait(self, timeout: float | None = None) -> StoredArtifact | None:
        """Block until stored (or ``timeout`` seconds); the version, or None if it failed."""
        self._done.wait(timeout)
        return self._result

    def done(self) -> bool:
        return self._done.is_set()

    def _finish(self, result: StoredArtifact | None, error: str | None = None) -> None:
        self._result, self.error = result, error
        self._done.set()

    def __repr__(self) -> str:
        state = "stored" if self._result else (self.error or "pending")
        return f"<runicorn.ArtifactHandle {self.name}: {state}>"


@dataclass(frozen=True)
class _Snapshot:
    name: str
    type: str
    description: str
    metadata: dict[str, Any]
    files: tuple[PendingFile, ...]
    references: tuple[dict[str, Any], ...]
    aliases: tuple[str, ...]


class RunArtifactWriter:
    """Stores artifacts for one run on a background thread."""

    def __init__(
        self, *, root: Path, run_id: str, project: str, run_path: Path, warn: Warn
    ) -> None:
        self.root = root
        self.run_id = run_id
        self.project = project
        self.run_path = run_path
        self._warn = warn
        self._queue: queue.Queue[Callable[[ArtifactStore], None] | None] = queue.Queue()
        self._started = False
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._closed = False

    def _submit(self, job: Callable[[ArtifactStore], None]) -> bool:
        with self._lock:
            if self._closed:
                return False
            if not self._started:
                # threading.Thread.start() waits until the new thread runs, and then for the
                # GIL while the worker imports the store: milliseconds on the training thread.
                # A bare thread returns at once; close() waits for ``_stopped`` instead of join.
                _thread.start_new_thread(self._work, ())
                self._started = True
            self._queue.put(job)
            return True

    def _work(self) -> None:
        try:
            from runicorn.artifacts.storage import ArtifactStore

            with ArtifactStore(self.root) as store:
                while True:
                    job = self._queue.get()
                    if job is None:
                        return
                    try:
                        job(store)
                    except Exception as exc:  # jobs report their own failures; a backstop
                        self._warn("artifact-worker", f"Runicorn artifact writer failed: {exc!r}")
        except Exception as exc:
            self._warn("artifact-worker", f"Runicorn artifact writer stopped: {exc!r}")
        finally:
            self._stopped.set()

    def log_artifact(self, artifact: Artifact, aliases: Iterable[str] | None) -> ArtifactHandle:
        """Queue ``artifact`` for storing; returns at once."""
        handle = ArtifactHandle(getattr(artifact, "name", "?"))
        try:
            snapshot = self._snapshot(artifact, aliases)
        except (RunicornError, TypeError, AttributeError) as exc:
            self._fail(handle, f"artifact {handle.name!r} was not logged: {exc}")
            return handle
        if not self._submit(lambda store: self._store(store, snapshot, handle)):
            self._fail(handle, f"artifact {handle.name!r} was not logged: the run has finished")
        return handle

    @staticmethod
    def _snapshot(artifact: Artifact, aliases: Iterable[str] | None) -> _Snapshot:
        if not isinstance(artifact, Artifact):
            raise TypeError(f"log_artifact() takes an rn.Artifact, not {type(artifact).__name__}")
        if artifact.problems:
            raise RunicornError("; ".join(artifact.problems))
        if not artifact.files and not artifact.references:
            raise RunicornError("it has no files and no references")
        if isinstance(aliases, str):
            aliases = [aliases]
        return _Snapshot(
            name=artifact.name,
            type=artifact.type,
            description=artifact.description,
            metadata=dict(artifact.metadata),
            files=tuple(replace(f, stamp=_file_stamp(f.source)) for f in artifact.files.values()),
            references=tuple(dict(r) for r in artifact.references),
            aliases=tuple(validate_alias(a) for a in aliases or () if a != "latest"),
        )

    def _store(
        self,
        store: ArtifactStore,
        snapshot: _Snapshot,
        handle: ArtifactHandle,
        edge: EdgeKind = "produced",
    ) -> None:
        try:
            files = self._put_files(store, snapshot)
            try:
                version = self._create(store, snapshot, files, edge)
            except MissingBlobError:
                # A `runicorn gc` elsewhere removed a blob between our copy and the version
                # (it was unreferenced then): copy again, once.
                files = self._put_files(store, snapshot)
                version = self._create(store, snapshot, files, edge)
            store.record_run_edge(self.run_path, self.run_id, self.project, edge, version)
        except (RunicornError, OSError, ValueError) as exc:
            self._fail(handle, f"artifact {snapshot.name!r} was not stored: {exc}")
            return
        handle._finish(StoredArtifact(store.root, version))

    def _put_files(self, store: ArtifactStore, snapshot: _Snapshot) -> dict[str, FileEntry]:
        files: dict[str, FileEntry] = {}
        for pending in snapshot.files:
            sha256, size = store.blobs.put_file(pending.source)
            if pending.stamp is not None and _file_stamp(pending.source) != pending.stamp:
                self._warn(
                    f"changed:{pending.source}",
                    f"Runicorn: {pending.source} changed after it was logged; "
                    f"{snapshot.name} holds its newer content (call .wait() on the handle "
                    "before overwriting a logged file)",
                )
            files[pending.name] = FileEntry(sha256, size)
        return files

    def _create(
        self,
        store: ArtifactStore,
        snapshot: _Snapshot,
        files: dict[str, FileEntry],
        edge: EdgeKind,
    ) -> ArtifactVersion:
        return store.create_version(
            project=self.project,
            name=snapshot.name,
            type=snapshot.type,
            files=files,
            references=list(snapshot.references),
            description=snapshot.description,
            metadata=snapshot.metadata,
            created_by=self.run_id if edge == "produced" else None,
            aliases=snapshot.aliases,
        )

    def log_path(
        self,
        type: str,
        path: str | os.PathLike[str],
        name: str | None,
        *,
        aliases: Iterable[str] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
        edge: EdgeKind = "produced",
    ) -> ArtifactHandle:
        """Log a file, a folder or a URI as an artifact of ``type``; the walk happens later.

        ``edge="used"`` records input data: the run used it, nobody in the store produced it.
        """
        text = str(path)
        artifact_name = name or (Path(text).stem if "://" not in text else "")
        handle = ArtifactHandle(artifact_name)
        queued_stat = _file_stamp(Path(text)) if "://" not in text else None

        def build(store: ArtifactStore) -> None:
            artifact = Artifact(artifact_name, type, description=description, metadata=metadata)
            if "://" in text:
                artifact.add_reference(text)
            elif Path(text).is_dir():
                artifact.add_dir(text)
            else:
                artifact.add_file(text)
            try:
                snapshot = self._snapshot(artifact, aliases)
            except (RunicornError, TypeError) as exc:
                self._fail(handle, f"{type} {artifact_name!r} was not logged: {exc}")
                return
            if queued_stat is not None and len(snapshot.files) == 1:
                only = snapshot.files[0]
                snapshot = replace(snapshot, files=(replace(only, stamp=queued_stat),))
            self._store(store, snapshot, handle, edge)

        if not self._submit(build):
            self._fail(handle, f"{type} {artifact_name!r} was not logged: the run has finished")
        return handle

    def log_code(
        self,
        root: str | os.PathLike[str] | None,
        name: str,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    ) -> ArtifactHandle:
        """Snapshot the source files under ``root`` (default: the working folder)."""
        folder = Path(root) if root is not None else Path.cwd()
        handle = ArtifactHandle(name)

        def build(store: ArtifactStore) -> None:
            selection = select_code_files(
                folder, max_file_bytes=max_file_bytes, max_total_bytes=max_total_bytes
            )
            if selection.skipped_large or selection.skipped_over_total:
                self._warn(
                    "code-caps",
                    f"Runicorn log_code left out {len(selection.skipped_large)} files over "
                    f"{max_file_bytes} bytes and {selection.skipped_over_total} beyond the "
                    f"{max_total_bytes}-byte total",
                )
            artifact = Artifact(
                name, "code", metadata={"root": str(selection.root), "git": selection.from_git}
            )
            for relative in selection.files:
                artifact.add_file(selection.root / relative, relative)
            try:
                snapshot = self._snapshot(artifact, None)
            except (RunicornError, TypeError) as exc:
                self._fail(handle, f"code snapshot {name!r} was not logged: {exc}")
                return
            self._store(store, snapshot, handle)

        if not self._submit(build):
            self._fail(handle, f"code snapshot {name!r} was not logged: the run has finished")
        return handle

    def use_artifact(self, reference: str) -> StoredArtifact | None:
        """Resolve ``[project/]name:alias`` now; the ``used`` edge is recorded in the background."""
        try:
            from runicorn.artifacts.storage import ArtifactStore

            ref = ArtifactRef.parse(reference, default_project=self.project)
            with ArtifactStore(self.root) as store:
                version = store.resolve_ref(ref, self.project)
        except RunicornError as exc:
            self._warn(f"use:{reference}", f"Runicorn could not use artifact {reference!r}: {exc}")
            return None

        def record(store: ArtifactStore) -> None:
            try:
                store.record_run_edge(self.run_path, self.run_id, self.project, "used", version)
            except (RunicornError, OSError) as exc:
                self._warn("use-edge", f"Runicorn could not record that it used {reference}: {exc}")

        self._submit(record)
        return StoredArtifact(self.root.resolve(), version)

    def _fail(self, handle: ArtifactHandle, message: str) -> None:
        self._warn(f"artifact:{message}", f"Runicorn: {message}")
        handle._finish(None, message)

    def close(self, timeout: float | None = None) -> None:
        """Store everything queued, then stop the worker."""
        with self._lock:
            self._closed = True
            started = self._started
            if started:
                self._queue.put(None)
        if started and not self._stopped.wait(timeout):
            self._warn("artifact-close", "Runicorn is still storing artifacts at exit")


def _file_stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time, to notice a file rewritten before the worker read it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)
