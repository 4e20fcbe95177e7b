"""What routes depend on: the viewer context, rate limits, parsed list parameters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Query, Request, Response

from runicorn.storage.jsonio import dumps, replace_nonfinite
from runicorn.viewer.context import ViewerContext, is_loopback
from runicorn.viewer.middleware import given_token, request_headers

T = TypeVar("T")
MAX_LIMIT = 1000
MAX_OFFSET = 10**12


def get_context(request: Request) -> ViewerContext:
    """The context of the app serving ``request``."""
    context: ViewerContext = request.app.state.ctx
    return context


Context = Annotated[ViewerContext, Depends(get_context)]


def client_key(request: Request, loopback: bool) -> str:
    """The rate-limit bucket of ``request``'s client.

    On a loopback viewer every client is the same local user: one bucket (by address, which
    is always loopback). Off loopback, a client is its credential and how it sends it (the
    browser's cookie, a script's bearer header) from its socket address. The address is the
    peer of the TCP connection: the server runs without proxy headers, so ``X-Forwarded-For``
    never reaches here.
    """
    peer = request.client.host if request.client else "unknown"
    if loopback:
        return peer
    token, source = given_token(request.scope, request_headers(request.scope))
    digest = hashlib.sha256(token.encode()).hexdigest()[:16] if token else "-"
    return f"{digest}/{source}/{peer}"


def rate_limited(kind: str, cost: float = 1.0) -> Callable[[Request], Awaitable[None]]:
    """A dependency charging the client's bucket of ``kind`` (429 with Retry-After when empty).

    A loopback viewer never throttles reads: it has no principals to tell apart, and a local
    script polling the API must not starve the browser. Mutations and imports stay limited.
    """

    async def check(request: Request) -> None:
        context = get_context(request)
        settings = context.settings
        if not settings.rate_limits.enabled:
            return
        loopback = is_loopback(settings.host)
        if loopback and kind == "read":
            return
        wait = context.limiters[kind].retry_after(client_key(request, loopback), cost)
        if wait:
            raise HTTPException(
                status_code=429,
                detail=f"too many requests; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    return check


ReadLimit = Depends(rate_limited("read"))
# An export reads many files: off loopback it costs as much as EXPORT_COST reads.
EXPORT_COST = 10.0
ExportLimit = Depends(rate_limited("read", EXPORT_COST))
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


def metric_keys_query(values: list[str] | None) -> tuple[list[str] | None, str | None]:
    """The ``keys`` parameters of a metrics read: ``(exact keys, comma list)``.

    Repeated ``keys`` parameters each name exactly one key (``keys=a,b&keys=loss`` asks for
    ``a,b`` and ``loss``). A single one is a comma-separated list, as it always was, unless
    its whole value is a key the run logged (decided by the metrics service). No value, or
    only empty ones, asks for every key.
    """
    given = [value for value in values or () if value]
    if not given:
        return None, None
    if len(given) == 1:
        return None, given[0]
    return list(dict.fromkeys(given)), None
