"""A local loopback port that leads to a port on the remote host's loopback, over SSH.

:class:`SSHTunnel` listens on ``127.0.0.1:<local_port>`` itself and opens one SSH direct-tcpip
channel (what ``ssh -L`` and asyncssh's ``forward_local_port`` use) per accepted connection,
then copies bytes both ways, so HTTP and WebSocket pass alike.

It owns its listening socket instead of letting asyncssh own it because the listener must
outlive a connection: after a dropped link the session points the tunnel at a new connection
(and maybe a restarted viewer on another remote port) while the local port, the one the user's
browser tab knows, stays open. Connections that arrive during the gap wait for the new link
instead of being refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Protocol

import asyncssh

from runicorn.remote.connection import SSHConnection
from runicorn.remote.errors import TunnelError

LOOPBACK = "127.0.0.1"
_CHUNK = 256 * 1024


class SSHTunnel:
    """Forward ``local_host:local_port`` to ``remote_host:remote_port`` on the SSH server.

    ``local_port=0`` picks a free port. :meth:`retarget` switches to a new connection or remote
    port without closing the listener; :meth:`suspend` makes new local connections wait (up to
    ``wait_timeout`` seconds) until the next :meth:`retarget`.
    """

    def __init__(
        self,
        connection: SSHConnection,
        remote_port: int,
        *,
        remote_host: str = LOOPBACK,
        local_host: str = LOOPBACK,
        local_port: int = 0,
        wait_timeout: float = 30.0,
    ) -> None:
        if not 0 < remote_port < 65536:
            raise ValueError(f"remote port {remote_port} is not valid")
        if not 0 <= local_port < 65536:
            raise ValueError(f"local port {local_port} is not valid")
        self.local_host = local_host
        self.remote_host = remote_host
        self._requested_port = local_port
        self._connection = connection
        self._remote_port = remote_port
        self._wait_timeout = wait_timeout
        self._ready = asyncio.Event()
        self._ready.set()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self.local_port = 0
        self.connections_served = 0

    @property
    def remote_port(self) -> int:
        """The remote port connections currently go to."""
        return self._remote_port

    @property
    def connection(self) -> SSHConnection:
        """The SSH connection channels currently go through."""
        return self._connection

    @property
    def active(self) -> int:
        """How many local connections are being forwarded right now."""
        return len(self._pipes)

    @property
    def is_listening(self) -> bool:
        """Whether the local port is open."""
        return self._server is not None and self._server.is_serving()

    async def start(self) -> int:
        """Open the local port; returns its number."""
        if self._server is not None:
            return self.local_port
        try:
            self._server = await asyncio.start_server(
                self._serve, self.local_host, self._requested_port, reuse_address=True
            )
        except OSError as exc:
            raise TunnelError(
                f"cannot listen on {self.local_host}:{self._requested_port}: "
                f"{exc.strerror or exc}; pick another local port, or 0 for any free one"
            ) from None
        sock: socket.socket = self._server.sockets[0]
        self.local_port = int(sock.getsockname()[1])
        return self.local_port

    def suspend(self) -> None:
        """Hold new local connections until :meth:`retarget` (the link is being rebuilt)."""
        self._ready.clear()

    def retarget(self, connection: SSHConnection, remote_port: int | None = None) -> None:
        """Send new local connections through ``connection`` (to ``remote_port`` if given)."""
        self._connection = connection
        if remote_port is not None:
            self._remote_port = remote_port
        self._ready.set()

    async def close(self) -> None:
        """Close the local port and every forwarded connection."""
        self._ready.set()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._pipes):
            task.cancel()
        if self._pipes:
            await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)

    async def __aenter__(self) -> SSHTunnel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            await self._forward(reader, writer)
        except asyncio.CancelledError:
            # close() cancels the pipes. This is the top of the connection's task, and asyncio's
            # server callback logs a task that ends cancelled as an error, so end it normally.
            pass
        finally:
            self._pipes.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), self._wait_timeout)
        except asyncio.TimeoutError:
            return
        if self._server is None:
            return
        connection, port = self._connection, self._remote_port
        try:
            remote_reader, remote_writer = await connection.open_tcp(self.remote_host, port)
        except (asyncssh.Error, OSError):
            # The browser sees a closed connection and retries; the session's health check
            # notices the broken link and rebuilds it.
            return
        self.connections_served += 1
        try:
            await asyncio.gather(
                _pump(reader, remote_writer),
                _pump(remote_reader, writer),
            )
        finally:
            remote_writer.close()


class _ByteReader(Protocol):
    async def read(self, n: int = -1, /) -> bytes: ...


class _ByteWriter(Protocol):
    def write(self, data: bytes, /) -> None: ...
    async def drain(self) -> None: ...
    def can_write_eof(self) -> bool: ...
    def write_eof(self) -> None: ...
    def close(self) -> None: ...


async def _pump(reader: _ByteReader, writer: _ByteWriter) -> None:
    """Copy one direction of a forwarded connection until its end, then half-close it."""
    try:
        while True:
            data = await reader.read(_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, asyncssh.Error):
        writer.close()
