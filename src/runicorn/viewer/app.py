"""Assembling the viewer: routers, middleware and error mapping around one context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from runicorn import config as runicorn_config
from runicorn.storage.interface import StorageFactory
from runicorn.viewer.api import (
    alerts,
    artifacts,
    config,
    experiment_artifacts,
    experiments,
    export,
    gpu,
    health,
    histograms,
    import_,
    metrics,
    model_lifecycle,
    projects,
    recycle_bin,
    remote,
    runs,
    static,
    sync,
    ui_preferences,
)
from runicorn.viewer.api.deps import json_response
from runicorn.viewer.api.v2 import experiments as v2_experiments
from runicorn.viewer.api.v2 import metrics as v2_metrics
from runicorn.viewer.api.v2 import runs as v2_runs
from runicorn.viewer.context import (
    DEFAULT_IMPORT_MAX_BYTES,
    RateLimits,
    ViewerContext,
    ViewerSettings,
)
from runicorn.viewer.errors import install_error_handlers
from runicorn.viewer.middleware import AccessControlMiddleware
from runicorn.viewer.services.alerts import ViewerAlertService
from runicorn.viewer.utils.cache import DEFAULT_MAX_BYTES
from runicorn.viewer.utils.path import DEFAULT_STATIC_DIR

API_ROUTERS = (
    health.router,
    projects.router,
    experiments.router,
    runs.router,
    recycle_bin.router,
    metrics.router,
    histograms.router,
    v2_experiments.router,
    v2_runs.router,
    v2_metrics.router,
    config.router,
    gpu.router,
    ui_preferences.router,
    alerts.router,
    export.router,
    import_.router,
    remote.router,
    sync.router,
    artifacts.router,
    experiment_artifacts.router,
    model_lifecycle.router,
)


class JsonResponse(JSONResponse):
    """JSON that keeps NaN and infinities as the strings the API promises."""

    def render(self, content: Any) -> bytes:
        return bytes(json_response(content).body)


def create_app(
    root: Path,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
    static_dir: Path | None = DEFAULT_STATIC_DIR,
    rate_limits: RateLimits | None = None,
    import_max_bytes: int = DEFAULT_IMPORT_MAX_BYTES,
    cache_max_bytes: int = DEFAULT_MAX_BYTES,
    index_on_start: bool = True,
    storage: StorageFactory | None = None,
    routers: Iterable[APIRouter] = (),
    users_authenticated: bool = False,
) -> FastAPI:
    """The viewer app for the storage root ``root``.

    ``host`` is the address the server binds: a non-loopback one requires ``token``. Requests
    must name ``host``, a loopback name or one of ``allowed_hosts`` in their Host header.
    ``index_on_start`` indexes run folders the index does not know (or rebuilds a damaged or
    in-memory index) before the app starts serving. ``storage`` builds another implementation
    of the storage interface (the team server's); by default the run folders under ``root``.
    ``routers`` are mounted after the API's own and before the UI's fallback route.
    ``users_authenticated`` says the caller installs a middleware that checks a user token on
    every request (the team server), so a non-loopback ``host`` needs no viewer token.
    """
    from runicorn import __version__

    settings = ViewerSettings(
        root=Path(root),
        host=host,
        token=token,
        allowed_hosts=frozenset(h.lower() for h in allowed_hosts),
        import_max_bytes=import_max_bytes,
        cache_max_bytes=cache_max_bytes,
        rate_limits=rate_limits or RateLimits(),
        static_dir=static_dir,
        users_authenticated=users_authenticated,
    )
    context = ViewerContext(settings, storage)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if index_on_start:
            # Before serving (uvicorn reports started, and the viewer prints READY, only after
            # this): the first list must already see every run folder.
            await anyio.to_thread.run_sync(context.sync_index)
        watch = ViewerAlertService(context.backend, runicorn_config.alert_settings())
        watch.start()
        context.system.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(context.system.stop)
            await anyio.to_thread.run_sync(watch.stop)
            await anyio.to_thread.run_sync(context.close)

    # /docs serves Swagger UI's files from the fastapi-offline package, not from a CDN: the
    # page works on a machine without internet access.
    app = FastAPIOffline(
        title="Runicorn viewer",
        version=__version__,
        description="The API of the Runicorn viewer; the contract is docs/api.md.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-assets",
        default_response_class=JsonResponse,
    )
    app.state.ctx = context
    install_error_handlers(app)
    for router in (*API_ROUTERS, *routers):
        app.include_router(router)
    app.include_router(static.router)  # last: the UI's fallback route matches every path
    app.add_middleware(AccessControlMiddleware, settings=settings, activity=context.activity)
    return app
