"""One run: details, edits, deletion, media files and logs (HTTP and WebSocket)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, WebSocket
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from runicorn.viewer.api.deps import Context, MutateLimit, ReadLimit, in_thread, json_response
from runicorn.viewer.api.models import RunIds, RunPatch
from runicorn.viewer.api.ranged import HandleRange, ranged_response
from runicorn.viewer.services.live import serve_logs_socket
from runicorn.viewer.services.logs import DEFAULT_LOG_LIMIT, iter_file

router = APIRouter(tags=["runs"])

MAX_TAG_LENGTH = 128


def _clean_tags(tags: list[Any] | None) -> list[str] | None:
    if tags is None:
        return None
    cleaned: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG_LENGTH:
            raise HTTPException(
                422, f"tags must be non-empty strings of at most {MAX_TAG_LENGTH} characters"
            )
        cleaned.append(tag.strip())
    return cleaned


@router.get(
    "/api/runs/{run_id}",
    summary="One run with meta, environment, media, files",
    dependencies=[ReadLimit],
)
async def run_detail(run_id: str, context: Context) -> Response:
    return json_response(await in_thread(context.runs.detail, run_id))


@router.get(
    "/api/runs/{run_id}/stages",
    summary="Step spans logged under each stage (train, val...)",
    dependencies=[ReadLimit],
)
async def run_stages(run_id: str, context: Context) -> dict[str, Any]:
    return {"stages": await in_thread(context.runs.stage_spans, run_id)}


@router.patch("/api/runs/{run_id}", summary="Change tags and/or notes", dependencies=[MutateLimit])
async def update_run(run_id: str, body: RunPatch, context: Context) -> dict[str, Any]:
    tags = _clean_tags(body.tags)
    return await in_thread(context.runs.update, run_id, tags=tags, notes=body.notes)


@router.delete(
    "/api/runs/{run_id}", summary="Move a run to the recycle bin", dependencies=[MutateLimit]
)
async def delete_run(run_id: str, context: Context) -> dict[str, Any]:
    await in_thread(context.runs.get, run_id)  # 404 for an unknown run
    result = await in_thread(context.runs.soft_delete, [run_id])
    return {"deleted": result["deleted"]}


@router.post(
    "/api/runs/delete", summary="Move many runs to the recycle bin", dependencies=[MutateLimit]
)
async def delete_runs(body: RunIds, context: Context) -> dict[str, Any]:
    return await in_thread(context.runs.soft_delete, body.ids)


@router.get(
    "/api/runs/{run_id}/media/{path:path}",
    summary="A file under the run's media/ folder",
    dependencies=[ReadLimit],
    response_class=StreamingResponse,
)
async def media_file(run_id: str, path: str, context: Context, request: Request) -> Response:
    # Streamed from the handle opened under media/: a link swapped in later is never read.
    handle, size, name = await in_thread(context.runs.open_media, run_id, path)
    return ranged_response(
        HandleRange(handle),
        size,
        request.headers.get("range"),
        name,
        {"Cache-Control": "private, max-age=3600"},
        inline=True,
        background=BackgroundTask(handle.close),
    )


@router.get(
    "/api/runs/{run_id}/logs",
    summary="Whole lines of logs.txt by byte offset",
    dependencies=[ReadLimit],
)
async def logs(
    run_id: str,
    context: Context,
    offset: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=16 * 1024 * 1024)] = DEFAULT_LOG_LIMIT,
) -> dict[str, Any]:
    return await in_thread(context.logs.read, run_id, offset, limit)


@router.get(
    "/api/runs/{run_id}/logs/download",
    summary="logs.txt as a download",
    dependencies=[ReadLimit],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def download_logs(run_id: str, context: Context) -> StreamingResponse:
    # Streamed from the handle opened under the root: a link swapped in later is never read.
    found_id, handle, size = await in_thread(context.logs.open, run_id)
    return StreamingResponse(
        iter_file(handle, size),
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{found_id}-logs.txt"',
        },
    )


@router.websocket("/api/runs/{run_id}/logs/ws")
async def logs_socket(websocket: WebSocket, run_id: str) -> None:
    context = websocket.app.state.ctx
    await serve_logs_socket(websocket, context.runs, run_id)
