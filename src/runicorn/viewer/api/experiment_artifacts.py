"""The artifacts one run used and produced."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from runicorn.artifacts import catalog
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
