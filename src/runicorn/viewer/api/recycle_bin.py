"""The recycle bin: soft-deleted runs, restoring them, deleting them for good."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from runicorn.viewer.api.deps import (
    Context,
    Limit,
    MutateLimit,
    Offset,
    ReadLimit,
    in_thread,
    json_response,
)
from runicorn.viewer.api.models import RunIds

router = APIRouter(tags=["recycle bin"])


@router.get("/api/recycle-bin", summary="Soft-deleted runs", dependencies=[ReadLimit])
async def recycle_bin(context: Context, limit: Limit = 50, offset: Offset = 0) -> Response:
    result = await in_thread(
        context.runs.list_runs, deleted_only=True, sort="-deleted_at", limit=limit, offset=offset
    )
    return json_response(result)


@router.post("/api/recycle-bin/restore", summary="Restore runs", dependencies=[MutateLimit])
async def restore(body: RunIds, context: Context) -> dict[str, Any]:
    return await in_thread(context.runs.restore, body.ids)


@router.post(
    "/api/recycle-bin/empty",
    summary="Delete every soft-deleted run for good",
    dependencies=[MutateLimit],
)
async def empty(context: Context) -> dict[str, Any]:
    return await in_thread(context.runs.empty_recycle_bin)


@router.delete(
    "/api/recycle-bin/{run_id}",
    summary="Delete one soft-deleted run for good",
    dependencies=[MutateLimit],
)
async def purge(run_id: str, context: Context) -> dict[str, Any]:
    return await in_thread(context.runs.purge_one, run_id)
