"""Pushing a local storage root to a team server over HTTP (DESIGN §9 and §12).

The server is the destination of a one-way sync: the client asks what the server holds of its
runs (``POST /api/push/state``), then sends, per run, the bytes of each append-only file past
the server's end offset (complete lines only, in chunks), every other file whose sha256
differs, and a commit that updates the run's index row. Offsets make it idempotent: a chunk
re-sent after a lost answer is recognised by its start offset and changes nothing; a pass cut
off anywhere resumes from what the server reports next time. Local files are never changed.

The same :func:`push_run` serves ``runicorn sync ROOT https://server`` and the SDK's
background pusher (:mod:`runicorn.pusher`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from runicorn.errors import RunicornError
from runicorn.manifest.models import Conflict, RunEntry, SyncReport
from runicorn.manifest.transfer import SyncProgress
from runicorn.security.path_validation import open_under
from runicorn.storage.layout import INDEX_DIR_NAME

APPEND_ONLY_FILES = ("events.jsonl", "logs.txt")
CHUNK_BYTES = 8 << 20
MAX_FILE_BYTES = 32 << 20  # the server's limit per request (server/push.py)
STATE_BATCH = 200
BLOB_BATCH = 5000
BLOB_CHUNK_BYTES = 1 << 20
RUN_ARTIFACTS_FILE = "artifacts.json"
ALIASES_FILE = "aliases.json"
LIFECYCLE_FILE = "lifecycle.jsonl"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
SLOWEST_STORE_BYTES_PER_SECOND = 2 << 20  # server to bucket, for a blob upload's answer


class PushError(RunicornError):
    """The server could not be reached or refused a push; the next push resumes."""


class PushConflictError(PushError):
    """The server holds different content for a run; it is reported and skipped."""


class PushRefusedError(PushError):
    """The server refused what was sent as invalid (a blob whose bytes do not match its hash,
    a version naming blobs it lacks, a hostile name or path); reported, the rest goes on."""


def is_http_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


@dataclass
class RunPushed:
    """What one run's push sent."""

    bytes_sent: int = 0
    documents: int = 0
    committed: bool = False
    too_large: list[str] = field(default_factory=list)


@dataclass
class _DigestCache:
    """sha256 of local files by (size, mtime_ns): unchanged media are not read again."""

    known: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def digest(self, root: Path, path: Path) -> tuple[str, bytes | None]:
        stat = path.stat()
        cached = self.known.get(path)
        if cached is not None and cached[:2] == (stat.st_size, stat.st_mtime_ns):
            return cached[2], None
        with open_under(root, path) as handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        self.known[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest, data


class PushClient:
    """The push routes of one server, with the user's token."""

    def __init__(self, url: str, token: str | None, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT):
        if not is_http_url(url):
            raise PushError(f"{url!r} is not an http(s):// server URL")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.digests = _DigestCache()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PushClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise PushError(f"cannot reach {self.url}: {exc!r}; the next push resumes") from exc
        if response.status_code == 409:
            raise PushConflictError(_detail(response))
        if response.status_code in (401, 403):
            raise PushError(
                f"{self.url} refused the push ({response.status_code}): {_detail(response)}; "
                "pass --token or set RUNICORN_TOKEN to a writer's token"
            )
        if response.status_code in (400, 413, 422):
            raise PushRefusedError(f"{self.url} refused {path}: {_detail(response)}")
        if response.status_code >= 400:
            raise PushError(f"{self.url} answered {response.status_code}: {_detail(response)}")
        answer: dict[str, Any] = response.json()
        return answer

    def state(self, runs: Iterable[tuple[str, str]]) -> dict[str, Any]:
        body = {"runs": [{"id": run_id, "path": path} for run_id, path in runs]}
        runs_state: dict[str, Any] = self._call("POST", "/api/push/state", json=body)["runs"]
        return runs_state

    def append(self, run_id: str, run_path: str, file: str, start: int, data: bytes) -> None:
        params = {"path": run_path, "file": file, "start": str(start)}
        self._call("PUT", f"/api/push/runs/{run_id}/append", params=params, content=data)

    def put_file(self, run_id: str, run_path: str, name: str, data: bytes) -> None:
        self._call(
            "PUT", f"/api/push/runs/{run_id}/files/{name}", params={"path": run_path}, content=data
        )

    def commit(self, run_id: str, run_path: str) -> dict[str, Any]:
        return self._call("POST", f"/api/push/runs/{run_id}/commit", params={"path": run_path})

    def artifact_state(self, artifacts: Iterable[tuple[str, str]]) -> dict[str, Any]:
        body = {"artifacts": [{"project": p, "name": n} for p, n in artifacts]}
        states: dict[str, Any] = self._call("POST", "/api/push/artifacts/state", json=body)[
            "artifacts"
        ]
        return states

    def missing_blobs(self, hashes: list[str]) -> set[str]:
        missing: list[str] = self._call("POST", "/api/push/blobs/missing", json={"sha256": hashes})[
            "missing"
        ]
        return set(missing)

    def put_blob(self, sha256: str, size: int, chunks: Iterable[bytes]) -> None:
        # The server answers once the blob is in the bucket: allow time for its upload.
        wait = max(DEFAULT_TIMEOUT.read or 30.0, size / SLOWEST_STORE_BYTES_PER_SECOND)
        timeout = httpx.Timeout(DEFAULT_TIMEOUT.write, connect=5.0, read=wait)
        self._call("PUT", f"/api/push/blobs/{sha256}", content=chunks, timeout=timeout)

    def put_version(self, project: str, name: str, number: int, data: bytes) -> None:
        path = f"/api/push/artifacts/{_quoted(project)}/{_quoted(name)}/versions/{number}"
        self._call("PUT", path, content=data)

    def put_artifact_document(self, project: str, name: str, document: str, data: bytes) -> None:
        path = f"/api/push/artifacts/{_quoted(project)}/{_quoted(name)}/documents/{document}"
        self._call("PUT", path, content=data)

    def put_run_edges(self, run_id: str, run_path: str, data: bytes) -> None:
        self._call(
            "PUT",
            f"/api/push/runs/{run_id}/artifact-edges",
            params={"path": run_path},
            content=data,
        )


def _quoted(segment: str) -> str:
    return quote(segment, safe="")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, dict):
        detail = detail.get("detail", detail)
    return str(detail)


def push_run(
    client: PushClient,
    root: Path,
    run_path: str,
    run_id: str,
    state: dict[str, Any],
    files: Iterable[str],
    on_bytes: Callable[[int], None] | None = None,
) -> RunPushed:
    """Send what the server lacks of one run folder (``state``: its answer for the run)."""
    root = root.resolve()
    folder = root / run_path
    pushed = RunPushed()
    ends: dict[str, int] = state.get("files", {})
    documents: dict[str, str] = state.get("documents", {})
    for file in APPEND_ONLY_FILES:
        sent = _append_new_lines(client, root, folder, run_path, run_id, file, ends.get(file, 0))
        pushed.bytes_sent += sent
        if on_bytes and sent:
            on_bytes(sent)
    for name in sorted(set(files) - set(APPEND_ONLY_FILES)):
        path = folder / name
        if path.is_symlink() or not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            pushed.too_large.append(name)
            continue
        digest, data = client.digests.digest(root, path)
        if documents.get(name) == digest:
            continue
        if data is None:
            with open_under(root, path) as handle:
                data = handle.read()
        client.put_file(run_id, run_path, name, data)
        pushed.documents += 1
        pushed.bytes_sent += len(data)
        if on_bytes:
            on_bytes(len(data))
    if pushed.bytes_sent or not documents:
        client.commit(run_id, run_path)
        pushed.committed = True
    return pushed


def _append_new_lines(
    client: PushClient, root: Path, folder: Path, run_path: str, run_id: str, file: str, end: int
) -> int:
    source = folder / file
    if not source.is_file():
        return 0
    sent = 0
    with open_under(root, source) as handle:
        size = handle.seek(0, 2)
        if size < end:
            raise PushConflictError(
                f"the local {file} ({size} bytes) is shorter than the server's ({end} bytes)"
            )
        while end < size:
            handle.seek(end)
            chunk = handle.read(min(CHUNK_BYTES, size - end))
            complete = chunk[: chunk.rfind(b"\n") + 1]
            if not complete:
                break  # a torn last line: sent once the writer has finished it
            client.append(run_id, run_path, file, end, complete)
            end += len(complete)
            sent += len(complete)
    return sent


def run_files(run: RunEntry) -> list[str]:
    return list(run.files)


def push_root(
    root: Path | str,
    url: str,
    *,
    token: str | None,
    project: str | None = None,
    since: float | None = None,
    progress: Callable[[SyncProgress], None] | None = None,
) -> SyncReport:
    """Push every run of the local root ``root`` (or ``project``'s) to the server at ``url``."""
    from runicorn.manifest.generator import generate

    started = time.monotonic()
    root = Path(root).expanduser().resolve()
    manifest = generate(root, project=project, since=since)
    report = SyncReport(source=str(root), destination=url, passes=1)
    report.runs_seen = len(manifest.runs)
    state_progress = SyncProgress(bytes_total=manifest.total_bytes, runs_total=len(manifest.runs))

    def moved(count: int) -> None:
        state_progress.bytes_done += count
        if progress:
            progress(state_progress)

    with PushClient(url, token) as client:
        for first in range(0, len(manifest.runs), STATE_BATCH):
            batch = manifest.runs[first : first + STATE_BATCH]
            try:
                states = client.state((run.id, run.path) for run in batch)
            except PushConflictError as exc:
                states = _states_one_by_one(client, batch, report, str(exc))
            for run in batch:
                if run.id in states:
                    _push_entry(client, root, run, states[run.id], report, moved)
                state_progress.runs_done += 1
                if progress:
                    progress(state_progress)
        push_artifacts(client, root, report, project=project, on_bytes=moved)
        skipped = {conflict.item for conflict in report.conflicts}
        for run in manifest.runs:
            if RUN_ARTIFACTS_FILE in run.files and run.id not in skipped:
                _push_run_edges(client, root, run, report)
    report.seconds = time.monotonic() - started
    return report


def _states_one_by_one(
    client: PushClient, runs: list[RunEntry], report: SyncReport, first_error: str
) -> dict[str, Any]:
    """A batch had a conflicting run: ask run by run so only that one is skipped."""
    states: dict[str, Any] = {}
    for run in runs:
        try:
            states.update(client.state([(run.id, run.path)]))
        except PushConflictError as exc:
            report.conflicts.append(Conflict(run.id, str(exc) or first_error))
    return states


def _push_entry(
    client: PushClient,
    root: Path,
    run: RunEntry,
    state: dict[str, Any],
    report: SyncReport,
    moved: Callable[[int], None],
) -> None:
    is_new = not any(state.get("files", {}).values()) and not state.get("documents")
    try:
        pushed = push_run(client, root, run.path, run.id, state, run_files(run), moved)
    except PushConflictError as exc:
        report.conflicts.append(Conflict(run.id, str(exc)))
        return
    report.bytes_moved += pushed.bytes_sent
    report.files_written += pushed.documents
    for name in pushed.too_large:
        report.notes.append(
            f"run {run.id}: {name} not pushed (larger than {MAX_FILE_BYTES >> 20} MiB per file)"
        )
    if pushed.bytes_sent:
        (report.runs_new if is_new else report.runs_updated).append(run.id)


@dataclass
class ArtifactsPushed:
    """What one artifact push sent."""

    blobs: int = 0
    blob_bytes: int = 0
    versions: int = 0
    documents: int = 0
    problems: list[str] = field(default_factory=list)


def _local_artifacts(
    root: Path, project: str | None, only: set[tuple[str, str]] | None = None
) -> list[tuple[str, str, list[int]]]:
    from runicorn.artifacts.storage import ArtifactStore

    store = ArtifactStore(root)
    return [
        (p, n, store.version_numbers(p, n))
        for p, n in store.iter_artifacts()
        if (project is None or p == project) and (only is None or (p, n) in only)
    ]


def _read_under(root: Path, path: Path) -> bytes:
    with open_under(root, path) as handle:
        return handle.read()


def _blob_chunks(root: Path, path: Path) -> Iterator[bytes]:
    with open_under(root, path) as handle:
        while chunk := handle.read(BLOB_CHUNK_BYTES):
            yield chunk


def push_artifacts(
    client: PushClient,
    root: Path,
    report: SyncReport,
    *,
    project: str | None = None,
    only: set[tuple[str, str]] | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> ArtifactsPushed:
    """Send the artifact versions, blobs, aliases and lifecycles the server lacks (DESIGN §8);
    ``project`` or ``only`` (``(project, name)`` pairs) narrow which artifacts.

    Blobs go first and only those the server names as missing; a version only once its blobs
    are there; then each artifact's ``aliases.json`` and ``lifecycle.jsonl`` if they differ.
    """
    root = root.resolve()
    pushed = ArtifactsPushed()
    base = root / INDEX_DIR_NAME / "artifacts"
    local = _local_artifacts(root, project, only)
    for first in range(0, len(local), STATE_BATCH):
        batch = local[first : first + STATE_BATCH]
        try:
            states = client.artifact_state((p, n) for p, n, _ in batch)
        except PushRefusedError:
            states = _artifact_states_one_by_one(client, batch, report)
        for artifact_project, name, numbers in batch:
            if f"{artifact_project}/{name}" not in states:
                continue
            folder = base / artifact_project / name
            state = states[f"{artifact_project}/{name}"]
            _push_versions(client, root, folder, (artifact_project, name), numbers, state,
                           report, pushed, on_bytes)  # fmt: skip
            held: dict[str, str] = state.get("documents", {})
            for document in (ALIASES_FILE, LIFECYCLE_FILE):
                path = folder / document
                if path.is_symlink() or not path.is_file():
                    continue
                data = _read_under(root, path)
                if held.get(document) == hashlib.sha256(data).hexdigest():
                    continue
                try:
                    client.put_artifact_document(artifact_project, name, document, data)
                except PushRefusedError as exc:
                    report.refused.append(f"{artifact_project}/{name} {document}: {exc}")
                    continue
                pushed.documents += 1
    report.blobs_copied += pushed.blobs
    report.files_written += pushed.versions + pushed.documents
    return pushed


def _artifact_states_one_by_one(
    client: PushClient, batch: list[tuple[str, str, list[int]]], report: SyncReport
) -> dict[str, Any]:
    """A batch named an artifact the server refuses: ask one by one, report that one."""
    states: dict[str, Any] = {}
    for project, name, _ in batch:
        try:
            states.update(client.artifact_state([(project, name)]))
        except PushRefusedError as exc:
            report.refused.append(f"artifact {project}/{name}: {exc}")
    return states


def _push_versions(
    client: PushClient,
    root: Path,
    folder: Path,
    artifact: tuple[str, str],
    numbers: list[int],
    state: dict[str, Any],
    report: SyncReport,
    pushed: ArtifactsPushed,
    on_bytes: Callable[[int], None] | None,
) -> None:
    project, name = artifact
    held: dict[str, str | None] = state.get("versions", {})
    documents: dict[int, bytes] = {}
    for number in numbers:
        data = _read_under(root, folder / f"v{number}.json")
        if str(number) not in held:
            documents[number] = data
            continue
        digest = held[str(number)]
        if digest is not None and digest != _version_digest(data):
            report.conflicts.append(
                Conflict(f"{project}/{name}:v{number}", "the server holds other files")
            )
    if not documents:
        return
    files = {number: _version_files(data) for number, data in documents.items()}
    hashes = sorted({sha for entries in files.values() for sha, _ in entries})
    missing: set[str] = set()
    for first in range(0, len(hashes), BLOB_BATCH):
        missing |= client.missing_blobs(hashes[first : first + BLOB_BATCH])
    for sha256 in sorted(missing):
        blob = root / INDEX_DIR_NAME / "blobs" / sha256[:2] / sha256
        if blob.is_symlink() or not blob.is_file():
            continue  # the versions naming it are refused below, with the reason
        size = blob.stat().st_size
        try:
            client.put_blob(sha256, size, _blob_chunks(root, blob))
        except PushRefusedError as exc:
            report.refused.append(f"blob {sha256[:12]}…: {exc}")
            continue
        pushed.blobs += 1
        pushed.blob_bytes += size
        report.bytes_moved += size
        if on_bytes:
            on_bytes(size)
    for number, data in sorted(documents.items()):
        try:
            client.put_version(project, name, number, data)
        except PushConflictError as exc:
            report.conflicts.append(Conflict(f"{project}/{name}:v{number}", str(exc)))
            continue
        except PushRefusedError as exc:
            report.refused.append(f"{project}/{name}:v{number}: {exc}")
            continue
        pushed.versions += 1
        report.bytes_moved += len(data)


def _version_digest(data: bytes) -> str | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    digest = document.get("digest") if isinstance(document, dict) else None
    return str(digest) if digest is not None else None


def _version_files(data: bytes) -> list[tuple[str, int]]:
    """``(sha256, size)`` of each file a local version names (a malformed one names none)."""
    try:
        document = json.loads(data)
        files = document.get("files") or {}
        return [(str(entry["sha256"]), int(entry["size"])) for entry in files.values()]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []


def _push_run_edges(client: PushClient, root: Path, run: RunEntry, report: SyncReport) -> None:
    path = root / run.path / RUN_ARTIFACTS_FILE
    if path.is_symlink() or not path.is_file():
        return
    try:
        client.put_run_edges(run.id, run.path, _read_under(root, path))
    except PushConflictError as exc:
        report.conflicts.append(Conflict(run.id, str(exc)))


def push_run_artifacts(
    client: PushClient, root: Path, run_path: str, run_id: str
) -> ArtifactsPushed:
    """Push the artifacts one run used and produced, then its edges (the SDK's pusher);
    what the server refused is listed in ``problems``."""
    from runicorn.artifacts.models import ArtifactRef
    from runicorn.storage.layout import location_from_path

    root = root.resolve()
    location = location_from_path(root, root / run_path)
    run_project = location.project if location else None
    path = root / run_path / RUN_ARTIFACTS_FILE
    if path.is_symlink() or not path.is_file():
        return ArtifactsPushed()
    data = _read_under(root, path)
    try:
        document = json.loads(data)
    except ValueError:
        return ArtifactsPushed()
    wanted: set[tuple[str, str]] = set()
    for kind in ("used", "produced"):
        for label in document.get(kind) or [] if isinstance(document, dict) else []:
            try:
                ref = ArtifactRef.parse(str(label), default_project=run_project)
            except RunicornError:
                continue
            if ref.project:
                wanted.add((ref.project, ref.name))
    report = SyncReport()
    pushed = push_artifacts(client, root, report, only=wanted)
    client.put_run_edges(run_id, run_path, data)
    pushed.problems = [*report.refused, *(str(c) for c in report.conflicts)]
    return pushed
