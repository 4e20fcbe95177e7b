"""The artifacts one run used and produced, and the lineage graph around it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from runicorn.artifacts import catalog
from runicorn.artifacts.lineage import DEFAULT_DEPTH, MAX_DEPTH
from runicorn.viewer.api.artifacts import artifact_store
from runicorn.viewer.api.deps import Context, ReadLimit, in_thread, json_response

router = APIRouter(tags=["artifacts"])


@router.get(
    "/api/experiments/{run_id}/artifacts",
    summary="Versions a run used and produced",
    dependencies=[ReadLimit],
)
async def run_artifacts(run_id: str, request: Request, context: Context) -> Response:
    record = await in_thread(context.backend.get_run, run_id)
    run_path = await in_thread(context.backend.path_of, record)
    store = artifact_store(request)
    return json_response(await in_thread(catalog.run_artifacts, store, run_path, record.project))


@router.get(
    "/api/experiments/{run_id}/lineage",
    summary="The runs ⇄ versions graph around a run",
    dependencies=[ReadLimit],
)
async def run_lineage(
    run_id: str,
    request: Request,
    context: Context,
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH)] = DEFAULT_DEPTH,
) -> Response:
    record = await in_thread(context.backend.get_run, run_id)
    store = artifact_store(request)
    return json_response(await in_thread(catalog.run_lineage, store, record.id, depth))
