"""``GET /api/runs/{id}/alerts`` and ``GET /api/alerts``: alerts of one run, or across runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from runicorn.errors import InvalidQueryError
from runicorn.storage.alerts import ALERT_LEVELS
from runicorn.storage.run_files import to_timestamp
from runicorn.viewer.api.deps import Context, Limit, Offset, ReadLimit, in_thread, json_response

router = APIRouter(tags=["alerts"])


def _since(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        return float(text)
    except ValueError:
        pass
    stamp = to_timestamp(text)
    if stamp is None:
        raise InvalidQueryError(
            f"since must be a Unix time or an ISO date such as 2026-12-01T09:00, got {raw!r}", 0
        )
    return stamp


def _levels(raw: list[str] | None) -> list[str]:
    levels = [part.strip().lower() for value in raw or () for part in value.split(",")]
    levels = [level for level in levels if level]
    for level in levels:
        if level not in ALERT_LEVELS:
            raise InvalidQueryError(
                f"level must be one of {', '.join(ALERT_LEVELS)}, got {level!r}", 0
            )
    return levels


@router.get("/api/runs/{run_id}/alerts", summary="Alerts of one run", dependencies=[ReadLimit])
async def run_alerts(
    context: Context, run_id: str, limit: Limit = 100, offset: Offset = 0
) -> Response:
    record = await in_thread(context.backend.get_run, run_id)
    alerts, total = await in_thread(
        context.backend.index.alerts, run_id=record.id, limit=limit, offset=offset
    )
    return json_response({"items": [alert.to_dict() for alert in alerts], "total": total})


@router.get("/api/alerts", summary="Alerts across runs, newest first", dependencies=[ReadLimit])
async def list_alerts(
    context: Context,
    since: Annotated[
        str | None, Query(max_length=64, description="Unix time or ISO date: only alerts after it")
    ] = None,
    level: Annotated[
        list[str] | None, Query(max_length=3, description="info, warn and/or error")
    ] = None,
    project: Annotated[str | None, Query(max_length=256)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    alerts, total = await in_thread(
        context.backend.index.alerts,
        since=_since(since),
        levels=_levels(level),
        project=project or None,
        limit=limit,
        offset=offset,
    )
    return json_response({"items": [alert.to_dict() for alert in alerts], "total": total})
