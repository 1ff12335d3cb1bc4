"""One schema change at a time across processes (a PostgreSQL advisory lock).

Processes that start together (two APIs, a worker and an API) each migrate the
store and re-apply row-level security. PostgreSQL does not queue concurrent
changes to one catalog row: it refuses all but one ("tuple concurrently
updated"), and the refused process exits at start. Taking this lock first
makes them wait for each other instead.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

SCHEMA_CHANGE_LOCK = 0x6A6F75726E657973
"""The advisory lock's key ("journeys" in ASCII); one key for every schema change."""


def hold_schema_change_lock(connection: Connection) -> None:
    """Wait for the schema-change lock and hold it until this transaction ends (PostgreSQL).

    Does nothing on other databases.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_CHANGE_LOCK})
