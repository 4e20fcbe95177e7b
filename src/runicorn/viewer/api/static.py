"""The web UI: files of the front-end build, with a fallback to ``index.html`` for client routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from runicorn.errors import UnsafePathError
from runicorn.security.path_validation import safe_relative_path
from runicorn.viewer.api.deps import in_thread
from runicorn.viewer.utils.path import static_file

router = APIRouter(include_in_schema=False)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Runicorn viewer</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Runicorn viewer</h1>
<p>The API is running (see <a href="/docs">/docs</a>), but the web UI has not been built into
this installation.</p>
<p>Build it from a source checkout with <code>npm --prefix web ci &amp;&amp;
npm --prefix web run build</code> (it writes <code>src/runicorn/viewer/static/</code>), then
reload this page.</p>
</body></html>
"""


def _static_dir(request: Request) -> Path | None:
    directory: Path | None = request.app.state.ctx.settings.static_dir
    return directory


@router.get("/{path:path}")
async def web_ui(path: str, request: Request) -> Response:
    if path == "api" or path.startswith("api/"):
        raise HTTPException(404, f"no API route /{path}; see /docs")
    if path:
        try:
            safe_relative_path(path)
        except UnsafePathError as exc:
            raise HTTPException(404, "not found") from exc
    directory = _static_dir(request)
    index = directory / "index.html" if directory else None
    if directory is None or index is None or not await in_thread(index.is_file):
        return HTMLResponse(NOT_BUILT_PAGE)
    if path:
        try:
            found = await in_thread(static_file, directory, path)
        except UnsafePathError as exc:
            raise HTTPException(404, "not found") from exc
        if found is not None:
            immutable = path.startswith("assets/")
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(found, headers={"Cache-Control": cache})
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
