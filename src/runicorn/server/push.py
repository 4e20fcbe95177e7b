"""The HTTP receiver of pushes (DESIGN §9 over HTTP): clients ask what the server holds of
their runs, then send only the bytes past it, whole changed files, and a commit.

- ``POST /api/push/state`` ``{"runs": [{"id", "path"}]}`` → per run the end offset of each
  append-only file and the sha256 of each stored file.
- ``PUT /api/push/runs/{id}/append?path=&file=&start=`` (body: complete lines) stores one
  segment through :func:`runicorn.server.ingest.ingest_segment`: the same start sent twice
  changes nothing, a gap or an overlap is a 409 that says where to resume.
- ``PUT /api/push/runs/{id}/files/{name}?path=`` stores a whole file (JSON documents, media).
- ``POST /api/push/runs/{id}/commit?path=`` re-reads the run from what is stored and updates
  its index row, so lists, summaries and the live metric WebSocket see the new data. Its
  ``events.jsonl`` is read incrementally: each process keeps, per run, the statistics of the
  bytes it has read, so a commit costs what was appended, not the run's length.

Only writers and admins push, and only into projects they may write.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request

from runicorn.errors import UnsafePathError
from runicorn.security.path_validation import safe_relative_path, safe_run_id
from runicorn.server.backend import ServerStorageBackend
from runicorn.server.ingest import SegmentConflictError, ingest_segment, store_document
from runicorn.server.objects import APPEND_ONLY_FILES
from runicorn.server.project_access import ProjectScopedStorage, current_user
from runicorn.storage.run_files import EventsDigest, read_record
from runicorn.viewer.api.deps import in_thread

router = APIRouter(tags=["push"])
MAX_PUSH_BYTES = 32 << 20
MAX_RUNS_PER_STATE = 1000
MAX_DIGESTS = 4096  # runs whose events a process remembers (a few KB each)
RunPath = Annotated[str, Query(max_length=1024, description="project/name/runs/<id>")]


def _backend(request: Request) -> ServerStorageBackend:
    backend = request.app.state.ctx.backend
    if isinstance(backend, ProjectScopedStorage):
        backend = backend.inner
    if not isinstance(backend, ServerStorageBackend):
        raise HTTPException(404, "this server does not take pushes")
    return backend


def run_folder_of(run_id: str, run_path: str) -> tuple[str, str]:
    """``(clean path, project)`` of a run folder ``project/name/runs/<id>`` sent by a client."""
    try:
        safe_run_id(run_id)
        clean = safe_relative_path(run_path).as_posix()
    except (UnsafePathError, ValueError) as exc:
        raise HTTPException(400, f"run {run_id!r} at {run_path!r}: {exc}") from exc
    parts = clean.split("/")
    if len(parts) < 4 or parts[-2] != "runs" or parts[-1] != run_id:
        raise HTTPException(400, f"run path {run_path!r} is not project/name/runs/{run_id}")
    return clean, parts[0]


def _check_run(backend: ServerStorageBackend, run_id: str, run_path: str) -> str:
    """The run's folder on the server, once the user may write it and the path agrees."""
    clean, project = run_folder_of(run_id, run_path)
    known = backend.index.location(run_id)
    if known is not None:
        known_path, known_project = known
        if known_path and known_path != clean:
            raise HTTPException(
                409,
                f"conflict: run {run_id} is stored at {known_path}, not at {clean}; not pushed",
            )
        project = known_project or project
    user = current_user.get()
    if user is not None and not user.can_write(project):
        raise HTTPException(403, f"user {user.name!r} ({user.role}) cannot push to {project!r}")
    return clean


async def push_body(request: Request) -> bytes:
    """A push request's whole body, refused (413) past :data:`MAX_PUSH_BYTES`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        raise HTTPException(413, f"a push request carries at most {MAX_PUSH_BYTES} bytes")
    data = await request.body()
    if len(data) > MAX_PUSH_BYTES:
        raise HTTPException(413, f"a push request carries at most {MAX_PUSH_BYTES} bytes")
    return data


def _state(backend: ServerStorageBackend, runs: list[dict[str, Any]]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for item in runs:
        run_id, run_path = str(item.get("id", "")), str(item.get("path", ""))
        _check_run(backend, run_id, run_path)
        answer[run_id] = {
            "files": {f: backend.index.segment_end(run_id, f) for f in APPEND_ONLY_FILES},
            "documents": {p: d for p, (d, _) in backend.index.documents(run_id).items()},
        }
    return answer


@router.post("/api/push/state", summary="What the server holds of some runs (push step 1)")
async def push_state(
    request: Request,
    runs: Annotated[list[dict[str, Any]], Body(embed=True, max_length=MAX_RUNS_PER_STATE)],
) -> dict[str, Any]:
    backend = _backend(request)
    return {"runs": await in_thread(_state, backend, runs)}


@router.put("/api/push/runs/{run_id}/append", summary="Append complete lines at an offset")
async def push_append(
    request: Request,
    run_id: str,
    path: RunPath,
    file: Annotated[str, Query(max_length=64)],
    start: Annotated[int, Query(ge=0)],
) -> dict[str, Any]:
    backend = _backend(request)
    if file not in APPEND_ONLY_FILES:
        raise HTTPException(400, f"{file!r} is not an append-only run file")
    data = await push_body(request)
    if data and not data.endswith(b"\n"):
        raise HTTPException(400, "a segment must end with a complete line")
    clean = await in_thread(_check_run, backend, run_id, path)
    try:
        stored = await in_thread(ingest_segment, backend, run_id, clean, file, start, data)
    except SegmentConflictError as exc:
        end = await in_thread(backend.index.segment_end, run_id, file)
        raise HTTPException(409, {"detail": str(exc), "end": end}) from exc
    return {"stored": stored, "end": start + len(data)}


@router.put("/api/push/runs/{run_id}/files/{name:path}", summary="Store one whole run file")
async def push_file(request: Request, run_id: str, name: str, path: RunPath) -> dict[str, Any]:
    backend = _backend(request)
    try:
        clean_name = safe_relative_path(name).as_posix()
    except UnsafePathError as exc:
        raise HTTPException(400, str(exc)) from exc
    if clean_name in APPEND_ONLY_FILES:
        raise HTTPException(400, f"{clean_name} is append-only: send it with /append")
    data = await push_body(request)
    clean = await in_thread(_check_run, backend, run_id, path)
    changed = await in_thread(store_document, backend, run_id, clean, clean_name, data)
    return {"stored": changed}


class EventDigests:
    """Per run, what this process has folded in of its ``events.jsonl``, with a lock so two
    commits of one run never fold the same bytes twice nor write the index out of order."""

    def __init__(self, limit: int = MAX_DIGESTS) -> None:
        self.limit = limit
        self._held: OrderedDict[tuple[str, str], tuple[threading.Lock, EventsDigest]] = (
            OrderedDict()
        )
        self._guard = threading.Lock()

    def of(self, run_id: str, run_path: str) -> tuple[threading.Lock, EventsDigest]:
        key = (run_id, run_path)
        with self._guard:
            held = self._held.get(key)
            if held is None:
                held = self._held[key] = (threading.Lock(), EventsDigest())
                while len(self._held) > self.limit:
                    self._held.popitem(last=False)
            self._held.move_to_end(key)
            return held


_DIGESTS: weakref.WeakKeyDictionary[ServerStorageBackend, EventDigests] = (
    weakref.WeakKeyDictionary()
)
_DIGESTS_GUARD = threading.Lock()


def event_digests(backend: ServerStorageBackend) -> EventDigests:
    with _DIGESTS_GUARD:
        digests = _DIGESTS.get(backend)
        if digests is None:
            digests = _DIGESTS[backend] = EventDigests()
        return digests


def _commit(backend: ServerStorageBackend, run_id: str, run_path: str) -> dict[str, Any]:
    lock, digest = event_digests(backend).of(run_id, run_path)
    with lock:
        return _commit_locked(backend, run_id, run_path, digest)


def _commit_locked(
    backend: ServerStorageBackend, run_id: str, run_path: str, digest: EventsDigest
) -> dict[str, Any]:
    folder = backend.cache.refresh(run_id, run_path)
    record = read_record(backend.root, folder, events=digest)
    if record.id != run_id:
        raise HTTPException(409, f"conflict: the files at {run_path} describe run {record.id}")
    user = current_user.get()
    if user is not None and not user.can_write(record.project):
        # meta.json names another project than the folder: a writer cannot place runs there.
        raise HTTPException(
            403, f"user {user.name!r} ({user.role}) cannot push runs of {record.project!r}"
        )
    record.path = run_path
    backend.index.upsert_run(record)
    return {"id": record.id, "status": record.status, "last_step": record.last_step}


@router.post("/api/push/runs/{run_id}/commit", summary="Index a pushed run (push step 3)")
async def push_commit(request: Request, run_id: str, path: RunPath) -> dict[str, Any]:
    backend = _backend(request)
    clean = await in_thread(_check_run, backend, run_id, path)
    return await in_thread(_commit, backend, run_id, clean)
