"""Running the viewer: bind, announce readiness, and stop when idle or orphaned.

Once listening, :func:`serve` prints exactly one line to stdout::

    RUNICORN_VIEWER_READY {"host": "127.0.0.1", "port": 23300, "url": "http://127.0.0.1:23300/"}

which a remote-launch manager parses (the URL carries ``?token=`` when there is one).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import threading
import webbrowser
from pathlib import Path

import uvicorn

from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.viewer.app import create_app
from runicorn.viewer.context import WILDCARD_HOSTS, ViewerContext, is_loopback

DEFAULT_PORT = 23300
GRACEFUL_SHUTDOWN_SECONDS = 3
IDLE_CHECK_INTERVAL = 0.5


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
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)
    app = create_app(Path(root), token=token, host=host)
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    asyncio.run(
        _run(server, host, token, app.state.ctx, open_browser, idle_timeout, exit_on_stdin_eof)
    )


def _bound_port(server: uvicorn.Server) -> int:
    """The port the server listens on (the one the OS picked for port 0)."""
    for listener in getattr(server, "servers", []):
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("the viewer is not listening")


async def _run(
    server: uvicorn.Server,
    host: str,
    token: str | None,
    context: ViewerContext,
    open_browser: bool,
    idle_timeout: float | None,
    exit_on_stdin_eof: bool,
) -> None:
    # uvicorn binds the socket itself (so accepted connections get TCP_NODELAY); a
    # port of 0 is read back once it listens.
    serving = asyncio.create_task(server.serve())
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
