"""Processes starting together change the schema one at a time (PostgreSQL).

The defect: two APIs started at once both re-applied row-level security, and
PostgreSQL refused one's concurrent GRANT ("tuple concurrently updated"), so
that API exited at start. On a new database both also migrated at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from journeys.store import Store
from journeys.store.tenancy import apply_row_level_security
from tests.support.postgres import new_database

pytestmark = pytest.mark.postgres

PROCESSES = 6
ROUNDS = 5
JOIN_SECONDS = 60
"""Without the lock, migrations started together could also wait on each other for ever."""


def all_at_once(stores: list[Store], start: Callable[[Store], object]) -> list[BaseException]:
    """Run ``start`` for every store in its own thread, released together; the failures."""
    barrier = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def run(store: Store) -> None:
        barrier.wait()
        try:
            start(store)
        except Exception as error:  # every failure is the finding, kept for the assert
            failures.append(error)

    threads = [threading.Thread(target=run, args=(store,), daemon=True) for store in stores]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        failures.append(TimeoutError(f"{stuck} still waiting after {JOIN_SECONDS} s"))
    return failures


@pytest.fixture
def empty_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    with new_database() as url:
        yield url


def test_row_level_security_applied_by_processes_starting_together(pg_store: Store) -> None:
    stores = [Store(pg_store.url) for _ in range(PROCESSES)]
    covered: list[list[str]] = []

    def secure(store: Store) -> None:
        with store.engine.begin() as connection:
            covered.append(apply_row_level_security(connection))

    try:
        failures = [error for _ in range(ROUNDS) for error in all_at_once(stores, secure)]
    finally:
        for store in stores:
            store.dispose()
    assert failures == []
    assert len(covered) == PROCESSES * ROUNDS
    assert all("enrollments" in tables for tables in covered)


def test_a_new_database_migrated_by_processes_starting_together(empty_database: str) -> None:
    stores = [Store(empty_database) for _ in range(PROCESSES)]
    try:
        failures = all_at_once(stores, Store.migrate)
        with stores[0].engine.connect() as connection:
            revisions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    finally:
        for store in stores:
            store.dispose()
    assert failures == []
    assert revisions == 1
