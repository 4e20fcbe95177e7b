"""``GET /api/metrics/{id}`` (columnar, downsampled per series) and its live WebSocket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import Response

from runicorn.viewer.api.deps import Context, ReadLimit, in_thread, metric_keys_query
from runicorn.viewer.services.live import serve_metrics_socket

router = APIRouter(tags=["metrics"])

METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Per key: x, y, count, downsampled (and y_min, y_max when downsampled)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get(
    "/api/metrics/{run_id}",
    summary="Metric series of one run",
    dependencies=[ReadLimit],
    response_class=Response,
    responses=METRICS_RESPONSE,
)
async def metrics(
    run_id: str,
    context: Context,
    keys: Annotated[
        list[str] | None,
        Query(
            max_length=1000,
            description="repeat for several keys, each naming exactly one key "
            "(keys=a,b&keys=loss is the keys 'a,b' and 'loss'); a single keys= is a "
            "comma-separated list unless its whole value is a logged key",
        ),
    ] = None,
    x: Annotated[
        str, Query(min_length=1, max_length=512, description="step, time, relative or a key")
    ] = "step",
    start: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    end: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    max_points: Annotated[int, Query(ge=2, le=10_000_000)] = 2000,
) -> Response:
    exact, comma_list = metric_keys_query(keys)
    body = await in_thread(
        context.metrics.read,
        run_id,
        keys=exact,
        comma_list=comma_list,
        x=x,
        start=start,
        end=end,
        max_points=max_points,
    )
    return Response(body, media_type="application/json")


@router.websocket("/api/metrics/{run_id}/ws")
async def metrics_socket(websocket: WebSocket, run_id: str) -> None:
    context = websocket.app.state.ctx
    await serve_metrics_socket(websocket, context.runs, context.metrics, run_id)
