"""``POST /api/export``: runs as a ``.tar.gz`` archive, or their metrics as a table."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from runicorn.exporters import export_archive, export_metrics
from runicorn.viewer.api.deps import Context, ExportLimit, in_thread
from runicorn.viewer.api.models import ExportRequest

router = APIRouter(tags=["transfer"])

SUFFIXES = {"archive": ".tar.gz", "csv": ".csv", "json": ".json", "parquet": ".parquet"}
MEDIA_TYPES = {
    "archive": "application/gzip",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


@router.post(
    "/api/export",
    summary="Download runs (archive) or their metrics (csv, json, parquet)",
    dependencies=[ExportLimit],
    response_class=FileResponse,
)
async def export(body: ExportRequest, context: Context) -> FileResponse:
    suffix = SUFFIXES[body.format]
    fd, name = tempfile.mkstemp(prefix="runicorn-export-", suffix=suffix)
    os.close(fd)
    target = Path(name)
    try:
        if body.format == "archive":
            await in_thread(export_archive, context.backend, body.ids, target)
        else:
            await in_thread(
                export_metrics, context.backend, body.ids, target, fmt=body.format, keys=body.keys
            )
    except BaseException:
        _remove(target)
        raise
    stamp = time.strftime("%Y%m%d_%H%M%S")
    return FileResponse(
        target,
        media_type=MEDIA_TYPES[body.format],
        filename=f"runicorn-export-{stamp}{suffix}",
        background=BackgroundTask(_remove, target),
    )
