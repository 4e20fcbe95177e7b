"""What routes depend on: the viewer context, rate limits, parsed list parameters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Query, Request, Response

from runicorn.storage.jsonio import dumps, replace_nonfinite
from runicorn.viewer.context import ViewerContext

T = TypeVar("T")
MAX_LIMIT = 1000
MAX_OFFSET = 10**12


def get_context(request: Request) -> ViewerContext:
    """The context of the app serving ``request``."""
    context: ViewerContext = request.app.state.ctx
    return context


Context = Annotated[ViewerContext, Depends(get_context)]


def rate_limited(kind: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency charging the client's bucket of ``kind`` (429 with Retry-After when empty).

    The client is the socket's peer address; ``X-Forwarded-For`` is never trusted.
    """

    async def check(request: Request) -> None:
        context = get_context(request)
        if not context.settings.rate_limits.enabled:
            return
        client = request.client.host if request.client else "unknown"
        wait = context.limiters[kind].retry_after(client)
        if wait:
            raise HTTPException(
                status_code=429,
                detail=f"too many requests; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    return check


ReadLimit = Depends(rate_limited("read"))
MutateLimit = Depends(rate_limited("mutate"))
TransferLimit = Depends(rate_limited("transfer"))

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size (max 1000)")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking storage work in a worker thread."""
    if kwargs:
        return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))
    return await anyio.to_thread.run_sync(function, *args)


def json_response(content: Any) -> Response:
    """``content`` encoded at once (skipping FastAPI's slower generic encoder)."""
    try:
        body = dumps(content)
    except TypeError:
        # orjson refuses integers beyond 64 bits, which the original SDK's files may hold.
        body = json.dumps(replace_nonfinite(content), default=str).encode()
    return Response(body, media_type="application/json")


def split_keys(raw: str | None) -> list[str] | None:
    """``"a,b"`` → ``["a", "b"]``; empty → None (every key)."""
    if raw is None:
        return None
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    return keys or None
