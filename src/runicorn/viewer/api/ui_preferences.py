"""``GET/PUT /api/ui-preferences``: settings the web UI keeps on the server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from runicorn.storage.jsonio import dumps
from runicorn.viewer.api.deps import Context, MutateLimit, in_thread
from runicorn.viewer.api.models import Preferences

router = APIRouter(tags=["settings"])

MAX_PREFERENCES_BYTES = 1 << 20


@router.get("/api/ui-preferences", summary="Stored UI preferences")
async def get_preferences(context: Context) -> dict[str, Any]:
    return {"preferences": await in_thread(context.backend.get_preferences)}


@router.put("/api/ui-preferences", summary="Merge UI preferences", dependencies=[MutateLimit])
async def put_preferences(body: Preferences, context: Context) -> dict[str, Any]:
    try:
        encoded = dumps(body.preferences)
    except TypeError as exc:  # orjson refuses integers beyond 64 bits
        # Valid JSON the viewer cannot store: a 400 (the body's shape, 422, is fine).
        raise HTTPException(
            400, f"preferences must be plain JSON values (integers within 64 bits): {exc}"
        ) from exc
    if len(encoded) > MAX_PREFERENCES_BYTES:
        raise HTTPException(413, "preferences are larger than 1 MiB")
    return {"preferences": await in_thread(context.backend.set_preferences, body.preferences)}
