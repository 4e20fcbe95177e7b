"""Fixtures for the remote-viewing tests: a real sshd (see tests/fixtures/sshd.py) and configs.

The "remote" host is this machine, so the remote Python is this venv's. Every test gets its own
Runicorn config folder (its known_hosts and saved credentials) and never reads the real ``~/.ssh``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sshd import SSHD, SSHD_MISSING_REASON, SshdServer, free_port, running_sshd

from runicorn.remote.connection import SSHConfig
from runicorn.remote.known_hosts import accept_host_key

__all__ = ["SshdServer"]


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    if not SSHD.exists():
        pytest.skip(SSHD_MISSING_REASON)
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


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
