"""Runicorn's known_hosts: explicit acceptance only, OpenSSH format, private file."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from runicorn.remote import known_hosts as kh


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNICORN_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def new_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


def test_known_hosts_file_lives_beside_the_config(config_dir: Path) -> None:
    assert kh.runicorn_known_hosts_path() == config_dir / "known_hosts"
    files = kh.known_hosts_files("/x/known")
    assert files == [Path("/x/known"), config_dir / "known_hosts"]


def test_host_pattern_is_openssh_style() -> None:
    assert kh.host_pattern("gpu01", 22) == "gpu01"
    assert kh.host_pattern("gpu01", 2222) == "[gpu01]:2222"


def test_fingerprint_is_sha256_like_ssh_prints() -> None:
    key = new_key()
    assert kh.fingerprint(key).startswith("SHA256:")
    assert kh.fingerprint(key) == key.get_fingerprint("sha256")


def test_accept_writes_a_private_openssh_line_once(config_dir: Path) -> None:
    key = new_key()
    path = kh.accept_host_key("gpu01", 2222, key)
    assert path.stat().st_mode & 0o777 == 0o600
    kh.accept_host_key("gpu01", 2222, kh.public_key_line(key))
    lines = path.read_text().splitlines()
    assert lines == [f"[gpu01]:2222 {kh.public_key_line(key)}"]
    known = kh.load_known_hosts([path])
    assert kh.trusted_keys(known, "gpu01", "", 2222) == [key]
    assert kh.trusted_keys(known, "gpu02", "", 2222) == []


def test_forget_host_removes_only_that_host(config_dir: Path) -> None:
    kh.accept_host_key("gpu01", 22, new_key())
    kh.accept_host_key("gpu02", 22, new_key())
    assert kh.forget_host("gpu01", 22) == 1
    assert kh.forget_host("gpu01", 22) == 0
    text = kh.runicorn_known_hosts_path().read_text()
    assert "gpu01" not in text and text.startswith("gpu02 ")


def test_unreadable_or_malformed_lines_do_not_hide_good_ones(tmp_path: Path) -> None:
    key = new_key()
    good = tmp_path / "good"
    good.write_text(
        "# comment\n"
        "this is not a known_hosts line\n"
        f"gpu01 {kh.public_key_line(key)}\n"
        "gpu03 ssh-ed25519 AAAAnotbase64!!\n"
    )
    known = kh.load_known_hosts([tmp_path / "missing", good])
    assert kh.trusted_keys(known, "gpu01", "10.0.0.1", 22) == [key]


def test_hashed_entries_from_openssh_are_understood(tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac
    import os

    key = new_key()
    salt = os.urandom(20)
    digest = hmac.new(salt, b"[gpu01]:2222", hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    path = tmp_path / "known_hosts"
    path.write_text(f"{hashed} {kh.public_key_line(key)}\n")
    known = kh.load_known_hosts([path])
    assert kh.trusted_keys(known, "gpu01", "", 2222) == [key]
