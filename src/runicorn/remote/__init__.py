"""Remote viewing: see the runs on an SSH host live, without copying them.

SSH connection → the standard viewer started on the remote loopback with a random token →
a local loopback port forwarded to it → the browser opens ``http://127.0.0.1:<port>/``.

    from runicorn.remote import SSHConfig, ViewerSession

    async with ViewerSession(SSHConfig.from_target("alice@gpu01"), python="python3") as s:
        print(s.url)

The terminal entry points are :func:`run_remote_cli` and :func:`list_remote_runs`.
"""

from runicorn.remote.cli import format_runs_table, list_remote_runs, run_remote_cli
from runicorn.remote.connection import CommandResult, SSHConfig, SSHConnection, SSHConnectionPool
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
    UnknownHostKeyError,
)
from runicorn.remote.known_hosts import accept_host_key, forget_host
from runicorn.remote.service import RemoteService
from runicorn.remote.viewer import (
    PythonEnvironment,
    RemoteViewerManager,
    RemoteViewerProcess,
    SessionState,
    SSHTunnel,
    ViewerSession,
)

__all__ = [
    "CommandResult",
    "HostKeyChangedError",
    "HostKeyError",
    "PythonEnvironment",
    "RemoteCommandError",
    "RemoteError",
    "RemotePathError",
    "RemoteService",
    "RemoteSessionNotFoundError",
    "RemoteViewerError",
    "RemoteViewerManager",
    "RemoteViewerProcess",
    "SSHAuthenticationError",
    "SSHConfig",
    "SSHConnectError",
    "SSHConnection",
    "SSHConnectionPool",
    "SSHTunnel",
    "SessionState",
    "TunnelError",
    "UnknownHostKeyError",
    "ViewerSession",
    "accept_host_key",
    "forget_host",
    "format_runs_table",
    "list_remote_runs",
    "run_remote_cli",
]
