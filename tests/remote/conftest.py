"""A real OpenSSH server on 127.0.0.1 for the remote-viewing tests.

The server runs ``/usr/sbin/sshd -D -e -f CONFIG`` from a temp folder with its own host key,
authorized key and a free port, and is stopped by its pid. The "remote" host is this machine, so
the remote Python is this venv's. Every test gets its own Runicorn config folder (its known_hosts
and saved credentials) and never reads the real ``~/.ssh``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import psutil
import pytest

from runicorn.remote.connection import SSHConfig
from runicorn.remote.known_hosts import accept_host_key

SSHD = Path("/usr/sbin/sshd")
PASSWORD_USER_PREFIX = "rntest-"
REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = str(Path(sys.executable))
VENV_PREFIX = Path(sys.prefix)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STANDIN_VIEWER = Path(__file__).resolve().parent / "standin_viewer.py"

FIXTURES = REPO / "tests" / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
fake_nvidia_smi = importlib.import_module("fake_nvidia_smi")

SSHD_MISSING_REASON = (
    "OpenSSH server not installed (/usr/sbin/sshd missing): apt-get install openssh-server"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SshdServer:
    """A running sshd and the credentials that open it."""

    host: str
    port: int
    folder: Path
    host_key_path: Path
    client_key_path: Path
    user: str
    proc: subprocess.Popen[bytes]
    password_user: str | None = None
    password: str | None = None
    log_path: Path = field(default_factory=Path)

    @property
    def host_public_key(self) -> asyncssh.SSHKey:
        return asyncssh.read_public_key(str(self.host_key_path) + ".pub")

    def session_processes(self) -> list[psutil.Process]:
        """The per-connection sshd processes (children of the listener)."""
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def drop_connections(self) -> int:
        """Kill the sshd processes serving connections, as a dropped link would end them.

        Only sshd processes are killed: programs started over SSH must notice on their own.
        """
        killed = 0
        for proc in self.session_processes():
            with contextlib.suppress(psutil.Error):
                if proc.name() == "sshd":
                    proc.send_signal(signal.SIGKILL)
                    killed += 1
        return killed

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _write_key_pair(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    key.write_public_key(str(path) + ".pub")
    path.chmod(0o600)
    return key


def _write_fake_tools(bin_dir: Path) -> None:
    """A recorded ``nvidia-smi`` and a ``conda`` whose only environment is this venv.

    They are put first on the PATH of every SSH session, so remote status shows two GPUs and
    environment discovery finds a conda environment with Runicorn, on a machine with neither.
    """
    fake_nvidia_smi.write_fake_nvidia_smi(bin_dir)
    conda = bin_dir / "conda"
    conda.write_text(
        f"#!{VENV_PYTHON}\n"
        "import json, sys\n"
        "if sys.argv[1:] != ['env', 'list', '--json']:\n"
        "    sys.exit(2)\n"
        f"print(json.dumps({{'envs': [{str(VENV_PREFIX)!r}]}}))\n"
    )
    conda.chmod(0o755)


def _create_password_user(password: str) -> str | None:
    """A throwaway local user with ``password`` (one per test session); None when not root.

    The name is unique per session so that two test runs never reset each other's password.
    """
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("chpasswd"):
        return None
    name = f"{PASSWORD_USER_PREFIX}{secrets.token_hex(3)}"
    made = subprocess.run(
        ["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", name],
        capture_output=True,
    )
    if made.returncode != 0:
        return None
    done = subprocess.run(["chpasswd"], input=f"{name}:{password}\n".encode(), capture_output=True)
    if done.returncode != 0:
        _delete_user(name)
        return None
    return name


def _delete_user(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True)


def _wait_for_banner(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer on port {port}:\n{log.read_text()}")


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    if not SSHD.exists():
        pytest.skip(SSHD_MISSING_REASON)
    folder = tmp_path_factory.mktemp("sshd")
    folder.chmod(0o755)
    host_key = folder / "ssh_host_ed25519_key"
    client_key = folder / "id_ed25519"
    _write_key_pair(host_key)
    _write_key_pair(client_key)
    authorized = folder / "authorized_keys"
    authorized.write_text((folder / "id_ed25519.pub").read_text())
    authorized.chmod(0o644)
    fake_bin = folder / "bin"
    _write_fake_tools(fake_bin)
    password = secrets.token_urlsafe(12)
    password_user = _create_password_user(password)
    port = free_port()
    user = psutil.Process().username()
    config = folder / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {folder / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                "AllowTcpForwarding yes",
                "MaxSessions 64",
                "MaxStartups 64:30:128",
                "LogLevel VERBOSE",
                "Subsystem sftp internal-sftp",
                f"SetEnv PATH={fake_bin}:{SYSTEM_PATH}",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    log_path = folder / "sshd.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_banner(port, proc, log_path)
        yield SshdServer(
            host="127.0.0.1",
            port=port,
            folder=folder,
            host_key_path=host_key,
            client_key_path=client_key,
            user=user,
            proc=proc,
            password_user=password_user,
            password=password if password_user else None,
            log_path=log_path,
        )
    finally:
        for child in SshdServer(
            "", 0, folder, host_key, client_key, user, proc
        ).session_processes():
            with contextlib.suppress(psutil.Error):
                child.kill()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if password_user:
            _delete_user(password_user)


@pytest.fixture
def runicorn_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private Runicorn config folder (known_hosts, credentials) for one test."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("RUNICORN_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def ssh_options(tmp_path: Path, runicorn_config_dir: Path) -> dict[str, Any]:
    """SSHConfig options that keep a test away from the real ~/.ssh and SSH agent."""
    user_known_hosts = tmp_path / "user_known_hosts"
    user_known_hosts.touch()
    return {
        "ssh_config_files": (),
        "user_known_hosts": str(user_known_hosts),
        "use_agent": False,
        "connect_timeout": 10.0,
    }


@pytest.fixture
def untrusted_config(sshd_server: SshdServer, ssh_options: dict[str, Any]) -> SSHConfig:
    """A key-authenticated config whose host key is not trusted yet."""
    return SSHConfig(
        host=sshd_server.host,
        port=sshd_server.port,
        user=sshd_server.user,
        key_file=str(sshd_server.client_key_path),
        **ssh_options,
    )


@pytest.fixture
def ssh_config(sshd_server: SshdServer, untrusted_config: SSHConfig) -> SSHConfig:
    """A key-authenticated config whose host key the user has accepted."""
    accept_host_key(sshd_server.host, sshd_server.port, sshd_server.host_public_key)
    return untrusted_config


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (just now)."""
    return free_port()
