"""Errors of remote viewing: each one says what went wrong over SSH and what the user can do.

They all derive from :class:`runicorn.errors.RunicornError` through :class:`RemoteError`, so the
viewer and the CLI can catch the whole family in one place.
"""

from __future__ import annotations

from runicorn.errors import RunicornError


class RemoteError(RunicornError):
    """Base class of every remote-viewing error."""


class SSHConnectError(RemoteError, ConnectionError):
    """The SSH server cannot be reached, or the connection was lost."""


class HostKeyError(RemoteError):
    """The server's host key is not trusted; nothing was sent to it beyond the key exchange.

    ``fingerprint`` is the key's ``SHA256:...`` fingerprint, the form ``ssh`` prints.
    """

    def __init__(
        self,
        message: str,
        *,
        host: str,
        port: int,
        key_type: str,
        fingerprint: str,
        public_key: str,
    ) -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.public_key = public_key

    def to_dict(self) -> dict[str, object]:
        """The fields a user needs to decide, for the API's 409 body."""
        return {
            "detail": str(self),
            "host": self.host,
            "port": self.port,
            "key_type": self.key_type,
            "fingerprint": self.fingerprint,
        }


class UnknownHostKeyError(HostKeyError):
    """The server is not in any known_hosts file: the user must check and accept its key."""


class HostKeyChangedError(HostKeyError):
    """The server presents a different key than the one recorded: refused, never accepted here."""


class SSHAuthenticationError(RemoteError, PermissionError):
    """The server refused every credential offered (key, agent, password)."""


class RemoteCommandError(RemoteError):
    """A command on the remote host failed; the message carries its exit status and stderr."""

    def __init__(self, message: str, *, exit_status: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.stderr = stderr


class RemotePathError(RemoteError, FileNotFoundError):
    """A remote path does not exist or cannot be read."""


class RemoteViewerError(RemoteError):
    """The remote viewer could not be started or stopped; the message carries its stderr."""


class RemoteSessionNotFoundError(RemoteError, LookupError):
    """No open connection or viewer session has this id."""


class TunnelError(RemoteError):
    """The local end of the tunnel cannot listen, or the server refuses port forwarding."""
