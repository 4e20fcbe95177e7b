"""Artifacts: lists, one version, its files (Range), a zip, aliases, deletion, lineage."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from runicorn.artifacts import catalog
from runicorn.artifacts.download import zip_chunks
from runicorn.artifacts.interface import ArtifactCatalog, StreamsBlobs
from runicorn.artifacts.lineage import DEFAULT_DEPTH, MAX_DEPTH
from runicorn.artifacts.models import FileEntry
from runicorn.artifacts.storage import ArtifactStore
from runicorn.viewer.api.deps import (
    Limit,
    MutateLimit,
    Offset,
    ReadLimit,
    TransferLimit,
    in_thread,
    json_response,
)
from runicorn.viewer.api.ranged import ranged_response

router = APIRouter(tags=["artifacts"])
_STORE_LOCK = threading.Lock()

TextFilter = Annotated[str | None, Query(max_length=200)]


def artifact_store(request: Request) -> ArtifactCatalog:
    """The artifact catalog of the app serving ``request``: the one the app was given (a team
    server's), else the storage root's files, opened on first use."""
    state = request.app.state
    with _STORE_LOCK:
        store: ArtifactCatalog | None = getattr(state, "artifacts", None)
        if store is None:
            store = ArtifactStore(state.ctx.settings.root)
            state.artifacts = store
        return store


class AliasUpdate(BaseModel):
    """The full set of aliases the version should carry (others on it are removed)."""

    aliases: list[Annotated[str, Field(max_length=64)]] = Field(max_length=64)


@router.get("/api/artifacts", summary="Artifacts by project, type, name", dependencies=[ReadLimit])
async def list_artifacts(
    request: Request,
    project: TextFilter = None,
    type: TextFilter = None,
    name: TextFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    store = artifact_store(request)
    page = await in_thread(
        catalog.list_artifacts,
        store,
        project=project,
        type=type,
        name=name,
        limit=limit,
        offset=offset,
    )
    return json_response(page)


@router.get(
    "/api/artifacts/{project}/{name}",
    summary="One artifact's versions, newest first",
    dependencies=[ReadLimit],
)
async def list_versions(
    project: str, name: str, request: Request, limit: Limit = 50, offset: Offset = 0
) -> Response:
    store = artifact_store(request)
    page = await in_thread(catalog.list_versions, store, project, name, limit=limit, offset=offset)
    return json_response(page)


@router.get(
    "/api/artifacts/{project}/{name}/{ver}",
    summary="One version (3, v3, latest or an alias): files, aliases, stage, producer, consumers",
    dependencies=[ReadLimit],
)
async def version_detail(project: str, name: str, ver: str, request: Request) -> Response:
    store = artifact_store(request)
    return json_response(await in_thread(catalog.version_detail, store, project, name, ver))


@router.get(
    "/api/artifacts/{project}/{name}/{ver}/files/{path:path}",
    summary="One file of a version (streamed, Range supported)",
    dependencies=[TransferLimit],
    response_class=FileResponse,
)
async def version_file(project: str, name: str, ver: str, path: str, request: Request) -> Response:
    store = artifact_store(request)
    version = await in_thread(store.resolve, project, name, ver)
    filename = path.rsplit("/", 1)[-1]
    if isinstance(store, StreamsBlobs):
        entry, source = await in_thread(store.blob_range, version, path)
        return ranged_response(
            source, entry.size, request.headers.get("range"), filename, _file_headers(entry)
        )
    blob, entry = await in_thread(store.blob_for_file, version, path)
    return FileResponse(
        blob, filename=filename, content_disposition_type="attachment", headers=_file_headers(entry)
    )


def _file_headers(entry: FileEntry) -> dict[str, str]:
    return {"ETag": f'"{entry.sha256}"', "Cache-Control": "private, max-age=86400"}


@router.get(
    "/api/artifacts/{project}/{name}/{ver}/download",
    summary="Every file of a version as a zip",
    dependencies=[TransferLimit],
)
async def version_zip(project: str, name: str, ver: str, request: Request) -> StreamingResponse:
    store = artifact_store(request)
    version = await in_thread(store.resolve, project, name, ver)
    # Check before the status line is sent, so a corrupt or missing blob is an error, not a
    # bad zip (a team server's blobs were verified when they arrived: only presence here).
    for path, entry in version.files.items():
        if isinstance(store, StreamsBlobs):
            await in_thread(store.blob_range, version, path)
        else:
            await in_thread(store.verified_blob, entry)
    filename = f"{version.name}-v{version.version}.zip"
    return StreamingResponse(
        zip_chunks(store, version),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.put(
    "/api/artifacts/{project}/{name}/{ver}/aliases",
    summary="Set the aliases of a version (moved here from other versions)",
    dependencies=[MutateLimit],
)
async def set_aliases(
    project: str, name: str, ver: str, body: AliasUpdate, request: Request
) -> Response:
    store = artifact_store(request)
    await in_thread(store.set_version_aliases, project, name, ver, body.aliases)
    return json_response(await in_thread(catalog.version_detail, store, project, name, ver))


@router.delete(
    "/api/artifacts/{project}/{name}/{ver}",
    summary="Delete a version (its blobs go at the next `runicorn gc`)",
    dependencies=[MutateLimit],
)
async def delete_version(project: str, name: str, ver: str, request: Request) -> dict[str, Any]:
    store = artifact_store(request)
    version = await in_thread(store.delete_version, project, name, ver)
    return {
        "deleted": {"project": version.project, "name": version.name, "version": version.version}
    }


@router.get(
    "/api/artifacts/{project}/{name}/{ver}/lineage",
    summary="The runs ⇄ versions graph around a version",
    dependencies=[ReadLimit],
)
async def version_lineage(
    project: str,
    name: str,
    ver: str,
    request: Request,
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH)] = DEFAULT_DEPTH,
) -> Response:
    store = artifact_store(request)
    graph = await in_thread(catalog.version_lineage, store, project, name, ver, depth)
    return json_response(graph)
