"""Running the viewer: bind, announce readiness, and stop when idle or orphaned.

Once listening, :func:`serve` prints exactly one line to stdout::

    RUNICORN_VIEWER_READY {"host": "127.0.0.1", "port": 23300, "url": "http://127.0.0.1:23300/"}

which a remote-launch manager parses (the URL carries ``?token=`` when there is one). Anything
that stops it from getting there (a port in use, a missing root, a short token, an unreadable
index) is a :class:`ViewerStartupError` whose message is one line for the person at the terminal.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import secrets
import socket
import sqlite3
import sys
import threading
import webbrowser
from pathlib import Path

import uvicorn
from uvicorn.config import LOG_LEVELS

from runicorn.config import get_user_root_dir
from runicorn.errors import RunicornError
from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.viewer.app import create_app
from runicorn.viewer.context import WILDCARD_HOSTS, ViewerContext, is_loopback

DEFAULT_PORT = 23300
GRACEFUL_SHUTDOWN_SECONDS = 3
IDLE_CHECK_INTERVAL = 0.5
LISTEN_BACKLOG = 2048


class ViewerStartupError(RunicornError):
    """The viewer cannot start; the message says why in one line, and what to do."""


def viewer_root(root_option: Path | None) -> Path:
    """The storage root to serve: one named with ``--root`` must already be a folder.

    A typo in ``--root`` would otherwise serve (and create) an empty store that looks like lost
    runs. The configured or default root may be created: that is where new runs go.
    """
    root = get_user_root_dir(root_option)
    if root_option is not None and not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise ViewerStartupError(
            f"the storage root {root} {what}: check --root "
            "(`runicorn config --set-root PATH` creates a new root and remembers it)"
        )
    return root


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on every address ``host`` resolves to (``port=0``: one free port)."""
    if not 0 <= port <= 65535:
        raise ViewerStartupError(f"port {port} is out of range: use 1-65535, or 0 for a free one")
    name = host.strip("[]")
    try:
        addresses = socket.getaddrinfo(
            name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ViewerStartupError(
            f"cannot listen on {host!r}: {exc.strerror}; check --host"
        ) from exc
    sockets: list[socket.socket] = []
    seen: set[tuple[int, str]] = set()
    try:
        for family, kind, proto, _, address in addresses:
            key = (int(family), str(address[0]))
            if key in seen:
                continue
            seen.add(key)
            # The protocol is given explicitly: asyncio only sets TCP_NODELAY on accepted
            # connections of sockets that say they are TCP.
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((address[0], port, *address[2:]))
            except OSError as exc:
                raise ViewerStartupError(_bind_failure(host, port, exc)) from exc
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
            # With port 0 every address shares the port the OS picked for the first one.
            port = int(sock.getsockname()[1])
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another viewer?): "
            "choose another with --port, or --port 0 for a free one"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port}: choose one above 1024 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: check --host"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def viewer_url(host: str, port: int, token: str | None) -> str:
    """The URL a browser on this machine opens for a viewer bound to ``host:port``."""
    bare = host.strip("[]")
    if bare in WILDCARD_HOSTS:
        name = "[::1]" if bare == "::" else "127.0.0.1"
    else:
        name = f"[{bare}]" if ":" in bare else bare
    return f"http://{name}:{port}/" + (f"?token={token}" if token else "")


def serve(
    root: Path,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    token: str | None = None,
    open_browser: bool = False,
    idle_timeout: float | None = None,
    exit_on_stdin_eof: bool = False,
    *,
    log_level: str = "warning",
) -> None:
    """Serve the viewer for ``root`` until interrupted, idle or orphaned.

    ``port=0`` picks a free port. On a non-loopback ``host`` a token is generated when none is
    given. ``idle_timeout``: exit after that many seconds without an HTTP request (open
    WebSockets count as activity). ``exit_on_stdin_eof``: exit when stdin closes, so a viewer
    started over SSH ends with its channel.
    """
    if log_level.lower() not in LOG_LEVELS:
        raise ViewerStartupError(
            f"unknown log level {log_level!r}: use one of {', '.join(LOG_LEVELS)}"
        )
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)
    sockets = listening_sockets(host, port)
    try:
        app = create_app(Path(root), token=token, host=host)
    except (RunicornError, ValueError, OSError, sqlite3.Error) as exc:
        for sock in sockets:
            sock.close()
        raise ViewerStartupError(" ".join(str(exc).split())) from exc
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        lifespan="on",
        # The viewer is never behind a proxy it could trust: X-Forwarded-For from any local
        # client would otherwise become the client address (and pick its rate-limit bucket).
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    asyncio.run(
        _run(
            server,
            sockets,
            host,
            token,
            app.state.ctx,
            open_browser,
            idle_timeout,
            exit_on_stdin_eof,
        )
    )


def _bound_port(server: uvicorn.Server) -> int:
    """The port the server listens on (the one the OS picked for port 0)."""
    for listener in getattr(server, "servers", []):
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("the viewer is not listening")


async def _run(
    server: uvicorn.Server,
    sockets: list[socket.socket],
    host: str,
    token: str | None,
    context: ViewerContext,
    open_browser: bool,
    idle_timeout: float | None,
    exit_on_stdin_eof: bool,
) -> None:
    # The sockets are bound before uvicorn starts, so a failure to bind is a clear error
    # above and not uvicorn's exit from inside the event loop; a port of 0 is read back here.
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return
    port = _bound_port(server)
    ready = {"host": host, "port": port, "url": viewer_url(host, port, token)}
    sys.stdout.write(f"{VIEWER_READY_PREFIX}{json.dumps(ready)}\n")
    sys.stdout.flush()
    # The line above is for programs (the remote launcher); this one is for the person.
    root = context.backend.root
    sys.stderr.write(f"Runicorn viewer for {root} at {ready['url']} (Ctrl-C to stop)\n")
    sys.stderr.flush()
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(str(ready["url"]),), daemon=True).start()
    if exit_on_stdin_eof:
        _exit_on_stdin_eof(server, asyncio.get_running_loop())
    watcher = asyncio.create_task(_exit_when_idle(server, context, idle_timeout))
    try:
        await serving
    finally:
        watcher.cancel()


async def _exit_when_idle(
    server: uvicorn.Server, context: ViewerContext, idle_timeout: float | None
) -> None:
    if not idle_timeout or idle_timeout <= 0:
        return
    while not server.should_exit:
        await asyncio.sleep(min(IDLE_CHECK_INTERVAL, idle_timeout))
        if context.activity.idle_for() >= idle_timeout:
            server.should_exit = True


def _exit_on_stdin_eof(server: uvicorn.Server, loop: asyncio.AbstractEventLoop) -> None:
    def wait_for_eof() -> None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        try:
            while stream is not None and stream.read(65536):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    threading.Thread(target=wait_for_eof, name="runicorn-stdin", daemon=True).start()
