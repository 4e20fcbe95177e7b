"""``GET /api/gpu``: GPUs (NVML or nvidia-smi) and host CPU/memory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread

router = APIRouter(tags=["system"])


@router.get("/api/gpu", summary="GPU and host readings", dependencies=[ReadLimit])
async def gpu_status(context: Context) -> dict[str, Any]:
    return await in_thread(context.system.status)
