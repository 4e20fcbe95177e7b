"""``GET /api/v2/experiments`` (filter/sort language, cursor paging) and ``GET /api/v2/fields``."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from runicorn.viewer.api.deps import (
    MAX_OFFSET,
    Context,
    Limit,
    Offset,
    ReadLimit,
    in_thread,
    json_response,
)

router = APIRouter(tags=["v2"])


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the page starting at ``offset``."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor stands for (400 when it is not one of ours)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
    except (ValueError, UnicodeDecodeError):
        offset, kind = -1, ""
    if kind != "o" or not 0 <= offset <= MAX_OFFSET:
        raise HTTPException(400, "invalid cursor: pass the next_cursor of a previous page")
    return offset


@router.get(
    "/api/v2/experiments", summary="Runs by filter expression and sort", dependencies=[ReadLimit]
)
async def experiments(
    context: Context,
    filter: Annotated[
        str | None, Query(max_length=8000, description="e.g. config.lr < 1e-3 and tag:baseline")
    ] = None,
    sort: Annotated[
        str | None, Query(max_length=1000, description="e.g. -summary.acc,created_at")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if cursor:
        offset = decode_cursor(cursor)
    result = await in_thread(
        context.runs.list_runs,
        filter=filter or None,
        sort=sort or "-created_at",
        limit=limit,
        offset=offset,
    )
    following = offset + len(result["items"])
    result["next_cursor"] = encode_cursor(following) if following < result["total"] else None
    return json_response(result)


@router.get(
    "/api/v2/fields",
    summary="Config, summary and metric keys across runs",
    dependencies=[ReadLimit],
)
async def fields(context: Context) -> dict[str, Any]:
    return await in_thread(context.backend.field_names)
