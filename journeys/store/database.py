"""The store's engine, sessions and migrations."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, create_engine, event, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from journeys.errors import StoreUnavailableError
from journeys.store.schema_lock import hold_schema_change_lock

if TYPE_CHECKING:
    from journeys.settings import JourneySettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

DEFAULT_BUSY_TIMEOUT_SECONDS = 10.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5
DEFAULT_STATEMENT_TIMEOUT_SECONDS = 30.0
"""Defaults of a Store built without settings (``store_*_seconds`` settings otherwise)."""


class Store:
    """Owns the SQLAlchemy engine of the store and hands out sessions.

    Args:
        url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
        pool_size: PostgreSQL connections kept open (``store_pool_size``).
        max_overflow: PostgreSQL connections opened beyond those under load
            (``store_max_overflow``).
        busy_timeout: Longest wait for SQLite's lock or a pooled PostgreSQL connection.
        connect_timeout: PostgreSQL ``connect_timeout`` (seconds).
        statement_timeout: PostgreSQL ``statement_timeout`` (seconds; not in migrations).
            A server that does not answer at all (frozen, its host hung) cannot
            enforce it: the client gives up on any wait for an answer after
            ``statement_timeout + connect_timeout`` and drops the connection.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 30,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT_SECONDS,
    ):
        self.url = url
        self.busy_timeout = busy_timeout
        options = _engine_options(
            url, pool_size, max_overflow, busy_timeout, connect_timeout, statement_timeout
        )
        self.engine: Engine = create_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if self.engine.dialect.driver == "psycopg":
            # Imported here: processes on SQLite do not pay for importing psycopg.
            from journeys.store.postgres_connection import answering_connect

            answer_timeout = statement_timeout + connect_timeout
            event.listen(self.engine, "do_connect", answering_connect(answer_timeout))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer per file. Threads of one process queue here rather
        # than each sleeping in SQLite's busy handler, so a process contends for the
        # file with one thread, and a writer in another process (the client's events
        # beside a worker's sends) is not starved by dozens of them.
        self._turns = threading.RLock() if self.engine.dialect.name == "sqlite" else None

    @classmethod
    def from_settings(cls, settings: JourneySettings) -> Store:
        """The store named by ``database_url``, with the pool sizes of the settings."""
        return cls(
            settings.resolved_database_url,
            pool_size=settings.store_pool_size,
            max_overflow=settings.store_max_overflow,
            busy_timeout=settings.store_busy_timeout_seconds,
            connect_timeout=settings.store_connect_timeout_seconds,
            statement_timeout=settings.store_statement_timeout_seconds,
        )

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        # Alembic (with Mako) is imported here, not at the top: it costs every
        # process that opens a store, the CLI's --help included, half a second.
        from alembic import command
        from alembic.config import Config

        if self.dialect == "sqlite":
            Path(self.engine.url.database or ".").parent.mkdir(parents=True, exist_ok=True)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection, _unbounded(connection):
            hold_schema_change_lock(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        Raises:
            StoreUnavailableError: this process's turn to use SQLite did not come
                within ``busy_timeout``.
        """
        with self._turn(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._turns is None:
            yield
            return
        if not self._turns.acquire(timeout=self.busy_timeout):
            raise StoreUnavailableError(
                f"store busy: no turn to write within {self.busy_timeout:g}s"
            )
        try:
            yield
        finally:
            self._turns.release()

    def check_writable(self) -> None:
        """Take and release the store's write lock (readiness): raises when writes would fail.

        On PostgreSQL, assigning a transaction id needs a writable primary and no
        table privilege; on SQLite, ``BEGIN IMMEDIATE`` takes the file's write lock.
        """
        with self._turn(), self.engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.exec_driver_sql("SELECT txid_current()")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("ROLLBACK")
            connection.rollback()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@contextmanager
def _unbounded(connection: Connection) -> Iterator[None]:
    """No statement or answer timeout for the transaction: a migration may rewrite a large table."""
    if connection.dialect.name != "postgresql":
        yield
        return
    # LOCAL: the pooled connection keeps its bound after the migration.
    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    raw = connection.connection.dbapi_connection
    answer_timeout = getattr(raw, "answer_timeout", None)
    try:
        if answer_timeout is not None:
            raw.answer_timeout = None  # type: ignore[union-attr]
        yield
    finally:
        if answer_timeout is not None:
            raw.answer_timeout = answer_timeout  # type: ignore[union-attr]


def dialect_insert(dialect: str) -> Any:
    """The ``insert`` construct with ``ON CONFLICT`` clauses of the store's dialect."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL


def insert_if_absent(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless it collides with a unique constraint; True if inserted."""
    statement = _insert_if_absent_statement(session.get_bind().dialect.name, table)
    result = session.execute(statement, values)
    return result.first() is not None


@functools.cache
def _insert_if_absent_statement(dialect: str, table: Table) -> Any:
    """Built once per table: it is on the path of every event and send."""
    statement = dialect_insert(dialect)(table).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports rowcount -1 for an INSERT that
    # SQLAlchemy gave an implicit RETURNING, which made a skipped insert look done.
    return statement.returning(literal_column("1"))


def is_store_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the store is unavailable for now (503), not a bug (500).

    Locked or unopenable SQLite files, PostgreSQL connection failures, statement
    timeouts and server shutdowns, and pool checkout timeouts qualify; a missing
    table or a constraint violation does not.
    """
    if isinstance(error, StoreUnavailableError | PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__.startswith("psycopg"):
        return True
    message = str(error.orig).lower()
    return any(sign in message for sign in _SQLITE_UNAVAILABLE)


_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def _engine_options(
    url: str,
    pool_size: int,
    max_overflow: int,
    busy_timeout: float,
    connect_timeout: int,
    statement_timeout: float,
) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # A file has no connection to drop, so no ping before each checkout.
        return {"connect_args": {"check_same_thread": False, "timeout": busy_timeout}}
    return {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_pre_ping": True,
        "pool_timeout": busy_timeout,
        "connect_args": {
            "connect_timeout": connect_timeout,
            "options": f"-c statement_timeout={round(statement_timeout * 1000)}",
        },
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; foreign keys are off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
