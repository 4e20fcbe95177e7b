"""The team server's users: a role, the projects they may use, and one hashed token each.

A token is 32 random bytes shown once when the user is added; only its sha256 is stored, so a
copy of the database gives no one a way in. Lookups go by that hash and the stored hash is
compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from runicorn.errors import RunicornError
from runicorn.server.database import Connection, Database

Role = Literal["reader", "writer", "admin"]
ROLES: tuple[Role, ...] = ("reader", "writer", "admin")
TOKEN_PREFIX = "rnt_"  # noqa: S105 - a marker that makes a leaked token easy to recognise
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_PROJECT = re.compile(r"^[^\"\\/\x00-\x1f]{1,128}$")


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

        self.database.run(write)
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
            return found is not None

        if not self.database.run(write):
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

        def read(conn: Connection) -> User | None:
            row = conn.execute(
                "SELECT t.token_sha256, u.* FROM user_tokens AS t JOIN users AS u "
                "ON u.name = t.user_name WHERE t.token_sha256 = %s AND u.revoked_at IS NULL",
                (digest,),
            ).fetchone()
            if row is None or not hmac.compare_digest(row["token_sha256"], digest):
                return None
            access = conn.execute(
                "SELECT project FROM user_projects WHERE user_name = %s", (row["name"],)
            ).fetchall()
            return _user(row, {r["project"] for r in access})

        return self.database.run(read)


def _user(row: dict[str, Any], projects: set[str]) -> User:
    return User(
        name=row["name"],
        role=cast(Role, row["role"]),
        projects=frozenset(projects),
        created_at=float(row["created_at"]),
        revoked_at=row["revoked_at"],
    )
