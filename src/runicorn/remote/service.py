"""The process-wide remote-viewing service behind the viewer's ``/api/remote`` routes.

It owns the connection pool, the viewer sessions started from the UI, the host keys waiting for
the user's decision and the saved connections, so the router stays a thin edge. Connection
settings (with any password) stay in this process's memory only, to reconnect a session after
a dropped link; listings never include a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from runicorn.remote import known_hosts as kh
from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool
from runicorn.remote.errors import RemoteSessionNotFoundError, UnknownHostKeyError
from runicorn.remote.viewer.manager import DEFAULT_IDLE_TIMEOUT, RemoteViewerManager
from runicorn.remote.viewer.session import ViewerSession
from runicorn.security.credentials import CredentialError, CredentialStore


class RemoteService:
    """Connections, viewer sessions and saved connections of one Runicorn process."""

    def __init__(
        self,
        *,
        credentials: CredentialStore | None = None,
        launcher: tuple[str, ...] | None = None,
        session_options: dict[str, Any] | None = None,
        config_defaults: dict[str, Any] | None = None,
    ) -> None:
        self.pool = SSHConnectionPool()
        self._config_defaults = dict(config_defaults or {})
        self._credentials = credentials
        self._launcher = launcher
        self._session_options = dict(session_options or {})
        self._configs: dict[str, SSHConfig] = {}
        self._pending_keys: dict[tuple[str, int], UnknownHostKeyError] = {}
        self._sessions: dict[str, ViewerSession] = {}

    @property
    def credentials(self) -> CredentialStore:
        """The saved-connections store (created on first use, under the config folder)."""
        if self._credentials is None:
            self._credentials = CredentialStore()
        return self._credentials

    async def connect(self, config: SSHConfig) -> dict[str, Any]:
        """Open (or reuse) a connection; an unknown host key is kept for :meth:`accept_host_key`.

        ``config_defaults`` given to the service fill the settings ``config`` leaves unset.
        """
        defaults = {k: v for k, v in self._config_defaults.items() if getattr(config, k) is None}
        if defaults:
            config = replace(config, **defaults)
        try:
            conn = await self.pool.get(config)
        except UnknownHostKeyError as exc:
            self._pending_keys[(exc.host, exc.port)] = exc
            raise
        self._configs[conn.key] = config
        return conn.info()

    def saved_config(self, saved_id: str, **overrides: Any) -> SSHConfig:
        """The SSHConfig of a saved connection, with its remembered secrets and ``overrides``."""
        try:
            saved = self.credentials.get(saved_id)
        except CredentialError as exc:
            raise RemoteSessionNotFoundError(str(exc)) from exc
        secret = self.credentials.secrets(saved_id)
        config = SSHConfig(
            host=saved.host,
            port=saved.port,
            user=saved.user,
            key_file=saved.key_file,
            jump_host=saved.jump_host,
            use_agent=saved.use_agent,
            password=secret.password,
            passphrase=secret.passphrase,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(config, **given) if given else config

    def accept_host_key(self, host: str, port: int, fingerprint: str) -> dict[str, Any]:
        """Trust the key the user was shown for ``host:port``, if ``fingerprint`` is that key's.

        Only a key this process saw and reported can be accepted, and only with the fingerprint
        the user confirmed: a client cannot slip another key in.
        """
        pending = self._pending_keys.get((host, port))
        if pending is None:
            raise RemoteSessionNotFoundError(
                f"no host key of {kh.host_pattern(host, port)} is waiting for acceptance: "
                "connect first, then accept the fingerprint shown"
            )
        if pending.fingerprint != fingerprint:
            raise ValueError(
                f"fingerprint {fingerprint} does not match the key {host} presented "
                f"({pending.fingerprint}); nothing was accepted"
            )
        path = kh.accept_host_key(host, port, pending.public_key)
        del self._pending_keys[(host, port)]
        return {
            "accepted": True,
            "host": host,
            "port": port,
            "key_type": pending.key_type,
            "fingerprint": pending.fingerprint,
            "known_hosts": str(path),
        }

    def connection(self, connection_id: str) -> SSHConnection:
        """An open connection by id; :class:`RemoteSessionNotFoundError` otherwise."""
        conn = self.pool.find(connection_id)
        if conn is None or conn.closed:
            raise RemoteSessionNotFoundError(
                f"no open SSH connection {connection_id!r}: connect first "
                "(POST /api/remote/connect)"
            )
        return conn

    def connections(self) -> list[dict[str, Any]]:
        """Every connection of the pool, with the viewer sessions running over it."""
        items = []
        for conn in self.pool.connections():
            info = conn.info()
            info["viewer_sessions"] = [
                s.id for s in self._sessions.values() if s.connection is conn
            ]
            items.append(info)
        return items

    async def disconnect(self, connection_id: str) -> dict[str, Any]:
        """Stop the viewer sessions over a connection, then close it."""
        conn = self.pool.find(connection_id)
        if conn is None:
            raise RemoteSessionNotFoundError(f"no SSH connection {connection_id!r}")
        stopped = [s.id for s in list(self._sessions.values()) if s.connection is conn]
        for session_id in stopped:
            await self.stop_viewer(session_id)
        await self.pool.discard(conn)
        self._configs.pop(conn.key, None)
        return {"disconnected": conn.key, "stopped_sessions": stopped}

    async def start_viewer(
        self,
        connection_id: str,
        *,
        python: str = "python3",
        root: str | None = None,
        local_port: int = 0,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> dict[str, Any]:
        """Start a remote viewer over an open connection and tunnel it to a local port."""
        conn = self.connection(connection_id)
        config = self._configs.get(conn.key, conn.config)
        session = ViewerSession(
            config,
            python=python,
            root=root,
            local_port=local_port,
            pool=self.pool,
            idle_timeout=idle_timeout,
            launcher=self._launcher,
            **self._session_options,
        )
        await session.start()
        self._sessions[session.id] = session
        return session.info()

    async def stop_viewer(self, session_id: str) -> dict[str, Any]:
        """Stop a viewer session: remote process, tunnel; the connection stays open."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            raise RemoteSessionNotFoundError(f"no remote viewer session {session_id!r}")
        await session.close()
        return {
            "stopped": session_id,
            "remote_viewer_gone": session.remote_viewer_gone,
            "state": session.state.value,
        }

    def viewer_sessions(self) -> list[dict[str, Any]]:
        """Every viewer session started here (failed ones too, until stopped)."""
        return [s.info() for s in self._sessions.values()]

    def manager(self, connection_id: str) -> RemoteViewerManager:
        """Remote operations over an open connection."""
        return RemoteViewerManager(self.connection(connection_id))

    async def close(self) -> None:
        """Stop every session and close every connection (application shutdown)."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.pool.close_all()
        self._configs.clear()
