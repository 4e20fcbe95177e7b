"""The only owner of PostgreSQL connections: a small pool per process, each connection renewed
after the server restarts or the network drops it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from runicorn.errors import StorageError

T = TypeVar("T")
Connection = psycopg.Connection[dict[str, Any]]
CONNECT_TIMEOUT = 10
# Requests run on up to 40 worker threads; a few connections keep PostgreSQL busy without
# making every idle server process hold dozens of them.
POOL_SIZE = 6


class DatabaseUnavailableError(StorageError):
    """PostgreSQL cannot be reached (the request can be retried)."""


class Database:
    """Runs functions inside transactions on pooled connections, reconnecting when one broke.

    Up to ``size`` transactions run at once (one connection each, opened on demand and kept
    for the next). A statement that fails because its connection died is retried once on a
    new connection: every write the index makes is an idempotent upsert or update, so a retry
    is safe. A ``work`` function must not call :meth:`run` itself.
    """

    def __init__(self, url: str, *, size: int = POOL_SIZE) -> None:
        self.url = url
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[Connection] = []
        self._guard = threading.Lock()

    def _connect(self) -> Connection:
        try:
            return psycopg.connect(self.url, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailableError(
                f"cannot reach the database: {_first_line(exc)}; check --database and that "
                "PostgreSQL is running"
            ) from exc

    def _take(self) -> Connection:
        with self._guard:
            while self._idle:
                conn = self._idle.pop()
                if not (conn.closed or conn.broken):
                    return conn
        return self._connect()

    def _give_back(self, conn: Connection) -> None:
        usable = not (conn.closed or conn.broken)
        if usable and conn.info.transaction_status == TransactionStatus.IDLE:
            with self._guard:
                self._idle.append(conn)
        elif not conn.closed:
            conn.close()

    def _drop_idle(self) -> None:
        """Close every kept connection: after one broke, the others most likely did too."""
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one transaction; committed when it returns."""
        with self._slots:
            for attempt in (1, 2):
                conn = self._take()
                try:
                    with conn.transaction():
                        result = work(conn)
                except psycopg.OperationalError as exc:
                    if not (conn.closed or conn.broken):
                        self._give_back(conn)
                        raise
                    conn.close()
                    self._drop_idle()
                    if attempt == 2:
                        raise DatabaseUnavailableError(
                            f"the database connection was lost: {_first_line(exc)}"
                        ) from exc
                    continue
                except BaseException:
                    self._give_back(conn)
                    raise
                self._give_back(conn)
                return result
            raise AssertionError("unreachable")

    def close(self) -> None:
        self._drop_idle()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def placeholders(sql: str) -> str:
    """A fragment written with ``?`` placeholders (the query compiler's) in psycopg's ``%s``.

    Safe only for fragments whose literals contain no ``?``: the v2 compiler binds every value
    of a filter, and its PostgreSQL fragments use no ``?`` operator.
    """
    return sql.replace("%", "%%").replace("?", "%s")
