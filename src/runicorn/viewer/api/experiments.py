"""``GET /api/experiments``: runs filtered by simple fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from runicorn.viewer.api.deps import Context, Limit, Offset, ReadLimit, in_thread, json_response

router = APIRouter(tags=["runs"])


@router.get("/api/experiments", summary="List runs", dependencies=[ReadLimit])
async def list_experiments(
    context: Context,
    project: Annotated[str | None, Query(max_length=256)] = None,
    name: Annotated[str | None, Query(max_length=512)] = None,
    status: Annotated[list[str] | None, Query(max_length=10)] = None,
    tag: Annotated[list[str] | None, Query(max_length=50)] = None,
    q: Annotated[
        str | None, Query(max_length=512, description="substring of name, id, tags, notes")
    ] = None,
    sort: Annotated[
        str, Query(max_length=1000, description="a v2 field, '-' for descending")
    ] = "-created_at",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    result = await in_thread(
        context.runs.list_runs,
        project=project or None,
        name=name or None,
        status=status or None,
        tags=tag or None,
        text=q or None,
        sort=sort or None,
        limit=limit,
        offset=offset,
    )
    return json_response(result)
