"""The team server's users: a role, the projects they may use, and one hashed token each.

A token is 32 random bytes shown once when the user is added; only its sha256 is stored, so a
copy of the database gives no one a way in. Lookups go by that hash and the stored hash is
compared again in constant time.

Each server process remembers the tokens it verified for :data:`TOKEN_CACHE_SECONDS`, so a
push pass (4–5 requests) costs one lookup, not five. Revocation still takes effect at once:
``revoke`` and ``add`` send a PostgreSQL notification that every server process listens for
and forgets that user's tokens; the cache is only used while that listener is connected, so a
missed notification cannot keep a revoked token alive. The bound, should a notification be
delayed, is :data:`TOKEN_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

import psycopg

from runicorn.errors import RunicornError
from runicorn.server.database import CONNECT_TIMEOUT, Connection, Database

log = logging.getLogger(__name__)

Role = Literal["reader", "writer", "admin"]
ROLES: tuple[Role, ...] = ("reader", "writer", "admin")
TOKEN_PREFIX = "rnt_"  # noqa: S105 - a marker that makes a leaked token easy to recognise
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_PROJECT = re.compile(r"^[^\"\\/\x00-\x1f]{1,128}$")
TOKEN_CACHE_SECONDS = 5.0
MAX_CACHED_TOKENS = 10_000
USERS_CHANNEL = "runicorn_users"  # NOTIFY payload: the name of a user revoked or re-added


class UserError(RunicornError, ValueError):
    """A user that cannot be added, found or revoked; the message says why."""


@dataclass(frozen=True)
class User:
    """Who a request comes from: a role and the projects it may use (empty: all)."""

    name: str
    role: Role
    projects: frozenset[str] = frozenset()
    created_at: float = 0.0
    revoked_at: float | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def limited(self) -> bool:
        """Whether only some projects are visible (admins always see all)."""
        return bool(self.projects) and not self.is_admin

    def can_read(self, project: str) -> bool:
        return not self.limited or project in self.projects

    def can_write(self, project: str) -> bool:
        return self.role != "reader" and self.can_read(project)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "projects": sorted(self.projects),
            "created_at": self.created_at,
            "revoked": self.revoked_at is not None,
        }


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _check(name: str, role: str, projects: list[str]) -> None:
    if not _NAME.match(name):
        raise UserError(
            f"user name {name!r} is not allowed: letters, digits, '_', '.', '@', '-' (up to 64)"
        )
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    for project in projects:
        if not _PROJECT.match(project):
            raise UserError(f"project {project!r} is not a valid project name")


class VerifiedTokens:
    """Tokens this process verified lately (by digest), forgotten on a user's revocation."""

    def __init__(self, url: str, seconds: float = TOKEN_CACHE_SECONDS) -> None:
        self.url = url
        self.seconds = seconds
        self._held: dict[str, tuple[float, User]] = {}
        self._guard = threading.Lock()
        self._listening = threading.Event()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def get(self, digest: str) -> User | None:
        self._start()
        if not self._listening.is_set():
            return None
        with self._guard:
            held = self._held.get(digest)
        if held is None or held[0] < time.monotonic():
            return None
        return held[1]

    def put(self, digest: str, user: User) -> None:
        if not self._listening.is_set():
            return
        with self._guard:
            if len(self._held) >= MAX_CACHED_TOKENS:
                self._held.clear()
            self._held[digest] = (time.monotonic() + self.seconds, user)

    def forget(self, name: str | None = None) -> None:
        """Drop the tokens of ``name`` (of everyone when None)."""
        with self._guard:
            if name is None:
                self._held.clear()
            else:
                self._held = {d: h for d, h in self._held.items() if h[1].name != name}

    def _start(self) -> None:
        if self._listener is None:
            with self._guard:
                if self._listener is None:
                    self._listener = threading.Thread(
                        target=self._listen, name="runicorn-token-revocations", daemon=True
                    )
                    self._listener.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
                ) as conn:
                    conn.execute(f"LISTEN {USERS_CHANNEL}")
                    self.forget()  # notifications may have been missed while not listening
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.forget(note.payload or None)
            except psycopg.Error as exc:
                log.debug("runicorn server: token revocation listener: %r", exc)
            self._listening.clear()
            self.forget()
            self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)


_CACHES: dict[str, VerifiedTokens] = {}
_CACHES_GUARD = threading.Lock()


def verified_tokens(url: str) -> VerifiedTokens:
    """The process's one cache of verified tokens for the database at ``url``."""
    with _CACHES_GUARD:
        cache = _CACHES.get(url)
        if cache is None:
            cache = _CACHES[url] = VerifiedTokens(url)
        return cache


def _announce(conn: Connection, name: str) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (USERS_CHANNEL, name))


class UserStore:
    """Every query on the users, tokens and project-access tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, name: str, role: str, projects: list[str] | None = None) -> str:
        """Create ``name`` (or bring back a revoked one) and return its new token, once."""
        projects = list(dict.fromkeys(projects or []))
        _check(name, role, projects)
        token = new_token()
        now = time.time()

        def write(conn: Connection) -> None:
            row = conn.execute(
                "SELECT revoked_at FROM users WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
            if row is not None and row["revoked_at"] is None:
                raise UserError(
                    f"user {name!r} already exists; `runicorn server users revoke {name}` first "
                    "to issue a new token"
                )
            conn.execute(
                "INSERT INTO users (name, role, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
                "created_at = excluded.created_at, revoked_at = NULL",
                (name, role, now),
            )
            conn.execute("DELETE FROM user_projects WHERE user_name = %s", (name,))
            for project in projects:
                conn.execute(
                    "INSERT INTO user_projects (user_name, project) VALUES (%s, %s)",
                    (name, project),
                )
            conn.execute(
                "INSERT INTO user_tokens (token_sha256, user_name, created_at) VALUES (%s, %s, %s)",
                (token_digest(token), name, now),
            )
            _announce(conn, name)

        self.database.run(write)
        verified_tokens(self.database.url).forget(name)
        return token

    def revoke(self, name: str) -> None:
        """Refuse ``name``'s token from now on (every server process sees it at once)."""

        def write(conn: Connection) -> bool:
            found = conn.execute(
                "UPDATE users SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL "
                "RETURNING name",
                (time.time(), name),
            ).fetchone()
            conn.execute("DELETE FROM user_tokens WHERE user_name = %s", (name,))
            _announce(conn, name)
            return found is not None

        found = self.database.run(write)
        verified_tokens(self.database.url).forget(name)
        if not found:
            raise UserError(f"no active user {name!r}; see `runicorn server users list`")

    def list(self) -> list[User]:
        def read(conn: Connection) -> list[User]:
            rows = conn.execute("SELECT * FROM users ORDER BY name").fetchall()
            access = conn.execute("SELECT user_name, project FROM user_projects").fetchall()
            projects: dict[str, set[str]] = {}
            for row in access:
                projects.setdefault(row["user_name"], set()).add(row["project"])
            return [_user(row, projects.get(row["name"], set())) for row in rows]

        return self.database.run(read)

    def authenticate(self, token: str) -> User | None:
        """The active user holding ``token``, or None."""
        if not token or len(token) > 512:
            return None
        digest = token_digest(token)
        cache = verified_tokens(self.database.url)
        known = cache.get(digest)
        if known is not None:
            return known

        def read(conn: Connection) -> User | None:
            row = conn.execute(
                "SELECT t.token_sha256, u.*, ARRAY(SELECT p.project FROM user_projects AS p "
                "WHERE p.user_name = u.name) AS projects FROM user_tokens AS t "
                "JOIN users AS u ON u.name = t.user_name "
                "WHERE t.token_sha256 = %s AND u.revoked_at IS NULL",
                (digest,),
            ).fetchone()
            if row is None or not hmac.compare_digest(row["token_sha256"], digest):
                return None
            return _user(row, set(row["projects"]))

        user = self.database.run(read)
        if user is not None:
            cache.put(digest, user)
        return user


def _user(row: dict[str, Any], projects: set[str]) -> User:
    return User(
        name=row["name"],
        role=cast(Role, row["role"]),
        projects=frozenset(projects),
        created_at=float(row["created_at"]),
        revoked_at=row["revoked_at"],
    )
