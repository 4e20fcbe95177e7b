"""``GET /api/projects``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread

router = APIRouter(tags=["runs"])


@router.get(
    "/api/projects", summary="Projects, their run names and counts", dependencies=[ReadLimit]
)
async def projects(context: Context) -> dict[str, Any]:
    return await in_thread(context.runs.projects)
