"""One remote viewing session: SSH link, remote viewer, local tunnel, kept alive together.

A :class:`ViewerSession` starts the viewer on the remote host, forwards a local loopback port
to it and then watches both: a periodic ``/api/health`` through the tunnel (the same path the
browser uses) and the SSH connection itself. After a dropped link it reconnects, starts a new
viewer if the old one died with its channel, and points the tunnel at it: the local port and the
token stay the same, so the user's browser tab keeps working. :meth:`ViewerSession.close` stops
the remote viewer, checks its process is gone, and closes the tunnel.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from runicorn.remote.commands import new_token
from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool
from runicorn.remote.errors import (
    HostKeyError,
    RemoteError,
    RemoteViewerError,
    SSHAuthenticationError,
    SSHConnectError,
)
from runicorn.remote.viewer.manager import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_READY_TIMEOUT,
    RemoteViewerManager,
    RemoteViewerProcess,
)
from runicorn.remote.viewer.tunnel import LOOPBACK, SSHTunnel

EventCallback = Callable[[str, str], None]
"""Called with ``(kind, message)``: ``kind`` is one of ``lost``, ``reconnecting``,
``reconnected``, ``restarted``, ``failed``, ``stopped``."""


class SessionState(str, enum.Enum):
    """Where a session is in its life."""

    STARTING = "starting"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


class ViewerSession:
    """A remote viewer reachable at ``http://127.0.0.1:<local_port>/``, kept alive until closed.

    With a ``pool`` the SSH connection is shared with other users of the pool (API calls,
    other sessions); without one the session owns its connection. ``reconnect_timeout`` bounds
    how long a lost link is retried before the session fails (``None``: until closed).
    """

    def __init__(
        self,
        config: SSHConfig,
        *,
        python: str = "python3",
        root: str | None = None,
        local_port: int = 0,
        pool: SSHConnectionPool | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        health_interval: float = 5.0,
        health_timeout: float = 5.0,
        failures_before_reconnect: int = 2,
        reconnect_timeout: float | None = None,
        max_reconnect_delay: float = 10.0,
        launcher: tuple[str, ...] | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.id = secrets.token_hex(6)
        self.config = config
        self.python = python
        self.root = root
        self.token = new_token()
        self.state = SessionState.STARTING
        self.reconnects = 0
        self.viewer_restarts = 0
        self.last_error: str | None = None
        self.last_health: dict[str, Any] | None = None
        self.created_at = time.time()
        self.remote_viewer_gone: bool | None = None
        self._requested_local_port = local_port
        self._pool = pool
        self._idle_timeout = idle_timeout
        self._ready_timeout = ready_timeout
        self._health_interval = health_interval
        self._health_timeout = health_timeout
        self._failures_before_reconnect = max(1, failures_before_reconnect)
        self._reconnect_timeout = reconnect_timeout
        self._max_reconnect_delay = max_reconnect_delay
        self._launcher = launcher
        self._on_event = on_event
        self._connection: SSHConnection | None = None
        self._viewer: RemoteViewerProcess | None = None
        self._tunnel: SSHTunnel | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    @property
    def local_port(self) -> int:
        """The local loopback port the browser uses (0 before start)."""
        return self._tunnel.local_port if self._tunnel else 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without the token."""
        return f"http://{LOOPBACK}:{self.local_port}"

    @property
    def url(self) -> str:
        """The address to open in a browser; it carries the viewer token once, as Jupyter does."""
        return f"{self.base_url}/?token={self.token}"

    @property
    def connection(self) -> SSHConnection | None:
        """The SSH connection in use now."""
        return self._connection

    @property
    def viewer(self) -> RemoteViewerProcess | None:
        """The remote viewer in use now."""
        return self._viewer

    @property
    def manager(self) -> RemoteViewerManager:
        """Remote operations over the current connection."""
        if self._connection is None:
            raise RemoteViewerError("the session is not connected")
        return RemoteViewerManager(self._connection)

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request to the remote viewer."""
        return {"Authorization": f"Bearer {self.token}"}

    async def start(self) -> ViewerSession:
        """Connect, start the remote viewer, open the tunnel and check it answers; then watch it."""
        try:
            self._connection = await self._connect()
            self._viewer = await self._start_viewer(self._connection)
            self._tunnel = SSHTunnel(
                self._connection, self._viewer.port, local_port=self._requested_local_port
            )
            await self._tunnel.start()
            health = await self.check_health()
            if health is None:
                raise RemoteViewerError(
                    f"the remote viewer on {self._connection.key} started but does not answer "
                    f"through the tunnel: {self.last_error}"
                )
        except BaseException:
            await self._teardown()
            self.state = SessionState.FAILED
            raise
        self.state = SessionState.RUNNING
        self._monitor = asyncio.create_task(self._watch())
        return self

    async def __aenter__(self) -> ViewerSession:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def check_health(self) -> dict[str, Any] | None:
        """``GET /api/health`` through the tunnel: the answer, or None (why: ``last_error``)."""
        try:
            status, body = await asyncio.wait_for(
                http_get(LOOPBACK, self.local_port, "/api/health", self.auth_headers()),
                self._health_timeout,
            )
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            self.last_error = f"health check failed: {type(exc).__name__}: {exc}"
            return None
        if status != 200:
            self.last_error = f"health check answered HTTP {status}: {body[:200]!r}"
            return None
        try:
            data = json.loads(body)
        except ValueError:
            self.last_error = f"health check answered non-JSON: {body[:200]!r}"
            return None
        self.last_health = data if isinstance(data, dict) else {"status": data}
        return self.last_health

    async def wait_closed(self) -> None:
        """Return once the session is stopped or has failed for good."""
        await self._closed.wait()

    async def close(self) -> None:
        """Stop the remote viewer (and check it is gone), close the tunnel and the connection."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        for task in [self._monitor, *self._background]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._teardown()
        if self.state is not SessionState.FAILED:
            self.state = SessionState.STOPPED
        self._emit("stopped", f"remote viewer session {self.id} stopped")
        self._closed.set()

    def info(self) -> dict[str, Any]:
        """A description for listings; the url carries the viewer token, never a password."""
        viewer = self._viewer.info() if self._viewer else {}
        conn = self._connection
        return {
            "id": self.id,
            "state": self.state.value,
            "connection_id": conn.key if conn else None,
            "target": self.config.display,
            "python": self.python,
            "root": self.root,
            "local_port": self.local_port,
            "url": self.url if self.local_port else None,
            "remote_port": viewer.get("remote_port"),
            "remote_pid": viewer.get("remote_pid"),
            "reconnects": self.reconnects,
            "viewer_restarts": self.viewer_restarts,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "health": self.last_health,
        }

    async def _connect(self) -> SSHConnection:
        if self._pool is not None:
            return await self._pool.get(self.config)
        return await SSHConnection.open(self.config)

    async def _drop_connection(self, conn: SSHConnection) -> None:
        with contextlib.suppress(Exception):
            if self._pool is not None:
                await asyncio.wait_for(self._pool.discard(conn), 5)
            else:
                await asyncio.wait_for(conn.aclose(), 5)

    async def _start_viewer(self, conn: SSHConnection) -> RemoteViewerProcess:
        return await RemoteViewerManager(conn).start_viewer(
            python=self.python,
            root=self.root,
            token=self.token,
            idle_timeout=self._idle_timeout,
            ready_timeout=self._ready_timeout,
            launcher=self._launcher,
        )

    async def _watch(self) -> None:
        failures = 0
        while not self._closing:
            conn = self._connection
            assert conn is not None
            lost = asyncio.create_task(conn.wait_closed())
            try:
                await asyncio.wait({lost}, timeout=self._health_interval)
            finally:
                lost.cancel()
            if conn.closed:
                self._emit("lost", f"lost the SSH connection to {conn.key}")
                await self._recover(reconnect=True)
                failures = 0
                continue
            if await self.check_health() is not None:
                failures = 0
                continue
            failures += 1
            if failures < self._failures_before_reconnect:
                continue
            failures = 0
            viewer_died = self._viewer is None or not self._viewer.running
            link_ok = viewer_died and await self._link_answers(conn)
            self._emit("lost", f"the remote viewer does not answer: {self.last_error}")
            await self._recover(reconnect=not link_ok)
        return

    async def _link_answers(self, conn: SSHConnection) -> bool:
        try:
            result = await conn.run(["true"], timeout=self._health_timeout)
        except RemoteError:
            return False
        return result.ok

    async def _recover(self, *, reconnect: bool) -> None:
        """Bring the session back: a new connection if ``reconnect``, and a new viewer."""
        assert self._tunnel is not None
        self.state = SessionState.RECONNECTING
        self._tunnel.suspend()
        old_conn, old_viewer = self._connection, self._viewer
        if reconnect and old_conn is not None:
            await self._drop_connection(old_conn)
        loop = asyncio.get_running_loop()
        started = loop.time()
        delay = 0.25
        while not self._closing:
            self._emit("reconnecting", f"reconnecting to {self.config.display}…")
            try:
                conn = await self._connect() if reconnect else old_conn
                assert conn is not None
                if old_viewer is not None and not reconnect:
                    await RemoteViewerManager(conn).stop_viewer(old_viewer, timeout=2)
                viewer = await self._start_viewer(conn)
            except (HostKeyError, SSHAuthenticationError) as exc:
                await self._fail(f"cannot reconnect: {exc}")
                return
            except (RemoteError, OSError) as exc:
                self.last_error = str(exc)
                if not reconnect and (
                    isinstance(exc, SSHConnectError) or old_conn is None or old_conn.closed
                ):
                    # The link broke while restarting the viewer: rebuild it too.
                    reconnect = True
                    if old_conn is not None:
                        await self._drop_connection(old_conn)
                if (
                    self._reconnect_timeout is not None
                    and loop.time() - started > self._reconnect_timeout
                ):
                    await self._fail(
                        f"gave up reconnecting after {self._reconnect_timeout:g}s: {exc}"
                    )
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_reconnect_delay)
                continue
            self._connection, self._viewer = conn, viewer
            self._tunnel.retarget(conn, viewer.port)
            if reconnect:
                self.reconnects += 1
            else:
                self.viewer_restarts += 1
            self.state = SessionState.RUNNING
            elapsed = loop.time() - started
            kind = "reconnected" if reconnect else "restarted"
            self._emit(
                kind, f"{kind} to {conn.key} in {elapsed:.1f}s, same address {self.base_url}"
            )
            if reconnect and old_viewer and old_viewer.pid and old_viewer.pid != viewer.pid:
                reaper = asyncio.create_task(self._reap(conn, old_viewer))
                self._background.add(reaper)
                reaper.add_done_callback(self._background.discard)
            await self.check_health()
            return

    async def _reap(self, conn: SSHConnection, old: RemoteViewerProcess) -> None:
        """Make sure the viewer of a lost channel is gone (it exits on its own on stdin EOF)."""
        with contextlib.suppress(Exception):
            assert old.pid is not None
            await RemoteViewerManager(conn).ensure_gone(old.pid, old.token, grace=10)

    async def _fail(self, message: str) -> None:
        self.last_error = message
        self.state = SessionState.FAILED
        self._emit("failed", message)
        self._closing = True
        await self._teardown()
        self._closed.set()

    async def _teardown(self) -> None:
        viewer, conn, tunnel = self._viewer, self._connection, self._tunnel
        if viewer is not None and conn is not None:
            try:
                self.remote_viewer_gone = await RemoteViewerManager(conn).stop_viewer(viewer)
            except RemoteError as exc:
                self.last_error = f"could not confirm the remote viewer stopped: {exc}"
                self.remote_viewer_gone = False
        if tunnel is not None:
            await tunnel.close()
        if conn is not None and self._pool is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.aclose(), 5)

    def _emit(self, kind: str, message: str) -> None:
        if self._on_event is not None:
            with contextlib.suppress(Exception):
                self._on_event(kind, message)


async def http_get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """A minimal HTTP/1.1 GET: ``(status, body)``. Enough for health checks without a client lib."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"no complete HTTP response ({len(raw)} bytes)")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ValueError(f"bad HTTP status line {status_line!r}")
    header_map = {
        k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)
    }
    if header_map.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return int(parts[1]), body.decode("utf-8", errors="replace")


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)
