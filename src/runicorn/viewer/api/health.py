"""``GET /api/health``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runicorn.viewer.api.deps import Context

router = APIRouter(tags=["health"])


@router.get("/api/health", summary="Liveness, version and storage root")
async def health(context: Context) -> dict[str, Any]:
    from runicorn import __version__

    return {"status": "ok", "version": __version__, "root": str(context.backend.root)}
