"""``POST /api/v2/metrics``: the series of many runs at once, for the compare view."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread
from runicorn.viewer.api.models import MetricsBatch

router = APIRouter(tags=["v2"])


@router.post(
    "/api/v2/metrics",
    summary="Metric series of many runs",
    dependencies=[ReadLimit],
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def batch_metrics(body: MetricsBatch, context: Context) -> Response:
    payload = await in_thread(
        context.metrics.read_many,
        body.ids,
        keys=body.keys or None,
        x=body.x,
        start=body.start,
        end=body.end,
        max_points=body.max_points,
    )
    return Response(payload, media_type="application/json")
