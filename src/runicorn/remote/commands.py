"""Building remote command lines without ever pasting user input into a shell string.

An SSH server runs every command through the user's login shell, so a command is a single
string. Every argument that comes from a user (a path, an interpreter, a root folder) goes
through :func:`shlex.quote` here; scripts that need such values get them as positional
parameters (``"$1"``), never by string formatting. A path like ``a'b $(rm -rf ~)`` stays literal.
"""

from __future__ import annotations

import hashlib
import secrets
import shlex
from collections.abc import Sequence

# The line a viewer prints once listening (``<prefix>{json}``), which launchers wait for.
VIEWER_READY_PREFIX = "RUNICORN_VIEWER_READY "
REMOTE_PID_PREFIX = "RUNICORN_REMOTE_PID "
VIEWER_MODULE = ("-m", "runicorn.viewer")


def command_line(argv: Sequence[str]) -> str:
    """``argv`` as one POSIX shell command line, every word quoted."""
    if not argv:
        raise ValueError("a remote command needs at least one word")
    return shlex.join(argv)


def sh_script(script: str, args: Sequence[str] = ()) -> str:
    """A command line running the fixed ``script`` with ``sh``; ``args`` become ``$1``, ``$2``...

    ``script`` must be a constant of this package: user input goes into ``args`` only. Running
    through ``sh`` also keeps the script POSIX even when the login shell is fish or tcsh.
    """
    return command_line(["sh", "-c", script, "sh", *args])


def expand_home(path: str, home: str) -> str:
    """``~`` or ``~/x`` made absolute with the remote ``home`` (quoted words are not expanded)."""
    if path == "~":
        return home
    if path.startswith("~/"):
        return home.rstrip("/") + "/" + path[2:]
    return path


def viewer_argv(
    python: str,
    *,
    token: str,
    root: str | None,
    idle_timeout: float,
    port: int = 0,
) -> list[str]:
    """The argv of the remote viewer, per its launch contract (loopback only, dies with stdin).

    ``-m runicorn.viewer`` takes the same options as ``runicorn viewer`` without importing the
    CLI, so a remote start costs less.
    """
    # ``--name=value``: a value starting with "-" (a folder) must not read as an option. The
    # token itself goes through stdin: a command line is readable by every user of the host.
    argv = [python, *VIEWER_MODULE, "--host=127.0.0.1", f"--port={port}"]
    if root:
        argv.append(f"--root={root}")
    argv += [
        "--token-stdin",
        f"--label={viewer_label(token)}",
        f"--idle-timeout={idle_timeout:g}",
        "--exit-on-stdin-eof",
    ]
    return argv


def viewer_label(token: str) -> str:
    """A public name for the viewer holding ``token``, shown in its command line.

    It lets ``ps`` find our viewer (and not a process that recycled its pid) without
    revealing the token: a hash cannot be turned back into it.
    """
    return "rv-" + hashlib.sha256(token.encode()).hexdigest()[:20]


def new_token() -> str:
    """A random viewer token (32 URL-safe characters) that never starts with "-"."""
    while True:
        token = secrets.token_urlsafe(24)
        if token[0] != "-":
            return token


def with_pid_announcement(argv: Sequence[str]) -> str:
    """A command line that prints ``RUNICORN_REMOTE_PID <pid>`` and then ``exec``s ``argv``.

    ``exec`` keeps the pid, so the printed pid is the program's own: it lets a session check
    and, as a last resort, kill the remote process after its channel is gone.
    """
    script = f'echo "{REMOTE_PID_PREFIX}$$"; exec "$@"'
    return sh_script(script, list(argv))
