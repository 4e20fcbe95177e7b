"""A file streamed with the single-range ``Range`` requests that ``FileResponse`` answers for
local paths: from a team server's object store, or from a handle already opened under the root
(so a link swapped in after the check is never read, and video and audio can still seek)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from mimetypes import guess_type
from typing import BinaryIO
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from runicorn.artifacts.interface import BlobRange

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a single-range ``Range`` header; None for the whole
    file (no header, several ranges, or a unit other than bytes). ``ValueError`` when the
    range lies past the end (answered 416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = min(int(last), size)
        if length == 0:
            raise ValueError("empty suffix range")
        return size - length, size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        raise ValueError(f"range starts past the end ({size} bytes)")
    return start, end


def content_disposition(filename: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


class HandleRange:
    """Ranges of a file through a handle opened (and validated) before the response began."""

    def __init__(self, handle: BinaryIO, chunk: int = 1 << 16) -> None:
        self.handle = handle
        self.chunk = chunk

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        self.handle.seek(start)
        remaining = end - start
        while remaining > 0:
            data = self.handle.read(min(self.chunk, remaining))
            if not data:
                return
            remaining -= len(data)
            yield data


def ranged_response(
    source: BlobRange,
    size: int,
    range_header: str | None,
    filename: str,
    headers: dict[str, str],
    *,
    inline: bool = False,
    background: BackgroundTask | None = None,
) -> Response:
    """The whole file (200) or the one range asked for (206), streamed from ``source``.

    ``inline`` files are shown by the browser (images, video) rather than saved; ``background``
    runs once the response is sent or refused (closing a handle, say)."""
    headers = {**headers, "Accept-Ranges": "bytes"}
    if not inline:
        headers["Content-Disposition"] = content_disposition(filename)
    media_type = guess_type(filename)[0] or "application/octet-stream"
    try:
        wanted = requested_range(range_header, size)
    except ValueError:
        return Response(
            status_code=416, headers={"Content-Range": f"bytes */{size}"}, background=background
        )
    start, end = wanted if wanted is not None else (0, size)
    headers["Content-Length"] = str(end - start)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"

    def body() -> Iterator[bytes]:
        if end > start:
            yield from source.chunks(start, end)

    return StreamingResponse(
        body(), status_code=status, media_type=media_type, headers=headers, background=background
    )
