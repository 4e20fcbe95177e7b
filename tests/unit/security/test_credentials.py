"""Saved connections: secrets encrypted at rest, key in the keyring or a 0600 key file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from runicorn.security.credentials import (
    KEY_FILE_NAME,
    STORE_FILE_NAME,
    CredentialError,
    CredentialStore,
)

PASSWORD = "hunter2-Password!"
PASSPHRASE = "correct horse battery staple"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that works, for the path this machine (no keyring) cannot take."""

    # Below the "fail" backend's 0, so keyring never picks this class on its own.
    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("RUNICORN_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a headless server, whatever this machine has."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def every_file_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def save_example(store: CredentialStore) -> str:
    saved = store.save(
        name="gpu box",
        host="gpu01.example.org",
        port=2222,
        user="alice",
        key_file="~/.ssh/id_ed25519",
        password=PASSWORD,
        passphrase=PASSPHRASE,
    )
    return saved.id


def test_without_a_keyring_the_key_goes_to_a_0600_file_and_no_secret_is_in_plaintext(
    config_dir: Path, no_keyring: None
) -> None:
    store = CredentialStore()
    cid = save_example(store)

    key_file = config_dir / KEY_FILE_NAME
    assert key_file.exists(), "no keyring backend here: the key must fall back to a file"
    assert key_file.stat().st_mode & 0o777 == 0o600
    store_file = config_dir / STORE_FILE_NAME
    assert store_file.stat().st_mode & 0o777 == 0o600

    on_disk = every_file_bytes(config_dir)
    assert PASSWORD.encode() not in on_disk
    assert PASSPHRASE.encode() not in on_disk
    assert b"hunter2" not in on_disk and b"horse" not in on_disk

    secrets = CredentialStore().secrets(cid)
    assert (secrets.password, secrets.passphrase) == (PASSWORD, PASSPHRASE)
    assert PASSWORD not in repr(secrets)


def test_listings_never_carry_a_secret(config_dir: Path) -> None:
    store = CredentialStore()
    cid = save_example(store)
    listed = [c.to_dict() for c in store.list_connections()]
    assert listed[0]["id"] == cid
    assert listed[0]["has_password"] is True and listed[0]["has_passphrase"] is True
    text = json.dumps(listed)
    assert PASSWORD not in text and PASSPHRASE not in text
    assert "encrypted" not in text


def test_with_a_keyring_the_key_stays_out_of_the_config_folder(
    config_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore()
    cid = save_example(store)
    assert not (config_dir / KEY_FILE_NAME).exists()
    assert memory_keyring.values, "the key must be stored in the keyring"
    assert PASSWORD.encode() not in every_file_bytes(config_dir)
    assert CredentialStore().secrets(cid).password == PASSWORD


def test_an_existing_key_file_wins_over_a_keyring_that_appears_later(
    config_dir: Path, no_keyring: None
) -> None:
    cid = save_example(CredentialStore())
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    assert CredentialStore().secrets(cid).password == PASSWORD
    assert backend.values == {}


def test_update_keeps_or_forgets_secrets(config_dir: Path) -> None:
    store = CredentialStore()
    cid = save_example(store)
    store.save(connection_id=cid, name="renamed", host="gpu01.example.org", user="alice")
    assert store.get(cid).name == "renamed"
    assert store.secrets(cid).password == PASSWORD
    store.save(connection_id=cid, name="renamed", host="gpu01.example.org", keep_secrets=False)
    assert store.secrets(cid).password is None
    assert store.get(cid).has_password is False


def test_delete_forgets_the_connection(config_dir: Path) -> None:
    store = CredentialStore()
    cid = save_example(store)
    assert store.delete(cid) is True
    assert store.delete(cid) is False
    assert store.list_connections() == []
    with pytest.raises(CredentialError, match="no saved connection"):
        store.secrets(cid)
    assert PASSWORD.encode() not in every_file_bytes(config_dir)


def test_a_lost_key_is_a_clear_error_not_garbage(config_dir: Path, no_keyring: None) -> None:
    cid = save_example(CredentialStore())
    (config_dir / KEY_FILE_NAME).unlink()
    with pytest.raises(CredentialError, match="cannot be decrypted"):
        CredentialStore().secrets(cid)


def test_a_loosened_key_file_is_tightened(config_dir: Path, no_keyring: None) -> None:
    cid = save_example(CredentialStore())
    key_file = config_dir / KEY_FILE_NAME
    os.chmod(key_file, 0o644)
    assert CredentialStore().secrets(cid).password == PASSWORD
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_corrupt_store_is_reported(config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / STORE_FILE_NAME).write_text("{not json")
    with pytest.raises(CredentialError, match="corrupt"):
        CredentialStore().list_connections()
