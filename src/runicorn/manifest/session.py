"""``runicorn.sync(src, dst)``: open both sides, run passes (once, or every N seconds), report.

A side is a local folder or ``[user@]host:/path`` over SSH. SSH sides use ``runicorn remote``'s
connection code: the same options (port, key file, jump host), the same host-key checks, and
the saved connections of the Remote page (a target that names a saved connection uses its
settings and remembered secrets). Connections stay open across watch passes and are reopened
after a dropped link.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runicorn.manifest.models import SyncReport
from runicorn.manifest.transfer import ProgressCallback, SyncPass
from runicorn.manifest.transport import LocalTransport, Location, SSHTransport, Transport

if TYPE_CHECKING:
    from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool

Connector = Callable[["SSHConfig", "SSHConnectionPool"], Awaitable["SSHConnection"]]
PassCallback = Callable[[SyncReport], None]


@dataclass(frozen=True)
class SSHOptions:
    """How to reach SSH sides: ``runicorn remote``'s options, plus any SSHConfig field."""

    port: int | None = None
    identity: str | None = None
    jump: str | None = None
    python: str = "python3"
    extra: dict[str, Any] = field(default_factory=dict)


def parse_since(text: str | float | None) -> float | None:
    """A ``--since`` value as Unix time: a number, or an ISO date/time (local time if naive)."""
    if text is None or isinstance(text, int | float):
        return None if text is None else float(text)
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r} is not a date: write it as 2026-11-30, 2026-11-30T08:00 or a "
            "Unix time"
        ) from None
    return moment.timestamp()


def ssh_config_for(target: str, options: SSHOptions) -> tuple[SSHConfig, str | None]:
    """The SSHConfig of a target, and the root of the saved connection it names (if any)."""
    from runicorn.remote.connection import SSHConfig
    from runicorn.security.credentials import CredentialError, CredentialStore

    given: dict[str, Any] = {
        "port": options.port,
        "key_file": options.identity,
        "jump_host": options.jump,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    if "@" not in target:
        try:
            store = CredentialStore()
            saved = next((c for c in store.list_connections() if target in (c.id, c.name)), None)
            if saved is not None:
                secrets = store.secrets(saved.id)
                config = SSHConfig(
                    host=saved.host,
                    port=saved.port,
                    user=saved.user,
                    key_file=saved.key_file,
                    jump_host=saved.jump_host,
                    use_agent=saved.use_agent,
                    password=secrets.password,
                    passphrase=secrets.passphrase,
                )
                return replace(config, **overrides, **options.extra), saved.root
        except (CredentialError, OSError):
            pass
    return SSHConfig.from_target(target, **overrides, **options.extra), None


async def _pool_connect(config: SSHConfig, pool: SSHConnectionPool) -> SSHConnection:
    return await pool.get(config)


@dataclass(frozen=True)
class RemoteRoot:
    """An SSH side given by a ready SSHConfig (the viewer's open connection) and a root."""

    config: SSHConfig
    path: str = ""

    def __str__(self) -> str:
        return f"{self.config.display}:{self.path}"


class _Side:
    """One end of a sync; for SSH, its connection is (re)opened when a pass needs it."""

    def __init__(
        self,
        text: str | Path | RemoteRoot,
        options: SSHOptions,
        pool: SSHConnectionPool | None,
        connect: Connector,
        *,
        follow: bool = False,
    ) -> None:
        self.location = Location(str(text))
        self.follow = follow
        self.options = options
        self.pool = pool
        self.connect = connect
        self._transport: Transport | None = None
        self._config: SSHConfig | None = None
        self._root = self.location.path
        if isinstance(text, RemoteRoot):
            self._config, self._root = text.config, text.path
        elif self.location.ssh_target is not None:
            self._config, saved_root = ssh_config_for(self.location.ssh_target, options)
            self._root = self._root or saved_root or ""

    def forget_state(self) -> None:
        """After a failed pass: the next one scans this side whole."""
        if self._transport is not None:
            self._transport.forget_state()

    async def transport(self) -> Transport:
        if self._config is None:
            if self._transport is None:
                self._transport = LocalTransport(self.location.path, follow=self.follow)
            return self._transport
        current = self._transport
        if isinstance(current, SSHTransport) and not current.conn.closed:
            return current
        assert self.pool is not None
        conn = await self.connect(self._config, self.pool)
        self._transport = SSHTransport(conn, self._root, python=self.options.python)
        return self._transport


async def sync_async(
    source: str | Path | RemoteRoot,
    destination: str | Path | RemoteRoot,
    *,
    watch: float | None = None,
    project: str | None = None,
    since: float | str | None = None,
    dry_run: bool = False,
    ssh: SSHOptions | None = None,
    progress: ProgressCallback | None = None,
    on_pass: PassCallback | None = None,
    stop: threading.Event | None = None,
    max_passes: int | None = None,
    connect: Connector | None = None,
    total: SyncReport | None = None,
) -> SyncReport:
    """The coroutine behind :func:`sync`; ``total`` (if given) is filled in as passes end."""
    from runicorn.remote.connection import SSHConnectionPool

    options = ssh or SSHOptions()
    since_time = parse_since(since)
    if watch is not None and watch <= 0:
        raise ValueError("--watch needs a positive number of seconds")
    pool = SSHConnectionPool()
    link = connect or _pool_connect
    report = total if total is not None else SyncReport()
    stopping = stop or threading.Event()
    try:
        src = _Side(source, options, pool, link)
        # A watched destination keeps its manifest between passes (only the sync writes
        # there, mostly): each pass re-scans what it wrote and folders that changed.
        dst = _Side(destination, options, pool, link, follow=bool(watch))
        while True:
            started = time.monotonic()
            try:
                sync_pass = SyncPass(
                    await src.transport(),
                    await dst.transport(),
                    project=project,
                    since=since_time,
                    dry_run=dry_run,
                    progress=progress,
                )
                result = await sync_pass.run()
            except Exception as exc:
                error = _pass_error(exc)
                if error is None:
                    raise
                if not watch or report.passes == 0:
                    raise error from exc
                result = SyncReport(passes=1, errors=[f"pass failed: {error}"])
                dst.forget_state()
            report.merge(result)
            report.source, report.destination = result.source, result.destination
            report.dry_run = dry_run
            if on_pass is not None:
                on_pass(result)
            if not watch or dry_run or stopping.is_set():
                break
            if max_passes is not None and report.passes >= max_passes:
                break
            while not stopping.is_set() and time.monotonic() - started < watch:
                await asyncio.sleep(min(0.05, watch))
            if stopping.is_set():
                break
        return report
    finally:
        await pool.close_all()


def _pass_error(exc: Exception) -> Exception | None:
    """What a failed pass reports: a lost link becomes a RemoteError saying how to resume."""
    import asyncssh

    from runicorn.remote.errors import RemoteError, SSHConnectError

    if isinstance(exc, RemoteError | OSError):
        return exc
    if isinstance(exc, asyncssh.Error):
        return SSHConnectError(
            f"the SSH link broke during the sync ({exc}); nothing torn was left, and running "
            "the sync again resumes where it stopped"
        )
    return None


def sync(
    source: str | Path,
    destination: str | Path,
    *,
    watch: float | None = None,
    project: str | None = None,
    since: float | str | None = None,
    dry_run: bool = False,
    port: int | None = None,
    identity: str | None = None,
    jump: str | None = None,
    python: str = "python3",
    ssh_options: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    on_pass: PassCallback | None = None,
    stop: threading.Event | None = None,
    max_passes: int | None = None,
) -> SyncReport:
    """Bring the runs of ``source`` into ``destination``, moving only what is missing.

    Each side is a local storage root or ``[user@]host:/path`` over SSH (``port``,
    ``identity`` and ``jump`` as for ``runicorn remote``; ``python`` runs the remote manifest;
    ``ssh_options`` sets further :class:`~runicorn.remote.connection.SSHConfig` fields).
    ``project`` and ``since`` (a date or Unix time) narrow the runs. ``watch`` repeats every so
    many seconds until ``stop`` is set or ``max_passes`` passes ran. Returns the report summed
    over passes; conflicts are in ``report.conflicts`` and nothing of theirs was written.
    """
    options = SSHOptions(
        port=port, identity=identity, jump=jump, python=python, extra=dict(ssh_options or {})
    )
    return asyncio.run(
        sync_async(
            source,
            destination,
            watch=watch,
            project=project,
            since=since,
            dry_run=dry_run,
            ssh=options,
            progress=progress,
            on_pass=on_pass,
            stop=stop,
            max_passes=max_passes,
        )
    )
