"""``GET/PUT /api/config``: the storage root (read only here) and chart defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from runicorn import config as user_config
from runicorn.viewer.api.deps import Context, MutateLimit, in_thread
from runicorn.viewer.api.models import ConfigUpdate

router = APIRouter(tags=["settings"])

CHART_DEFAULTS: dict[str, Any] = {"max_points": 2000, "smoothing": 0.0}


def _chart_defaults() -> dict[str, Any]:
    stored = user_config.load_user_config().get("chart_defaults")
    merged = dict(CHART_DEFAULTS)
    if isinstance(stored, dict):
        merged.update({k: v for k, v in stored.items() if k in CHART_DEFAULTS})
    return merged


def _view(context: Context) -> dict[str, Any]:
    return {"user_root_dir": str(context.backend.root), "chart_defaults": _chart_defaults()}


@router.get("/api/config", summary="Storage root and chart defaults")
async def get_config(context: Context) -> dict[str, Any]:
    return await in_thread(_view, context)


@router.put("/api/config", summary="Change chart defaults", dependencies=[MutateLimit])
async def put_config(body: ConfigUpdate, context: Context) -> dict[str, Any]:
    extra = set(body.model_extra or {})
    if "user_root_dir" in extra:
        raise HTTPException(
            400, "the storage root cannot be changed over HTTP; use runicorn config --set-root"
        )
    if extra:
        raise HTTPException(422, f"unknown settings: {', '.join(sorted(extra))}")
    if body.chart_defaults is not None:
        update = body.chart_defaults.model_dump(exclude_none=True)
        merged = {**_chart_defaults(), **update}
        await in_thread(user_config.save_user_config, {"chart_defaults": merged})
    return await in_thread(_view, context)
