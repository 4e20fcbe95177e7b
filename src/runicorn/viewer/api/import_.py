"""``POST /api/import``: add the runs of an archive made by export.

The upload's size is checked while it streams in (not after), and the archive is checked
again while it unpacks (see :func:`runicorn.exporters.import_archive`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from runicorn.exporters import ArchiveTooLargeError, import_archive
from runicorn.viewer.api.deps import Context, TransferLimit, in_thread

router = APIRouter(tags=["transfer"])

MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/api/import",
    summary="Import runs from a .tar.gz made by export",
    dependencies=[TransferLimit],
    openapi_extra=UPLOAD_SCHEMA,
)
async def import_runs(request: Request, context: Context) -> dict[str, Any]:
    limit = context.settings.import_max_bytes
    too_large = f"the upload is larger than the import limit of {limit} bytes"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise ArchiveTooLargeError(too_large)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the archive as multipart/form-data in a field named 'file'")

    async def limited() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + MULTIPART_OVERHEAD:
                raise ArchiveTooLargeError(too_large)
            yield chunk

    parser = MultiPartParser(request.headers, limited(), max_files=1, max_fields=10)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"malformed multipart body: {exc.message}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "the archive must be sent in a multipart field named 'file'")
    try:
        result = await in_thread(import_archive, context.backend, upload.file, max_bytes=limit)
    finally:
        await form.close()
    return result.to_dict()
