"""SSH connections against a real sshd: host keys, authentication, commands, the pool."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh
import pytest

from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool
from runicorn.remote.errors import (
    HostKeyChangedError,
    SSHAuthenticationError,
    SSHConnectError,
    UnknownHostKeyError,
)
from runicorn.remote.known_hosts import (
    accept_host_key,
    fingerprint,
    runicorn_known_hosts_path,
)

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote


async def test_connects_with_a_key_and_runs_a_command(ssh_config: SSHConfig) -> None:
    conn = await SSHConnection.open(ssh_config)
    try:
        result = await conn.run(["echo", "hello world"])
        assert result.ok
        assert result.stdout == "hello world\n"
        failed = await conn.run(["sh", "-c", "echo oops >&2; exit 3"])
        assert failed.exit_status == 3
        assert failed.stderr == "oops\n"
    finally:
        await conn.aclose()
    assert conn.closed


async def test_unknown_host_key_is_refused_with_its_fingerprint_then_accepted(
    sshd_server: SshdServer, untrusted_config: SSHConfig
) -> None:
    with pytest.raises(UnknownHostKeyError) as caught:
        await SSHConnection.open(untrusted_config)
    error = caught.value
    expected = fingerprint(sshd_server.host_public_key)
    assert error.fingerprint == expected
    assert error.fingerprint.startswith("SHA256:")
    assert error.key_type == "ssh-ed25519"
    assert (error.host, error.port) == ("127.0.0.1", sshd_server.port)
    assert expected in str(error)
    assert not runicorn_known_hosts_path().exists(), "an unknown key must never be auto-accepted"

    written = accept_host_key(error.host, error.port, error.public_key)
    assert written == runicorn_known_hosts_path()
    assert written.stat().st_mode & 0o777 == 0o600
    assert f"[127.0.0.1]:{sshd_server.port} ssh-ed25519 " in written.read_text()

    conn = await SSHConnection.open(untrusted_config)
    await conn.aclose()


async def test_key_in_the_users_known_hosts_is_trusted(
    sshd_server: SshdServer, untrusted_config: SSHConfig
) -> None:
    assert untrusted_config.user_known_hosts
    Path(untrusted_config.user_known_hosts).write_text(
        f"[127.0.0.1]:{sshd_server.port} {sshd_server.host_public_key.export_public_key().decode()}"
    )
    conn = await SSHConnection.open(untrusted_config)
    await conn.aclose()
    assert not runicorn_known_hosts_path().exists()


async def test_changed_host_key_is_refused(
    sshd_server: SshdServer, untrusted_config: SSHConfig
) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    accept_host_key(sshd_server.host, sshd_server.port, impostor)
    with pytest.raises(HostKeyChangedError) as caught:
        await SSHConnection.open(untrusted_config)
    message = str(caught.value)
    assert "host key changed" in message
    assert "man-in-the-middle" in message
    assert caught.value.fingerprint == fingerprint(sshd_server.host_public_key)


async def test_wrong_password_is_a_clear_authentication_error(
    sshd_server: SshdServer, ssh_options: dict[str, Any]
) -> None:
    if sshd_server.password_user is None:
        pytest.skip("needs root to create a local user with a password (useradd/chpasswd)")
    accept_host_key(sshd_server.host, sshd_server.port, sshd_server.host_public_key)
    config = SSHConfig(
        host=sshd_server.host,
        port=sshd_server.port,
        user=sshd_server.password_user,
        password="definitely-not-the-password",
        **ssh_options,
    )
    with pytest.raises(SSHAuthenticationError) as caught:
        await SSHConnection.open(config)
    assert "authentication failed" in str(caught.value)
    assert "check the password" in str(caught.value)
    assert "definitely-not-the-password" not in str(caught.value)

    good = dataclasses.replace(config, password=sshd_server.password)
    conn = await SSHConnection.open(good)
    try:
        assert (await conn.run(["id", "-un"])).stdout.strip() == sshd_server.password_user
    finally:
        await conn.aclose()


async def test_refused_key_is_a_clear_authentication_error(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(stranger))
    with pytest.raises(SSHAuthenticationError, match="authentication failed"):
        await SSHConnection.open(dataclasses.replace(ssh_config, key_file=str(stranger)))


async def test_nothing_listening_is_a_connect_error(
    ssh_options: dict[str, Any], unused_port: int
) -> None:
    config = SSHConfig(host="127.0.0.1", port=unused_port, user="nobody", **ssh_options)
    with pytest.raises(SSHConnectError, match="cannot connect"):
        await SSHConnection.open(config)


async def test_ssh_config_alias_is_resolved(
    sshd_server: SshdServer, ssh_config: SSHConfig, tmp_path: Path
) -> None:
    config_file = tmp_path / "ssh_config"
    config_file.write_text(
        "Host gpu-box\n"
        f"  HostName {sshd_server.host}\n"
        f"  Port {sshd_server.port}\n"
        f"  User {sshd_server.user}\n"
        f"  IdentityFile {sshd_server.client_key_path}\n"
    )
    alias = SSHConfig(
        host="gpu-box",
        ssh_config_files=(str(config_file),),
        user_known_hosts=ssh_config.user_known_hosts,
        use_agent=False,
    )
    conn = await SSHConnection.open(alias)
    try:
        assert (conn.host, conn.port, conn.user) == (
            sshd_server.host,
            sshd_server.port,
            sshd_server.user,
        )
    finally:
        await conn.aclose()


async def test_jump_host_is_verified_and_used(
    ssh_config: SSHConfig, sshd_server: SshdServer
) -> None:
    jumped = dataclasses.replace(
        ssh_config, jump_host=f"{sshd_server.user}@{sshd_server.host}:{sshd_server.port}"
    )
    conn = await SSHConnection.open(jumped)
    try:
        assert (await conn.run(["true"])).ok
    finally:
        await conn.aclose()


async def test_pool_shares_one_connection_per_target(ssh_config: SSHConfig) -> None:
    pool = SSHConnectionPool()
    try:
        first, second = await asyncio.gather(pool.get(ssh_config), pool.get(ssh_config))
        assert first is second
        assert await pool.get(ssh_config) is first
        await first.aclose()
        third = await pool.get(ssh_config)
        assert third is not first
    finally:
        await pool.close_all()
