"""PostgreSQL connections that stop waiting for a server that does not answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg


class AnsweringConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for a server that does not answer.

    A frozen server (SIGSTOP, a hung host) keeps its TCP connections open and
    its kernel acknowledges what is sent, so neither ``statement_timeout`` nor
    TCP keepalives end the wait: every statement, commit and pool ping would
    block for ever. Waits here end after ``answer_timeout`` seconds, closing
    the connection (SQLAlchemy then sees a disconnect, the API a 503).
    """

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        """Consume ``gen`` (psycopg's protocol step) within ``answer_timeout`` at most."""
        limit = self.answer_timeout if timeout is None else timeout
        try:
            return super().wait(gen, interval, limit)
        # psycopg documents its wait timeout by this (private) class alone.
        except psycopg.errors._WaitTimeout as err:
            # Mid-protocol: the connection cannot be used again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the PostgreSQL server did not answer within {limit:g}s"
            ) from err


def answering_connect(answer_timeout: float) -> Callable[..., AnsweringConnection]:
    """A ``do_connect`` hook opening :class:`AnsweringConnection` connections."""

    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> AnsweringConnection:
        connection = AnsweringConnection.connect(*cargs, **cparams)
        connection.answer_timeout = answer_timeout
        return connection

    return connect
