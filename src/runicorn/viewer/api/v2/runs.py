"""``GET /api/v2/runs/{id}``: as ``GET /api/runs/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread, json_response

router = APIRouter(tags=["v2"])


@router.get(
    "/api/v2/runs/{run_id}", summary="One run (as /api/runs/{id})", dependencies=[ReadLimit]
)
async def run_detail(run_id: str, context: Context) -> Response:
    return json_response(await in_thread(context.runs.detail, run_id))
