"""SSH connections to the hosts where runs live: open, verify, authenticate, run, reuse.

:class:`SSHConfig` says where and how to connect (``~/.ssh/config`` aliases, keys, the agent, a
password or a jump host). :class:`SSHConnection` wraps one authenticated asyncssh connection and
turns asyncssh's exceptions into the typed errors of :mod:`runicorn.remote.errors`.
:class:`SSHConnectionPool` shares one connection per ``user@host:port``.

Host keys are checked against the user's ``~/.ssh/known_hosts`` and Runicorn's own file (see
:mod:`runicorn.remote.known_hosts`). An unknown key stops the connection with
:class:`UnknownHostKeyError` carrying its fingerprint; a changed key stops it with
:class:`HostKeyChangedError`. Nothing is accepted without the user.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncssh

from runicorn.remote import known_hosts as kh
from runicorn.remote.commands import command_line, sh_script
from runicorn.remote.errors import (
    HostKeyChangedError,
    RemoteCommandError,
    SSHAuthenticationError,
    SSHConnectError,
    UnknownHostKeyError,
)

DEFAULT_COMMAND_TIMEOUT = 60.0
_TARGET_PATTERN = re.compile(
    r"^(?:ssh://)?(?:(?P<user>[^@/]+)@)?(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:/@\[\]]+))(?::(?P<port>\d+))?/?$"
)


@dataclass(frozen=True)
class SSHConfig:
    """Where and how to connect; secrets are kept out of ``repr``.

    ``host`` may be an alias of ``~/.ssh/config`` (asyncssh applies its ``HostName``, ``Port``,
    ``User``, ``IdentityFile``, ``ProxyJump``...). ``port``/``user`` left ``None`` come from
    that file or the defaults. ``ssh_config_files=None`` reads ``~/.ssh/config``; ``()`` reads
    nothing. ``user_known_hosts=None`` means ``~/.ssh/known_hosts``.
    """

    host: str
    port: int | None = None
    user: str | None = None
    key_file: str | None = None
    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    jump_host: str | None = None
    use_agent: bool = True
    ssh_config_files: tuple[str, ...] | None = None
    user_known_hosts: str | None = None
    connect_timeout: float = 15.0
    keepalive_interval: float = 15.0
    keepalive_count_max: int = 3

    def __post_init__(self) -> None:
        if not self.host or any(ch.isspace() for ch in self.host):
            raise ValueError(f"SSH host {self.host!r} is not valid: give a host name or alias")
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"SSH port {self.port} is not valid: use 1-65535")

    @classmethod
    def from_target(cls, target: str, **options: Any) -> SSHConfig:
        """Parse ``user@host:port``; only the host is required (``ssh://`` and ``[v6]`` work)."""
        match = _TARGET_PATTERN.match(target.strip())
        if not match:
            raise ValueError(
                f"cannot read the SSH target {target!r}: write it as user@host, host:port "
                "or an alias from ~/.ssh/config"
            )
        values: dict[str, Any] = {"host": match["v6"] or match["host"]}
        if match["user"]:
            values["user"] = match["user"]
        if match["port"]:
            values["port"] = int(match["port"])
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**values)

    @property
    def key(self) -> str:
        """The pool key, ``user@host:port`` with blanks where the SSH config decides."""
        return f"{self.user or ''}@{self.host}:{self.port or ''}"

    @property
    def display(self) -> str:
        """How to show the target to a user."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{user}{self.host}{port}"

    def public_dict(self) -> dict[str, Any]:
        """The settings without secrets, with flags saying which secrets are set."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "key_file": self.key_file,
            "jump_host": self.jump_host,
            "use_agent": self.use_agent,
            "has_password": self.password is not None,
            "has_passphrase": self.passphrase is not None,
        }


@dataclass(frozen=True)
class CommandResult:
    """What a remote command printed and how it ended."""

    stdout: str
    stderr: str
    exit_status: int | None

    @property
    def ok(self) -> bool:
        """Whether the command exited with status 0."""
        return self.exit_status == 0


class _RunicornClient(asyncssh.SSHClient):
    """Records the host key a server offered and notices a lost connection.

    asyncssh calls ``validate_host_public_key`` only for keys no known_hosts entry trusts;
    answering ``False`` aborts the handshake, and the recorded key tells the user what to check.
    """

    def __init__(self) -> None:
        self.offered: tuple[str, str, int, asyncssh.SSHKey] | None = None
        self.lost = asyncio.Event()
        self.lost_reason: Exception | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.offered = (host, addr, port, key)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost_reason = exc
        self.lost.set()


def _host_key_error(
    client: _RunicornClient, known: asyncssh.SSHKnownHosts, config: SSHConfig, message: str
) -> Exception:
    if client.offered is None:
        return SSHConnectError(
            f"the host key of {config.display} was rejected ({message}); it may be revoked in "
            "known_hosts. Check the server's key with its administrator."
        )
    host, addr, port, key = client.offered
    pattern, key_type, fingerprint = (
        kh.host_pattern(host, port),
        key.get_algorithm(),
        kh.fingerprint(key),
    )
    error_class: type[HostKeyChangedError | UnknownHostKeyError]
    if kh.trusted_keys(known, host, addr, port):
        files = ", ".join(str(p) for p in kh.known_hosts_files(config.user_known_hosts))
        error_class = HostKeyChangedError
        message = (
            f"host key changed — possible man-in-the-middle attack: {pattern} now presents "
            f"{key_type} key {fingerprint}, which differs from the key recorded in {files}. The "
            "connection was refused. If the server was reinstalled, confirm the new fingerprint "
            f"with its administrator, then remove the old entry: ssh-keygen -R '{pattern}' -f "
            "<that file>."
        )
    else:
        error_class = UnknownHostKeyError
        message = (
            f"the authenticity of host {pattern} can't be established: its {key_type} key "
            f"fingerprint is {fingerprint}. Check it with the server's administrator, then "
            "accept it to connect."
        )
    return error_class(
        message,
        host=host,
        port=port,
        key_type=key_type,
        fingerprint=fingerprint,
        public_key=kh.public_key_line(key),
    )


class SSHConnection:
    """One authenticated SSH connection, with typed errors and quoting built in."""

    def __init__(
        self,
        config: SSHConfig,
        conn: asyncssh.SSHClientConnection,
        client: _RunicornClient,
        jump: SSHConnection | None = None,
    ) -> None:
        self.config = config
        self._conn = conn
        self._client = client
        self._jump = jump
        self._sftp: asyncssh.SFTPClient | None = None
        self._sftp_lock = asyncio.Lock()
        self._home: str | None = None
        self.host: str = str(conn.get_extra_info("host") or config.host)
        self.port: int = int(conn.get_extra_info("port") or config.port or kh.DEFAULT_SSH_PORT)
        self.user: str = str(conn.get_extra_info("username") or config.user or "")

    @classmethod
    async def open(cls, config: SSHConfig) -> SSHConnection:
        """Connect and authenticate, or raise one of the typed errors of remote.errors."""
        jump: SSHConnection | None = None
        if config.jump_host:
            jump_config = SSHConfig.from_target(
                config.jump_host,
                key_file=config.key_file,
                use_agent=config.use_agent,
                ssh_config_files=config.ssh_config_files,
                user_known_hosts=config.user_known_hosts,
                connect_timeout=config.connect_timeout,
                keepalive_interval=config.keepalive_interval,
                keepalive_count_max=config.keepalive_count_max,
            )
            jump = await cls.open(jump_config)
        try:
            conn, client = await _connect(config, jump)
        except BaseException:
            if jump is not None:
                await jump.aclose()
            raise
        return cls(config, conn, client, jump)

    @property
    def key(self) -> str:
        """``user@host:port`` as resolved by the server connection."""
        return f"{self.user}@{self.host}:{self.port}"

    @property
    def closed(self) -> bool:
        """Whether the connection is gone (closed here, or lost)."""
        return self._client.lost.is_set()

    @property
    def lost_reason(self) -> Exception | None:
        """Why the connection ended, when it ended with an error."""
        return self._client.lost_reason

    async def wait_closed(self) -> None:
        """Return once the connection is gone, for whatever reason."""
        await self._client.lost.wait()

    async def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        timeout: float | None = DEFAULT_COMMAND_TIMEOUT,
        check: bool = False,
    ) -> CommandResult:
        """Run ``argv`` remotely, every word quoted; ``check`` raises on a non-zero exit."""
        return await self._run_line(command_line(argv), input=input, timeout=timeout, check=check)

    async def run_script(
        self,
        script: str,
        args: Sequence[str] = (),
        *,
        input: str | None = None,
        timeout: float | None = DEFAULT_COMMAND_TIMEOUT,
        check: bool = False,
    ) -> CommandResult:
        """Run a fixed POSIX ``script`` with ``sh``; user values go in ``args`` (``"$1"``...)."""
        return await self._run_line(
            sh_script(script, args), input=input, timeout=timeout, check=check
        )

    async def _run_line(
        self, line: str, *, input: str | None, timeout: float | None, check: bool
    ) -> CommandResult:
        try:
            completed = await asyncio.wait_for(
                self._conn.run(line, input=input, check=False), timeout
            )
        except asyncio.TimeoutError:
            raise RemoteCommandError(
                f"remote command timed out after {timeout:g}s on {self.key}: {line[:200]}"
            ) from None
        except (asyncssh.Error, OSError) as exc:
            raise SSHConnectError(f"lost the SSH connection to {self.key}: {exc}") from exc
        result = CommandResult(
            stdout=_text(completed.stdout),
            stderr=_text(completed.stderr),
            exit_status=completed.exit_status,
        )
        if check and not result.ok:
            raise RemoteCommandError(
                f"remote command failed with exit status {result.exit_status} on {self.key}: "
                f"{line[:200]}\n{result.stderr.strip()[-2000:]}",
                exit_status=result.exit_status,
                stderr=result.stderr,
            )
        return result

    async def create_process(self, line: str) -> asyncssh.SSHClientProcess[str]:
        """Start a long-lived remote process from an already quoted command line, without a PTY."""
        try:
            return await self._conn.create_process(line, encoding="utf-8", errors="replace")
        except (asyncssh.Error, OSError) as exc:
            raise SSHConnectError(f"cannot start a process on {self.key}: {exc}") from exc

    async def create_byte_process(self, argv: Sequence[str]) -> asyncssh.SSHClientProcess[bytes]:
        """Start ``argv`` remotely (every word quoted) with byte streams, without a PTY."""
        try:
            return await self._conn.create_process(command_line(argv), encoding=None)
        except (asyncssh.Error, OSError) as exc:
            raise SSHConnectError(f"cannot start a process on {self.key}: {exc}") from exc

    async def open_tcp(
        self, host: str, port: int
    ) -> tuple[asyncssh.SSHReader[bytes], asyncssh.SSHWriter[bytes]]:
        """A byte stream to ``host:port`` as seen from the server (a direct-tcpip channel)."""
        return await self._conn.open_connection(host, port)

    async def sftp(self) -> asyncssh.SFTPClient:
        """This connection's SFTP client, started on first use."""
        async with self._sftp_lock:
            if self._sftp is None:
                try:
                    self._sftp = await self._conn.start_sftp_client()
                except (asyncssh.Error, OSError) as exc:
                    raise SSHConnectError(
                        f"cannot start SFTP on {self.key}: {exc}; the server may have no sftp "
                        "subsystem"
                    ) from exc
            return self._sftp

    async def home(self) -> str:
        """The remote user's home folder (what SFTP's ``.`` resolves to)."""
        if self._home is None:
            client = await self.sftp()
            self._home = str(await client.realpath("."))
        return self._home

    def close(self) -> None:
        """Start closing the connection (and its jump host); channels end with it."""
        if self._sftp is not None:
            self._sftp.exit()
        self._conn.close()
        if self._jump is not None:
            self._jump.close()

    async def aclose(self) -> None:
        """Close the connection and wait until it is gone."""
        self.close()
        await self._conn.wait_closed()
        if self._jump is not None:
            await self._jump.aclose()

    def info(self) -> dict[str, Any]:
        """A description for listings; never a secret."""
        return {
            "id": self.key,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "target": self.config.display,
            "connected": not self.closed,
            "jump_host": self.config.jump_host,
        }


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


async def _connect(
    config: SSHConfig, jump: SSHConnection | None
) -> tuple[asyncssh.SSHClientConnection, _RunicornClient]:
    client = _RunicornClient()
    known = kh.load_known_hosts(kh.known_hosts_files(config.user_known_hosts))
    options: dict[str, Any] = {
        "known_hosts": known,
        "client_factory": lambda: client,
        "connect_timeout": config.connect_timeout,
        "login_timeout": max(config.connect_timeout * 2, 30.0),
        "keepalive_interval": config.keepalive_interval,
        "keepalive_count_max": config.keepalive_count_max,
        "encryption_algs": _preferred_ciphers(),
    }
    if config.port is not None:
        options["port"] = config.port
    if config.user:
        options["username"] = config.user
    if config.ssh_config_files is not None:
        options["config"] = [str(Path(p).expanduser()) for p in config.ssh_config_files]
    if config.key_file:
        options["client_keys"] = [str(Path(config.key_file).expanduser())]
    if config.passphrase is not None:
        options["passphrase"] = config.passphrase
    if config.password is not None:
        options["password"] = config.password
    if not config.use_agent:
        options["agent_path"] = None
    if jump is not None:
        options["tunnel"] = jump._conn
    try:
        conn = await asyncssh.connect(config.host, **options)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise _host_key_error(client, known, config, exc.reason) from None
    except asyncssh.PermissionDenied as exc:
        raise SSHAuthenticationError(_auth_failure_message(config, exc.reason)) from None
    except asyncssh.KeyImportError as exc:
        raise SSHAuthenticationError(
            f"cannot use the key file {config.key_file}: {exc}. If it is encrypted, give its "
            "passphrase; check the passphrase if you did."
        ) from None
    except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        raise SSHConnectError(
            f"cannot connect to {config.display}: {reason}. Check the host name and port, and "
            "that an SSH server is running there."
        ) from None
    return conn, client


def _preferred_ciphers() -> list[str]:
    """asyncssh's default ciphers, AES-GCM first: OpenSSL's AES-GCM moves data about 1.6x as
    fast as asyncssh's ChaCha20-Poly1305 (measured for ``runicorn sync``); the server still
    picks among the same set."""
    from asyncssh.encryption import get_default_encryption_algs

    algs = [alg.decode("ascii") for alg in get_default_encryption_algs()]
    return sorted(algs, key=lambda alg: not alg.endswith("-gcm@openssh.com"))


def _auth_failure_message(config: SSHConfig, reason: str) -> str:
    tried = []
    if config.key_file:
        tried.append(f"key {config.key_file}")
    if config.use_agent:
        tried.append("the SSH agent")
    tried.append("default keys (~/.ssh/id_*)")
    if config.password is not None:
        tried.append("the password given")
    hint = (
        "check the password"
        if config.password is not None
        else "give a key file (--key) or a password, or add your key to the server's "
        "authorized_keys"
    )
    return (
        f"authentication failed for {config.display} ({reason}); tried {', '.join(tried)}: {hint}."
    )


class SSHConnectionPool:
    """One live connection per ``user@host:port``, shared by every session and API call.

    Concurrent requests for the same target share one connection attempt. No lock is held while
    connecting: the bookkeeping between awaits runs on one event loop and cannot interleave.
    """

    def __init__(self) -> None:
        self._connections: dict[str, SSHConnection] = {}
        self._pending: dict[str, asyncio.Future[SSHConnection]] = {}

    async def get(self, config: SSHConfig) -> SSHConnection:
        """The live connection for ``config``'s target, opening it when there is none."""
        key = config.key
        existing = self._connections.get(key)
        if existing is not None and not existing.closed:
            return existing
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(SSHConnection.open(config))
            self._pending[key] = pending
            pending.add_done_callback(functools.partial(self._settle, key))
        return await asyncio.shield(pending)

    def _settle(self, key: str, fut: asyncio.Future[SSHConnection]) -> None:
        self._pending.pop(key, None)
        if not fut.cancelled() and fut.exception() is None:
            self._connections[key] = fut.result()

    def find(self, key: str) -> SSHConnection | None:
        """The connection registered under ``key`` (a pool key or a resolved ``user@host:port``)."""
        conn = self._connections.get(key)
        if conn is not None:
            return conn
        return next((c for c in self._connections.values() if c.key == key), None)

    def connections(self) -> list[SSHConnection]:
        """Every connection known to the pool, live or lost."""
        return list(self._connections.values())

    async def drop(self, key: str) -> bool:
        """Close and forget the connection under ``key``; whether there was one."""
        conn = self.find(key)
        if conn is None:
            return False
        await self.discard(conn)
        return True

    async def discard(self, conn: SSHConnection) -> None:
        """Close ``conn`` and forget it, if it is still the one registered (a dead link).

        Taking the object, not the key, keeps two sessions that both saw the same link die from
        closing the fresh connection the first one already opened.
        """
        for k, v in list(self._connections.items()):
            if v is conn:
                del self._connections[k]
        await conn.aclose()

    async def close_all(self) -> None:
        """Close every connection (application shutdown)."""
        conns = list(self._connections.values())
        self._connections.clear()
        await asyncio.gather(*(c.aclose() for c in conns), return_exceptions=True)


def with_password(config: SSHConfig, password: str | None) -> SSHConfig:
    """``config`` with ``password`` set (the CLI asks for it after keys were refused)."""
    return replace(config, password=password)
