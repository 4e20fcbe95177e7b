"""Which SSH host keys Runicorn trusts, and how a user accepts a new one.

Trust comes from two OpenSSH-format files read together: the user's own ``~/.ssh/known_hosts``
(so a server already trusted by ``ssh`` just works) and Runicorn's file beside its config
(``<config dir>/known_hosts``), the only one Runicorn ever writes, and only when the user
explicitly accepts a key they were shown. Nothing here accepts a key on its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import asyncssh

from runicorn.config import config_file_path

DEFAULT_SSH_PORT = 22
KNOWN_HOSTS_FILE_NAME = "known_hosts"


def runicorn_known_hosts_path() -> Path:
    """Runicorn's own known_hosts file, beside the user config file."""
    return config_file_path().parent / KNOWN_HOSTS_FILE_NAME


def user_known_hosts_path() -> Path:
    """The user's OpenSSH known_hosts file."""
    return Path.home() / ".ssh" / "known_hosts"


def known_hosts_files(user_file: str | os.PathLike[str] | None = None) -> list[Path]:
    """The files trusted keys are read from: the user's (or ``user_file``), then Runicorn's."""
    first = Path(user_file).expanduser() if user_file else user_known_hosts_path()
    return [first, runicorn_known_hosts_path()]


def load_known_hosts(files: Sequence[Path]) -> asyncssh.SSHKnownHosts:
    """All entries of the readable ``files``; a missing or unreadable file adds nothing.

    A malformed line in one file would make asyncssh reject the whole file, so files are read
    line by line and bad lines are dropped, as OpenSSH does.
    """
    lines: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                asyncssh.import_known_hosts(stripped + "\n")
            except (ValueError, asyncssh.KeyImportError):
                continue
            lines.append(stripped)
    return asyncssh.import_known_hosts("\n".join(lines) + "\n" if lines else "")


def host_pattern(host: str, port: int) -> str:
    """The known_hosts name for ``host``/``port``: ``host`` on port 22, else ``[host]:port``."""
    return host if port == DEFAULT_SSH_PORT else f"[{host}]:{port}"


def fingerprint(key: asyncssh.SSHKey) -> str:
    """The key's fingerprint as ``ssh`` shows it: ``SHA256:<base64>``."""
    return key.get_fingerprint("sha256")


def public_key_line(key: asyncssh.SSHKey) -> str:
    """The key as one OpenSSH public-key line (``ssh-ed25519 AAAA...``), without a comment."""
    return key.export_public_key("openssh").decode("ascii").strip()


def trusted_keys(
    known: asyncssh.SSHKnownHosts, host: str, addr: str, port: int
) -> list[asyncssh.SSHKey]:
    """The keys ``known`` trusts for this host (by name or address, port-qualified first)."""
    lookup_port = None if port == DEFAULT_SSH_PORT else port
    trusted = asyncssh.match_known_hosts(known, host, addr, lookup_port)[0]
    return list(trusted)


def accept_host_key(
    host: str, port: int, key: asyncssh.SSHKey | str, *, path: Path | None = None
) -> Path:
    """Trust ``key`` for ``host``/``port`` from now on by writing it to Runicorn's known_hosts.

    Call this only after the user has seen the fingerprint and said yes. An entry that is already
    there is not written twice. Returns the file written.
    """
    ssh_key = asyncssh.import_public_key(key) if isinstance(key, str) else key
    target = path or runicorn_known_hosts_path()
    pattern = host_pattern(host, port)
    entry = f"{pattern} {public_key_line(ssh_key)}"
    existing = load_known_hosts([target])
    if any(k == ssh_key for k in trusted_keys(existing, host, "", port)):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(entry + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return target


def forget_host(host: str, port: int, *, path: Path | None = None) -> int:
    """Remove every entry for ``host``/``port`` from Runicorn's known_hosts; returns how many.

    This is the ``ssh-keygen -R`` of Runicorn's file, for a server whose key changed on purpose
    (reinstalled). The user's ``~/.ssh/known_hosts`` is never touched.
    """
    target = path or runicorn_known_hosts_path()
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0
    pattern = host_pattern(host, port)
    kept = [line for line in lines if line.split(" ", 1)[0] != pattern]
    removed = len(lines) - len(kept)
    if removed:
        tmp = target.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in kept))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    return removed
