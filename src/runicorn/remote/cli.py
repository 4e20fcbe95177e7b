"""``runicorn remote user@host`` and ``runicorn remote ls``: the terminal side of remote viewing.

The typer commands in ``runicorn/cli.py`` call :func:`run_remote_cli` and
:func:`list_remote_runs`. Like ``ssh``, they ask before trusting a new host key (showing its
fingerprint), refuse a changed one, and ask for a password when the keys are refused. Then
:func:`run_remote_cli` starts the viewer on the remote host, forwards a local port to it,
prints the address and keeps the session alive across dropped links until Ctrl-C, which stops
the remote viewer and closes the tunnel.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import signal
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool
from runicorn.remote.errors import (
    HostKeyChangedError,
    RemoteError,
    SSHAuthenticationError,
    UnknownHostKeyError,
)
from runicorn.remote.known_hosts import accept_host_key
from runicorn.remote.viewer.manager import (
    DEFAULT_IDLE_TIMEOUT,
    PythonEnvironment,
    RemoteViewerManager,
)
from runicorn.remote.viewer.session import SessionState, ViewerSession

Echo = Callable[[str], None]
Ask = Callable[[str], str]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ask_stderr(prompt: str) -> str:
    """``input`` with the prompt on stderr, so stdout carries only the URL (scriptable)."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError("no answer on stdin")
    return line.rstrip("\n")


def _is_interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def run_remote_cli(
    target: str,
    *,
    port: int | None = None,
    root: str | None = None,
    python: str | None = None,
    local_port: int = 0,
    open_browser: bool = True,
    key_file: str | None = None,
    jump_host: str | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    echo: Echo = _stderr,
    ask: Ask = _ask_stderr,
    ask_secret: Ask = getpass.getpass,
    launcher: tuple[str, ...] | None = None,
) -> int:
    """View the runs of ``target`` (``user@host[:port]`` or an ``~/.ssh/config`` alias) live.

    ``python`` picks the remote interpreter (default: the first environment with a compatible
    Runicorn); ``root`` the remote storage root (default: the remote user's). The local URL is
    printed on stdout; messages go to ``echo``. Blocks until Ctrl-C (or SIGTERM), then stops the
    remote viewer. Returns the process exit code. ``launcher`` replaces ``-m runicorn.viewer``
    on the remote side (tests).
    """
    try:
        return asyncio.run(
            _run_remote(
                target,
                port=port,
                root=root,
                python=python,
                local_port=local_port,
                open_browser=open_browser,
                key_file=key_file,
                jump_host=jump_host,
                idle_timeout=idle_timeout,
                echo=echo,
                ask=ask,
                ask_secret=ask_secret,
                launcher=launcher,
            )
        )
    except KeyboardInterrupt:
        return 130


def list_remote_runs(
    target: str,
    root: str | None = None,
    *,
    port: int | None = None,
    python: str = "python3",
    key_file: str | None = None,
    jump_host: str | None = None,
    echo: Echo = _stderr,
    ask: Ask = _ask_stderr,
    ask_secret: Ask = getpass.getpass,
) -> dict[str, Any]:
    """The runs under ``root`` on ``target`` (remote default root if None), newest first.

    Returns ``{"root": str, "exists": bool, "runs": [{"id", "project", "name", "status",
    "created_at", "ended_at", "path"}]}``. Needs only a Python 3 on the remote host. Raises a
    :class:`RemoteError` when the host cannot be reached or the user declines its key.
    """
    return asyncio.run(
        _list_runs(
            target,
            root,
            port=port,
            python=python,
            key_file=key_file,
            jump_host=jump_host,
            echo=echo,
            ask=ask,
            ask_secret=ask_secret,
        )
    )


def format_runs_table(listing: dict[str, Any]) -> str:
    """A plain-text table of :func:`list_remote_runs`' answer, for the terminal."""
    runs = listing.get("runs", [])
    if not listing.get("exists", True):
        return f"no storage root at {listing.get('root')} on the remote host"
    if not runs:
        return f"no runs under {listing.get('root')}"
    rows = [("ID", "PROJECT", "NAME", "STATUS")]
    rows += [(r["id"], r["project"], r["name"], r["status"]) for r in runs]
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


async def connect_interactive(
    config: SSHConfig,
    pool: SSHConnectionPool,
    *,
    echo: Echo,
    ask: Ask,
    ask_secret: Ask,
    interactive: bool | None = None,
) -> tuple[SSHConnection, SSHConfig]:
    """Connect as ``ssh`` would: ask about a new host key, ask for a password if keys fail.

    Returns the connection and the config that worked (with the password typed, if any).
    """
    can_ask = _is_interactive() if interactive is None else interactive
    asked_password = False
    while True:
        try:
            return await pool.get(config), config
        except UnknownHostKeyError as exc:
            echo(
                f"The authenticity of host '{exc.host}' (port {exc.port}) can't be established.\n"
                f"{exc.key_type} key fingerprint is {exc.fingerprint}."
            )
            try:
                answer = ask("Are you sure you want to trust this host and continue (y/N)? ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                raise
            path = accept_host_key(exc.host, exc.port, exc.public_key)
            echo(f"Added {exc.host}:{exc.port} to {path}.")
        except HostKeyChangedError:
            echo("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@")
            raise
        except SSHAuthenticationError as exc:
            if asked_password or config.password is not None or not can_ask:
                raise
            asked_password = True
            who = f"{config.user}@{config.host}" if config.user else config.host
            try:
                password = ask_secret(f"{who}'s password: ")
            except EOFError:
                raise exc from None
            config = replace(config, password=password)


async def _list_runs(
    target: str,
    root: str | None,
    *,
    port: int | None,
    python: str,
    key_file: str | None,
    jump_host: str | None,
    echo: Echo,
    ask: Ask,
    ask_secret: Ask,
) -> dict[str, Any]:
    config = SSHConfig.from_target(target, port=port, key_file=key_file, jump_host=jump_host)
    pool = SSHConnectionPool()
    try:
        conn, _ = await connect_interactive(config, pool, echo=echo, ask=ask, ask_secret=ask_secret)
        return await RemoteViewerManager(conn).list_runs(root, python=python)
    finally:
        await pool.close_all()


async def _choose_python(manager: RemoteViewerManager, echo: Echo) -> str | None:
    echo("Looking for Python environments with Runicorn on the remote host…")
    envs = await manager.list_environments()
    chosen = next((env for env in envs if env.compatible), None)
    if chosen is None:
        echo("No remote Python environment has a compatible Runicorn:")
        for env in envs:
            echo(f"  {_describe_env(env)}")
        echo("Install it there (pip install runicorn) or pass --python /path/to/python.")
        return None
    echo(f"Using {chosen.python} (runicorn {chosen.runicorn_version}, {chosen.source}).")
    return chosen.python


def _describe_env(env: PythonEnvironment) -> str:
    version = f"runicorn {env.runicorn_version}" if env.runicorn_version else "no runicorn"
    problem = f": {env.error}" if env.error else ""
    return f"{env.python} [{env.source}] {version}{problem}"


async def _run_remote(
    target: str,
    *,
    port: int | None,
    root: str | None,
    python: str | None,
    local_port: int,
    open_browser: bool,
    key_file: str | None,
    jump_host: str | None,
    idle_timeout: float,
    echo: Echo,
    ask: Ask,
    ask_secret: Ask,
    launcher: tuple[str, ...] | None,
) -> int:
    try:
        config = SSHConfig.from_target(target, port=port, key_file=key_file, jump_host=jump_host)
    except ValueError as exc:
        echo(f"error: {exc}")
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    pool = SSHConnectionPool()
    holder: list[ViewerSession] = []

    async def start() -> ViewerSession:
        nonlocal config, python
        echo(f"Connecting to {config.display}…")
        conn, config = await connect_interactive(
            config, pool, echo=echo, ask=ask, ask_secret=ask_secret
        )
        if python is None:
            python = await _choose_python(RemoteViewerManager(conn), echo)
            if python is None:
                raise _NoEnvironment
        echo(f"Starting the remote viewer on {conn.key}…")
        session = ViewerSession(
            config,
            python=python,
            root=root,
            local_port=local_port,
            pool=pool,
            idle_timeout=idle_timeout,
            launcher=launcher,
            on_event=lambda kind, message: None if kind == "stopped" else echo(message),
        )
        holder.append(session)
        return await session.start()

    try:
        # Ctrl-C during the start must not wait for it to finish: race the two.
        starting = asyncio.create_task(start())
        if not await _first(starting, stop):
            return 130
        session = starting.result()
        print(session.url, flush=True)
        echo(f"Remote viewer for {session.config.display} is at {session.url}  (Ctrl-C to stop)")
        if open_browser:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(webbrowser.open, session.url)
        closed = asyncio.create_task(session.wait_closed())
        await _first(closed, stop)
        if session.state is SessionState.FAILED:
            echo(f"error: {session.last_error}")
            return 1
        return 0
    except _NoEnvironment:
        return 1
    except (RemoteError, OSError) as exc:
        echo(f"error: {exc}")
        return 1
    finally:
        for session in holder:
            if session.state is SessionState.FAILED:
                continue
            echo("Stopping the remote viewer…")
            await session.close()
            if session.remote_viewer_gone:
                echo("Stopped: the remote viewer has exited and the tunnel is closed.")
            else:
                echo(f"warning: could not confirm the remote viewer exited ({session.last_error})")
        await pool.close_all()


class _NoEnvironment(Exception):
    """No remote environment can run the viewer (already explained to the user)."""


async def _first(task: asyncio.Task[Any], stop: asyncio.Event) -> bool:
    """Wait for ``task`` or ``stop``; cancel ``task`` if ``stop`` came first (returns False).

    The task's own exception, if it finished first, is raised here.
    """
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return False
