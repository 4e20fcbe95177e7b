"""``/api/remote/*``: connect to SSH hosts, start remote viewers, browse remote folders.

A thin edge over :class:`runicorn.remote.service.RemoteService`: parse, call, shape. Errors of
the remote family become JSON answers with a ``reason`` the UI can branch on; an unknown host key
is a 409 carrying its fingerprint for the user to accept. These routes answer loopback clients
only, since they act with the user's SSH keys and agent. No answer ever contains a password,
passphrase or private key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from runicorn.remote.connection import SSHConfig
from runicorn.remote.errors import (
    HostKeyChangedError,
    HostKeyError,
    RemoteCommandError,
    RemoteError,
    RemotePathError,
    RemoteSessionNotFoundError,
    RemoteViewerError,
    SSHAuthenticationError,
    SSHConnectError,
    TunnelError,
)
from runicorn.remote.service import RemoteService
from runicorn.security.credentials import CredentialError

_service: RemoteService | None = None


def get_remote_service() -> RemoteService:
    """The process-wide service (tests override this dependency with their own)."""
    global _service
    if _service is None:
        _service = RemoteService()
    return _service


async def shutdown_remote_service() -> None:
    """Stop every remote viewer and close every SSH connection of this process."""
    global _service
    service, _service = _service, None
    if service is not None:
        await service.close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await shutdown_remote_service()


def _error_body(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, HostKeyError):
        reason = "host_key_changed" if isinstance(exc, HostKeyChangedError) else "unknown_host_key"
        return 409, {**exc.to_dict(), "reason": reason}
    table: list[tuple[type[Exception], int, str]] = [
        (SSHAuthenticationError, 403, "authentication_failed"),
        (RemoteSessionNotFoundError, 404, "not_found"),
        (RemotePathError, 404, "path_not_found"),
        (SSHConnectError, 502, "connect_failed"),
        (RemoteViewerError, 502, "viewer_failed"),
        (RemoteCommandError, 502, "command_failed"),
        (TunnelError, 409, "tunnel_failed"),
        (CredentialError, 400, "credentials"),
        (RemoteError, 502, "remote_error"),
        (ValueError, 400, "invalid"),
    ]
    for kind, status, reason in table:
        if isinstance(exc, kind):
            return status, {"detail": str(exc), "reason": reason}
    raise exc


class _RemoteRoute(APIRoute):
    """Turns the remote errors into JSON answers in one place, for every route here."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (RemoteError, CredentialError, ValueError) as exc:
                status, body = _error_body(exc)
                return JSONResponse(body, status_code=status)

        return guarded


def require_loopback_client(request: Request) -> None:
    """Refuse clients from other machines: these routes use this user's SSH identity."""
    host = request.client.host if request.client else ""
    if host == "testclient":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise HTTPException(403, "the remote API answers only on this machine (loopback clients)")


router = APIRouter(
    prefix="/api/remote",
    tags=["remote"],
    route_class=_RemoteRoute,
    dependencies=[Depends(require_loopback_client)],
    lifespan=_lifespan,
)

ServiceDep = Annotated[RemoteService, Depends(get_remote_service)]


class ConnectRequest(BaseModel):
    """Where and how to connect; ``saved_id`` starts from a saved connection."""

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    user: str | None = None
    key_file: str | None = None
    password: str | None = None
    passphrase: str | None = None
    jump_host: str | None = None
    use_agent: bool = True
    saved_id: str | None = None
    save: bool = False
    save_name: str | None = None
    remember_secrets: bool = False


class AcceptHostKeyRequest(BaseModel):
    """The host key the user checked and accepts."""

    host: str
    port: int = Field(ge=1, le=65535)
    fingerprint: str


class DisconnectRequest(BaseModel):
    """Which connection to close."""

    connection_id: str


class ViewerStartRequest(BaseModel):
    """Which connection, interpreter and storage root to start a remote viewer with."""

    connection_id: str
    python: str = "python3"
    root: str | None = None
    local_port: int = Field(default=0, ge=0, le=65535)
    idle_timeout: float = Field(default=900.0, gt=0)


class ViewerStopRequest(BaseModel):
    """Which viewer session to stop."""

    session_id: str


class SaveRequest(BaseModel):
    """A connection to remember; secrets are kept only when ``remember_secrets``."""

    id: str | None = None
    name: str = ""
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    user: str | None = None
    key_file: str | None = None
    jump_host: str | None = None
    use_agent: bool = True
    python: str | None = None
    root: str | None = None
    password: str | None = None
    passphrase: str | None = None
    remember_secrets: bool = False


def _config_from(request: ConnectRequest, service: RemoteService) -> SSHConfig:
    overrides = {
        "host": request.host,
        "port": request.port,
        "user": request.user,
        "key_file": request.key_file,
        "password": request.password,
        "passphrase": request.passphrase,
        "jump_host": request.jump_host,
    }
    if request.saved_id:
        return service.saved_config(request.saved_id, **overrides)
    if not request.host:
        raise ValueError("give a host (or the saved_id of a saved connection)")
    return SSHConfig(
        host=request.host,
        port=request.port,
        user=request.user,
        key_file=request.key_file,
        password=request.password,
        passphrase=request.passphrase,
        jump_host=request.jump_host,
        use_agent=request.use_agent,
    )


@router.post("/connect")
async def connect(request: ConnectRequest, service: ServiceDep) -> dict[str, Any]:
    """Open an SSH connection; 409 with the fingerprint when the host key is not known yet."""
    config = _config_from(request, service)
    info = await service.connect(config)
    if request.save:
        remember = request.remember_secrets
        saved = service.credentials.save(
            connection_id=request.saved_id,
            name=request.save_name or config.display,
            host=config.host,
            port=config.port,
            user=config.user,
            key_file=config.key_file,
            jump_host=config.jump_host,
            use_agent=config.use_agent,
            password=config.password if remember else None,
            passphrase=config.passphrase if remember else None,
            keep_secrets=remember,
        )
        info["saved_id"] = saved.id
    return info


@router.post("/host-keys/accept")
async def accept_host_key(request: AcceptHostKeyRequest, service: ServiceDep) -> dict[str, Any]:
    """Trust the host key last reported for this host, if the fingerprint matches it."""
    return service.accept_host_key(request.host, request.port, request.fingerprint)


@router.post("/disconnect")
async def disconnect(request: DisconnectRequest, service: ServiceDep) -> dict[str, Any]:
    """Stop the viewer sessions over a connection and close it."""
    return await service.disconnect(request.connection_id)


@router.get("/sessions")
async def sessions(service: ServiceDep) -> dict[str, Any]:
    """The SSH connections of this process."""
    items = service.connections()
    return {"items": items, "total": len(items)}


@router.get("/environments")
async def environments(
    connection_id: str,
    service: ServiceDep,
    python: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Python environments on the remote host (conda, PATH, ``python=`` given), probed."""
    envs = await service.manager(connection_id).list_environments(tuple(python or ()))
    items = [env.to_dict() for env in envs]
    return {"items": items, "total": len(items)}


@router.post("/viewer/start")
async def start_viewer(request: ViewerStartRequest, service: ServiceDep) -> dict[str, Any]:
    """Start a remote viewer and tunnel it; the answer's ``url`` opens it in a browser."""
    return await service.start_viewer(
        request.connection_id,
        python=request.python,
        root=request.root,
        local_port=request.local_port,
        idle_timeout=request.idle_timeout,
    )


@router.post("/viewer/stop")
async def stop_viewer(request: ViewerStopRequest, service: ServiceDep) -> dict[str, Any]:
    """Stop a remote viewer session and check its remote process is gone."""
    return await service.stop_viewer(request.session_id)


@router.get("/viewer/sessions")
async def viewer_sessions(service: ServiceDep) -> dict[str, Any]:
    """The remote viewer sessions of this process."""
    items = service.viewer_sessions()
    return {"items": items, "total": len(items)}


@router.get("/fs/list")
async def fs_list(
    connection_id: str,
    service: ServiceDep,
    path: str = "~",
    show_hidden: bool = True,
) -> dict[str, Any]:
    """A remote folder's entries, folders first (over SFTP: the path is never shell text)."""
    return await service.manager(connection_id).list_dir(path, show_hidden=show_hidden)


@router.get("/fs/exists")
async def fs_exists(connection_id: str, path: str, service: ServiceDep) -> dict[str, Any]:
    """Whether a remote path exists, and whether it is a file or a folder."""
    return await service.manager(connection_id).exists(path)


@router.get("/status")
async def status(
    connection_id: str,
    service: ServiceDep,
    python: str = "python3",
    root: str | None = None,
) -> dict[str, Any]:
    """The remote host's load, memory, disk (of ``root``) and GPUs."""
    return await service.manager(connection_id).status(python=python, root=root)


@router.get("/saved")
async def list_saved(service: ServiceDep) -> dict[str, Any]:
    """Saved connections, without secrets (``has_password``/``has_passphrase`` say if any)."""
    items = [c.to_dict() for c in service.credentials.list_connections()]
    return {"items": items, "total": len(items)}


@router.post("/saved")
async def save(request: SaveRequest, service: ServiceDep) -> dict[str, Any]:
    """Create or update a saved connection; secrets only with ``remember_secrets``."""
    remember = request.remember_secrets
    saved = service.credentials.save(
        connection_id=request.id,
        name=request.name,
        host=request.host,
        port=request.port,
        user=request.user,
        key_file=request.key_file,
        jump_host=request.jump_host,
        use_agent=request.use_agent,
        python=request.python,
        root=request.root,
        password=request.password if remember else None,
        passphrase=request.passphrase if remember else None,
        keep_secrets=remember,
    )
    return saved.to_dict()


@router.delete("/saved/{saved_id}")
async def delete_saved(saved_id: str, service: ServiceDep) -> dict[str, Any]:
    """Forget a saved connection and its secrets."""
    if not service.credentials.delete(saved_id):
        raise RemoteSessionNotFoundError(f"no saved connection {saved_id!r}")
    return {"deleted": saved_id}
