"""``GET /api/gpu``: GPUs (NVML or nvidia-smi) and host CPU/memory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread

router = APIRouter(tags=["system"])


@router.get("/api/gpu", summary="GPU and host readings", dependencies=[ReadLimit])
async def gpu_status(
    context: Context,
    history: Annotated[
        float | None,
        Query(gt=0, le=7 * 24 * 3600, description="also the samples of the last N seconds"),
    ] = None,
) -> dict[str, Any]:
    return await in_thread(context.system.status, history)
