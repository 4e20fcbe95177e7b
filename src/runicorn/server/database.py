"""The only owner of PostgreSQL connections: one connection per process, serialized, renewed
after the server restarts or the network drops it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from runicorn.errors import StorageError

T = TypeVar("T")
Connection = psycopg.Connection[dict[str, Any]]
CONNECT_TIMEOUT = 10


class DatabaseUnavailableError(StorageError):
    """PostgreSQL cannot be reached (the request can be retried)."""


class Database:
    """Runs functions inside transactions on one connection, reconnecting when it broke.

    A statement that fails because the connection died is retried once on a new connection:
    every write the index makes is an idempotent upsert or update, so a retry is safe.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(
                    self.url, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailableError(
                    f"cannot reach the database: {_first_line(exc)}; check --database and that "
                    "PostgreSQL is running"
                ) from exc
        return self._conn

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one transaction; committed when it returns."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    with conn.transaction():
                        return work(conn)
                except psycopg.OperationalError as exc:
                    if not (conn.closed or conn.broken):
                        raise
                    self._conn = None
                    if attempt == 2:
                        raise DatabaseUnavailableError(
                            f"the database connection was lost: {_first_line(exc)}"
                        ) from exc
            raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def placeholders(sql: str) -> str:
    """A fragment written with ``?`` placeholders (the query compiler's) in psycopg's ``%s``.

    Safe only for fragments whose literals contain no ``?``: the v2 compiler binds every value
    of a filter, and its PostgreSQL fragments use no ``?`` operator.
    """
    return sql.replace("%", "%%").replace("?", "%s")
