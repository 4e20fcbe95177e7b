"""The HTTP receiver of artifact pushes (DESIGN §8 over the §12 push): blobs by hash, then
version documents, then each artifact's aliases and lifecycle, then each run's edges.

- ``POST /api/push/blobs/missing`` ``{"sha256": [...]}`` → the hashes this user has not
  uploaded (blobs are shared by hash across projects; a user names only blobs they sent).
- ``PUT /api/push/blobs/{sha256}`` (body: the bytes, streamed) stores a blob once its bytes
  hash to its name; anything else is refused and never becomes visible. Idempotent.
- ``POST /api/push/artifacts/state`` ``{"artifacts": [{"project", "name"}]}`` → per artifact
  the digest of each version the server holds (null: deleted there) and of its documents.
- ``PUT /api/push/artifacts/{project}/{name}/versions/{n}`` takes one ``v<N>.json`` whose
  blobs are all held; the same version again changes nothing, other files under a held number
  are a 409.
- ``PUT /api/push/artifacts/{project}/{name}/documents/{aliases.json|lifecycle.jsonl}``.
- ``PUT /api/push/runs/{id}/artifact-edges?path=`` (body: the run's ``artifacts.json``)
  indexes what the run used and produced, for lineage.

Only writers and admins push, and only into projects they may write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, HTTPException, Query, Request

from runicorn.artifacts.blobs import check_sha256
from runicorn.errors import ArtifactError, InvalidNameError, UnsafePathError
from runicorn.server.artifacts import (
    ARTIFACT_DOCUMENTS,
    PushConflictError,
    ServerArtifactStore,
    check_artifact,
)
from runicorn.server.project_access import ProjectScopedStorage, current_user
from runicorn.server.push import push_body, run_folder_of
from runicorn.storage.layout import validate_name
from runicorn.viewer.api.deps import in_thread

router = APIRouter(tags=["push"])
MAX_HASHES = 10_000
MAX_ARTIFACTS_PER_STATE = 1000
T = TypeVar("T")


def _store(request: Request) -> ServerArtifactStore:
    store = getattr(request.app.state, "artifacts", None)
    if not isinstance(store, ServerArtifactStore):
        raise HTTPException(404, "this server does not take artifact pushes")
    return store


def _check_writable(project: str, name: str | None = None) -> None:
    try:
        validate_name(project, "project", allow_slash=False)
        if name is not None:
            check_artifact(project, name)
    except (InvalidNameError, UnsafePathError) as exc:
        raise HTTPException(400, str(exc)) from exc
    user = current_user.get()
    if user is not None and not user.can_write(project):
        raise HTTPException(403, f"user {user.name!r} ({user.role}) cannot push to {project!r}")


async def _answer(work: Callable[..., T], *args: Any) -> T:
    """``work`` in a thread, its refusals answered 400 and its conflicts 409."""
    try:
        return await in_thread(work, *args)
    except PushConflictError as exc:
        raise HTTPException(409, str(exc)) from exc
    except (ArtifactError, InvalidNameError, UnsafePathError) as exc:
        raise HTTPException(400, str(exc)) from exc


def _holder() -> str:
    """Whose uploads a blob question is about: the request's user ("" on a server without users)."""
    user = current_user.get()
    return user.name if user is not None else ""


@router.post("/api/push/blobs/missing", summary="Which blobs this user has not uploaded (sha256)")
async def missing_blobs(
    request: Request,
    sha256: Annotated[list[str], Body(embed=True, max_length=MAX_HASHES)],
) -> dict[str, list[str]]:
    # Answered per user, never from the whole store: whether some other project holds a file
    # with a given hash is not this writer's business (and naming it would give its bytes).
    store = _store(request)
    try:
        hashes = [check_sha256(value) for value in sha256]
    except UnsafePathError as exc:
        raise HTTPException(400, str(exc)) from exc
    return {"missing": await in_thread(store.index.missing_blobs, hashes, _holder())}


@router.put("/api/push/blobs/{sha256}", summary="Store one blob (verified by its sha256)")
async def put_blob(request: Request, sha256: str) -> dict[str, Any]:
    store = _store(request)
    holder = _holder()
    try:
        check_sha256(sha256)
    except UnsafePathError as exc:
        raise HTTPException(400, str(exc)) from exc
    if not await in_thread(store.index.missing_blobs, [sha256], holder):
        return {"stored": False}
    # Held already for someone else: this user still proves possession by sending the bytes,
    # which are hashed and dropped instead of stored a second time.
    stored_for_others = not await in_thread(store.index.missing_blobs, [sha256])
    store.blob_cache.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".upload.", suffix=".tmp", dir=store.blob_cache)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as writer:
            async for chunk in request.stream():
                digest.update(chunk)
                size += len(chunk)
                if not stored_for_others:
                    await in_thread(writer.write, chunk)
        if digest.hexdigest() != sha256:
            raise HTTPException(
                400,
                f"the bytes sent hash to {digest.hexdigest()[:12]}…, not {sha256[:12]}…: "
                "blob refused",
            )
        if stored_for_others:
            if not await in_thread(store.index.hold_blob, sha256, holder):
                raise HTTPException(
                    409, f"blob {sha256[:12]}… was collected while it was sent; send it again"
                )
        else:
            await in_thread(store.store_blob, sha256, Path(temp_name), holder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
    return {"stored": True, "size": size}


def _artifact_states(store: ServerArtifactStore, items: list[dict[str, Any]]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for item in items:
        project, name = str(item.get("project", "")), str(item.get("name", ""))
        _check_writable(project, name)
        answer[f"{project}/{name}"] = store.index.push_state(project, name)
    return answer


@router.post("/api/push/artifacts/state", summary="What the server holds of some artifacts")
async def artifact_state(
    request: Request,
    artifacts: Annotated[
        list[dict[str, Any]], Body(embed=True, max_length=MAX_ARTIFACTS_PER_STATE)
    ],
) -> dict[str, Any]:
    store = _store(request)
    return {"artifacts": await in_thread(_artifact_states, store, artifacts)}


@router.put(
    "/api/push/artifacts/{project}/{name}/versions/{number}",
    summary="Store one version document (its blobs must be held)",
)
async def put_version(request: Request, project: str, name: str, number: int) -> dict[str, Any]:
    store = _store(request)
    _check_writable(project, name)
    data = await push_body(request)
    return {"stored": await _answer(store.accept_version, project, name, number, data, _holder())}


@router.put(
    "/api/push/artifacts/{project}/{name}/documents/{document}",
    summary="Store an artifact's aliases.json or lifecycle.jsonl",
)
async def put_document(request: Request, project: str, name: str, document: str) -> dict[str, Any]:
    store = _store(request)
    _check_writable(project, name)
    if document not in ARTIFACT_DOCUMENTS:
        raise HTTPException(400, f"{document!r} is not one of {', '.join(ARTIFACT_DOCUMENTS)}")
    data = await push_body(request)
    return {"stored": await _answer(store.accept_document, project, name, document, data)}


@router.put("/api/push/runs/{run_id}/artifact-edges", summary="Index a run's artifacts.json")
async def put_run_edges(
    request: Request,
    run_id: str,
    path: Annotated[str, Query(max_length=1024, description="project/name/runs/<id>")],
) -> dict[str, Any]:
    store = _store(request)
    clean, project = run_folder_of(run_id, path)
    backend = request.app.state.ctx.backend
    if isinstance(backend, ProjectScopedStorage):
        backend = backend.inner
    known = await in_thread(backend.index.get, run_id)
    if known is not None and known.path and known.path != clean:
        raise HTTPException(409, f"conflict: run {run_id} is stored at {known.path}, not {clean}")
    project = known.project if known is not None and known.project else project
    _check_writable(project)
    data = await push_body(request)
    return {"edges": await _answer(store.accept_run_edges, run_id, project, data)}
