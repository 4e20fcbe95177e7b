"""The team server's app: the viewer's app over :class:`ServerStorageBackend`, and its runner."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Iterable

import uvicorn
from fastapi import APIRouter, FastAPI

from runicorn.server.backend import ServerStorageBackend
from runicorn.server.config import ServerConfig
from runicorn.server.database import Database
from runicorn.server.index import PostgresIndex
from runicorn.server.migrations import migrate
from runicorn.server.objects import ObjectStore
from runicorn.server.run_aliases import fill_missing_aliases
from runicorn.viewer.server import GRACEFUL_SHUTDOWN_SECONDS, listening_sockets, viewer_url

SERVER_READY_PREFIX = "RUNICORN_SERVER_READY "


def prepare(config: ServerConfig) -> list[str]:
    """Migrate the database to this version's schema and make sure the bucket exists;
    returns the names of the migrations applied."""
    database = Database(config.database_url)
    try:
        applied = migrate(database)
        store = ObjectStore(config.store, endpoint=config.s3_endpoint)
        store.ensure_bucket()
        fill_missing_aliases(PostgresIndex(database), store)
    finally:
        database.close()
    return [f"{m.version:04d}_{m.name}" for m in applied]


def create_server_app(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    allowed_hosts: Iterable[str] = (),
    routers: Iterable[APIRouter] = (),
    auth: bool = False,
    **viewer_options: object,
) -> FastAPI:
    """The same app, API and UI as ``runicorn viewer``, on PostgreSQL + the object store.

    ``routers`` (push, users) are mounted before the UI's fallback route; the caller runs
    :func:`prepare` first. ``auth`` requires a user token on every route and WebSocket
    (:mod:`runicorn.server.auth`), limits each user to its projects and takes pushes.
    """
    from runicorn.server import artifacts_push
    from runicorn.server.artifacts import ServerArtifactStore
    from runicorn.viewer.app import create_app

    if not auth:
        local = create_app(
            config.cache_dir,
            host=host,
            token=token,
            allowed_hosts=allowed_hosts,
            index_on_start=False,
            storage=lambda: ServerStorageBackend(config),
            routers=routers,
            **viewer_options,  # type: ignore[arg-type]
        )
        local.state.artifacts = ServerArtifactStore(config)
        return local
    from runicorn.server import auth as team_auth
    from runicorn.server import push
    from runicorn.server.project_access import ProjectScopedStorage
    from runicorn.server.users import UserStore

    app = create_app(
        config.cache_dir,
        host=host,
        token=None,
        allowed_hosts=allowed_hosts,
        index_on_start=False,
        storage=lambda: ProjectScopedStorage(ServerStorageBackend(config)),
        routers=[team_auth.router, push.router, artifacts_push.router, *routers],
        users_authenticated=True,
        **viewer_options,  # type: ignore[arg-type]
    )
    app.state.artifacts = ServerArtifactStore(config)
    team_auth.install_team_auth(app, UserStore(Database(config.database_url)))
    return app


def serve_team(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 23400,
    allowed_hosts: Iterable[str] = (),
    log_level: str = "warning",
) -> None:
    """Migrate, then serve until interrupted; prints one READY line (JSON) when listening."""
    applied = prepare(config)
    sockets = listening_sockets(host, port)
    # User tokens guard every route (runicorn server users add); no shared viewer token.
    app = create_server_app(config, host=host, allowed_hosts=allowed_hosts, auth=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host.strip("[]"),
            port=port,
            log_level=log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            lifespan="on",
            proxy_headers=False,
        )
    )
    asyncio.run(_run(server, sockets, host, None, applied))


async def _run(
    server: uvicorn.Server,
    sockets: list[socket.socket],
    host: str,
    token: str | None,
    applied: list[str],
) -> None:
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return
    port = next(
        int(sock.getsockname()[1]) for listener in server.servers for sock in listener.sockets
    )
    url = viewer_url(host, port, token)
    sys.stdout.write(f"{SERVER_READY_PREFIX}{json.dumps({'port': port, 'url': url})}\n")
    sys.stdout.flush()
    if applied:
        sys.stderr.write(f"Applied migrations: {', '.join(applied)}\n")
    sys.stderr.write(f"Runicorn team server at {url} (Ctrl-C to stop)\n")
    sys.stderr.flush()
    await serving
