"""``GET /api/runs/{id}/histograms``: a run's ``rn.Histogram`` distributions over steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from runicorn.security.path_validation import safe_run_id
from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.histograms import RunHistograms, histogram_cache
from runicorn.viewer.api.deps import Context, ReadLimit, in_thread, json_response
from runicorn.viewer.context import ViewerContext

router = APIRouter(tags=["histograms"])

# Parsed histograms of the runs read last; each read adds only what was appended since.
_cache = histogram_cache()


def _histograms(context: ViewerContext, run_id: str) -> RunHistograms:
    run_path: Path = context.runs.run_path(safe_run_id(run_id))
    return _cache.get(context.runs.root, run_path / EVENTS_FILE)


@router.get(
    "/api/runs/{run_id}/histograms/keys",
    summary="Histogram keys of one run, with how many steps each has",
    dependencies=[ReadLimit],
)
async def histogram_keys(run_id: str, context: Context) -> Response:
    state = await in_thread(_histograms, context, run_id)
    return json_response({"keys": state.keys()})


@router.get(
    "/api/runs/{run_id}/histograms",
    summary="One key's histograms over steps, thinned evenly to max_steps",
    dependencies=[ReadLimit],
)
async def histograms(
    run_id: str,
    context: Context,
    key: Annotated[str, Query(min_length=1, max_length=512)],
    start: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    end: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    max_steps: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> Response:
    def select() -> dict[str, Any]:
        return _histograms(context, run_id).select(key, start, end, max_steps)

    return json_response(await in_thread(select))
