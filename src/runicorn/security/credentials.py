"""Saved SSH connections, with the secrets the user asked to remember encrypted at rest.

Connections live in ``<config dir>/remote_connections.json`` (mode 0600). Passwords and key
passphrases in it are Fernet tokens (AES-128-CBC + HMAC-SHA256, from ``cryptography``); the
Fernet key lives in the OS keyring (``keyring``) when there is one, and otherwise in
``<config dir>/credentials.key``, created with mode 0600 (headless servers and containers
have no keyring). Nothing in this module ever returns a secret in a listing: only
:meth:`CredentialStore.secrets` decrypts, for the code that opens the connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from runicorn.config import config_file_path
from runicorn.errors import RunicornError

KEYRING_SERVICE = "runicorn"
KEYRING_KEY_NAME = "credentials-encryption-key"
STORE_FILE_NAME = "remote_connections.json"
KEY_FILE_NAME = "credentials.key"
_FILE_MODE = 0o600


class CredentialError(RunicornError):
    """Saved connections cannot be read, decrypted or written; the message says what to do."""


@dataclass(frozen=True)
class ConnectionSecrets:
    """The decrypted secrets of one saved connection; never serialize this."""

    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SavedConnection:
    """A connection the user saved: where to go and how, and which secrets are remembered."""

    id: str
    name: str
    host: str
    port: int | None = None
    user: str | None = None
    key_file: str | None = None
    jump_host: str | None = None
    use_agent: bool = True
    python: str | None = None
    root: str | None = None
    has_password: bool = False
    has_passphrase: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The API shape: no secret, only ``has_password``/``has_passphrase`` flags."""
        return asdict(self)


KeyProvider = Callable[[], bytes]
"""Returns the Fernet key, creating and storing it the first time."""


def default_key_provider(config_dir: Path | None = None) -> KeyProvider:
    """The key from the OS keyring, or from a 0600 key file when there is no usable keyring.

    A key file that already exists wins: it means secrets were encrypted with it before, and a
    keyring that appears later (a desktop session) must not orphan them.
    """

    def provide() -> bytes:
        folder = config_dir or config_file_path().parent
        key_file = folder / KEY_FILE_NAME
        if key_file.exists():
            return _read_key_file(key_file)
        stored = _keyring_get()
        if stored:
            return stored.encode("ascii")
        key = Fernet.generate_key()
        if _keyring_set(key.decode("ascii")):
            return key
        return _create_key_file(key_file, key)

    return provide


def _keyring_get() -> str | None:
    try:
        import keyring
        import keyring.errors

        try:
            return keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME)
        except keyring.errors.KeyringError:
            return None
    except Exception:
        return None


def _keyring_set(value: str) -> bool:
    try:
        import keyring
        import keyring.errors

        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_KEY_NAME, value)
        except keyring.errors.KeyringError:
            return False
        return keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME) == value
    except Exception:
        return False


def _read_key_file(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise CredentialError(f"cannot read the credentials key {path}: {exc}") from exc
    if path.stat().st_mode & 0o077:
        # Tighten a key file someone loosened; the secrets are only as private as this file.
        with contextlib.suppress(OSError):
            path.chmod(_FILE_MODE)
    return key


def _create_key_file(path: Path, key: bytes) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    except FileExistsError:
        return _read_key_file(path)
    except OSError as exc:
        raise CredentialError(f"cannot create the credentials key {path}: {exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


class CredentialStore:
    """Saved connections in one JSON file; secrets encrypted with a key kept elsewhere."""

    def __init__(self, path: Path | None = None, key_provider: KeyProvider | None = None) -> None:
        self.path = path or config_file_path().parent / STORE_FILE_NAME
        self._key_provider = key_provider or default_key_provider(self.path.parent)
        self._fernet: Fernet | None = None

    def list_connections(self) -> list[SavedConnection]:
        """Every saved connection, by name; no secrets."""
        return sorted(
            (self._public(entry) for entry in self._load().values()), key=lambda c: c.name
        )

    def get(self, connection_id: str) -> SavedConnection:
        """One saved connection; :class:`CredentialError` if there is none with this id."""
        entry = self._load().get(connection_id)
        if entry is None:
            raise CredentialError(f"no saved connection {connection_id!r}")
        return self._public(entry)

    def save(
        self,
        *,
        name: str,
        host: str,
        port: int | None = None,
        user: str | None = None,
        key_file: str | None = None,
        jump_host: str | None = None,
        use_agent: bool = True,
        python: str | None = None,
        root: str | None = None,
        password: str | None = None,
        passphrase: str | None = None,
        connection_id: str | None = None,
        keep_secrets: bool = True,
    ) -> SavedConnection:
        """Create or update a saved connection; secrets given are encrypted before writing.

        Updating without a new ``password``/``passphrase`` keeps the stored one when
        ``keep_secrets``; pass ``keep_secrets=False`` to forget them.
        """
        entries = self._load()
        now = time.time()
        cid = connection_id or secrets.token_hex(8)
        previous = entries.get(cid, {})
        entry: dict[str, Any] = {
            "id": cid,
            "name": name or f"{user + '@' if user else ''}{host}",
            "host": host,
            "port": port,
            "user": user,
            "key_file": key_file,
            "jump_host": jump_host,
            "use_agent": use_agent,
            "python": python,
            "root": root,
            "created_at": previous.get("created_at", now),
            "updated_at": now,
        }
        for secret_name, value in (("password", password), ("passphrase", passphrase)):
            field_name = f"{secret_name}_encrypted"
            if value is not None:
                entry[field_name] = self._encrypt(value)
            elif keep_secrets and previous.get(field_name):
                entry[field_name] = previous[field_name]
        entries[cid] = entry
        self._store(entries)
        return self._public(entry)

    def delete(self, connection_id: str) -> bool:
        """Forget a saved connection and its secrets; whether it existed."""
        entries = self._load()
        if entries.pop(connection_id, None) is None:
            return False
        self._store(entries)
        return True

    def secrets(self, connection_id: str) -> ConnectionSecrets:
        """The decrypted secrets of a saved connection, to open it; never send them anywhere."""
        entry = self._load().get(connection_id)
        if entry is None:
            raise CredentialError(f"no saved connection {connection_id!r}")
        return ConnectionSecrets(
            password=self._decrypt(entry.get("password_encrypted")),
            passphrase=self._decrypt(entry.get("passphrase_encrypted")),
        )

    def _public(self, entry: dict[str, Any]) -> SavedConnection:
        return SavedConnection(
            id=str(entry["id"]),
            name=str(entry.get("name") or entry["host"]),
            host=str(entry["host"]),
            port=entry.get("port"),
            user=entry.get("user"),
            key_file=entry.get("key_file"),
            jump_host=entry.get("jump_host"),
            use_agent=bool(entry.get("use_agent", True)),
            python=entry.get("python"),
            root=entry.get("root"),
            has_password=bool(entry.get("password_encrypted")),
            has_passphrase=bool(entry.get("passphrase_encrypted")),
            created_at=float(entry.get("created_at") or 0.0),
            updated_at=float(entry.get("updated_at") or 0.0),
        )

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            try:
                self._fernet = Fernet(self._key_provider())
            except ValueError as exc:
                raise CredentialError(
                    f"the credentials key is malformed ({exc}); delete it and re-enter saved "
                    "passwords"
                ) from exc
        return self._fernet

    def _encrypt(self, value: str) -> str:
        return self._cipher().encrypt(value.encode("utf-8")).decode("ascii")

    def _decrypt(self, token: Any) -> str | None:
        if not token:
            return None
        try:
            return self._cipher().decrypt(str(token).encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CredentialError(
                "a saved secret cannot be decrypted: the credentials key changed (keyring reset "
                "or key file deleted). Save the connection again with its password."
            ) from None

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialError(f"cannot read saved connections {self.path}: {exc}") from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CredentialError(
                f"saved connections file {self.path} is corrupt ({exc}); move it away to start over"
            ) from exc
        items = data.get("connections", []) if isinstance(data, dict) else []
        return {str(e["id"]): e for e in items if isinstance(e, dict) and e.get("id")}

    def _store(self, entries: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps({"version": 1, "connections": list(entries.values())}, indent=2)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise CredentialError(f"cannot write saved connections {self.path}: {exc}") from exc
