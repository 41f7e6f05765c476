"""A thin DB-API layer so the evidence log runs the same SQL on SQLite and PostgreSQL.

Why not an ORM: the log needs exactly three things from a database (an exclusive write
transaction, ordered inserts, ordered reads) and its hot path must stay close to the raw driver.
SQL is written with `?` placeholders and translated for psycopg.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from mlops.errors import BadInputError
from mlops.governance.wal import SAFETY_PAGES, WalCheckpointer

ADVISORY_LOCK_KEY = 0x6D6C6F7073  # "mlops": serialises appends across PostgreSQL connections
BUSY_TIMEOUT_MS = 60_000
WAL_RETRY_SECONDS = 0.02


@dataclass(frozen=True)
class DbUrl:
    """A parsed database location: `sqlite:///rel/path`, `sqlite:////abs/path`, a bare file path,
    or `postgresql://user@host/db`."""

    dialect: str
    path: Path | None
    url: str

    @classmethod
    def parse(cls, text: str) -> DbUrl:
        if "://" not in text:
            if not text:
                raise BadInputError(
                    "--audit: empty; allowed: a file path, sqlite:///PATH or postgresql://..."
                )
            return cls("sqlite", Path(text), f"sqlite:///{text}")
        scheme = urlsplit(text).scheme
        if scheme == "sqlite":
            path = text[len("sqlite:///") :] if text.startswith("sqlite:///") else ""
            if not path:
                raise BadInputError(
                    f"{text}: no file path; allowed: sqlite:///PATH or sqlite:////ABS/PATH"
                )
            return cls("sqlite", Path(path), text)
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            return cls(
                "postgresql", None, text.replace("postgresql+psycopg://", "postgresql://", 1)
            )
        raise BadInputError(
            f"{text.split('://', 1)[0]}://...: unknown database scheme; allowed: sqlite, postgresql"
        )


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Two processes opening a new file at once both ask for the exclusive lock
    this needs, and SQLite answers "database is locked" without waiting on the busy timeout,
    so the switch itself is retried until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


class Db:
    """One connection, autocommit outside explicit transactions, with `?` placeholders.

    `read_only`: the connection cannot write (SQLite `mode=ro`, PostgreSQL read-only
    transactions) and the database must already exist: what verification opens.
    `wal_thread`: SQLite WAL checkpoints on a thread of their own rather than inside a commit
    (`mlops.governance.wal`): for a server, whose every commit answers a request.
    """

    def __init__(self, url: DbUrl, read_only: bool = False, wal_thread: bool = False) -> None:
        self.url = url
        self.dialect = url.dialect
        self._wal: WalCheckpointer | None = None
        if url.dialect == "sqlite" and read_only:
            assert url.path is not None
            if not url.path.is_file():
                raise BadInputError(f"{url.path}: no such log file")
            try:
                self._conn: Any = sqlite3.connect(
                    f"file:{quote(str(url.path.resolve()))}?mode=ro",
                    uri=True,
                    isolation_level=None,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    check_same_thread=False,
                )
                self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as error:
                raise BadInputError(f"{url.path}: cannot open as SQLite: {error}") from None
        elif url.dialect == "sqlite":
            assert url.path is not None
            url.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = sqlite3.connect(
                    url.path,
                    isolation_level=None,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    check_same_thread=False,
                )
                self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                _enable_wal(self._conn)
                # FULL: a commit is on disk before append() returns, even across power loss.
                self._conn.execute("PRAGMA synchronous=FULL")
                if wal_thread:
                    self._conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
                    self._wal = WalCheckpointer(url.path, BUSY_TIMEOUT_MS / 1000)
            except sqlite3.Error as error:
                raise BadInputError(f"{url.path}: cannot open as SQLite: {error}") from None
        else:
            import psycopg

            options = "-c default_transaction_read_only=on" if read_only else ""
            try:
                self._conn = psycopg.connect(url.url, autocommit=True, options=options)
            except psycopg.Error as error:
                raise BadInputError(f"{_redact(url.url)}: cannot connect: {error}") from None

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.dialect == "sqlite":
            self._conn.executemany(sql, rows)
        else:
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def begin_write(self) -> None:
        """Start a transaction that holds the log's single writer lock until commit/rollback."""
        if self.dialect == "sqlite":
            self._conn.execute("BEGIN IMMEDIATE")
        else:
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))

    def commit(self) -> None:
        self._conn.execute("COMMIT")
        if self._wal is not None:
            self._wal.committed()

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # nothing to roll back is fine
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._wal is not None:
            self._wal.close()
        self._conn.close()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
