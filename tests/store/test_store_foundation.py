"""The store on SQLite and on PostgreSQL: migrations, upserts, constraints, timestamps."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.pool import QueuePool

from journeys.errors import InvalidInputError, InvalidTimeZoneError
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import find_customer, upsert_customer
from journeys.store.database import is_store_unavailable
from journeys.store.events import count_events, record_event
from journeys.store.tables import Base
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.customers import Consent, Customer
from journeys.store.tables.events import Event
from tests.support.network import free_port
from tests.support.postgres import postgres_admin_url

FOUNDATION_TABLES = {"customers", "events", "enrollments", "communication_log", "consent"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The same tests on the SQLite store and on a fresh PostgreSQL database."""
    fixture = "store" if request.param == "sqlite" else "pg_store"
    store: Store = request.getfixturevalue(fixture)
    assert store.dialect == request.param
    return store


def _heads(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(connection.scalars(text("select version_num from alembic_version")))


def test_migrations_apply_twice_without_change(any_store: Store) -> None:
    before = _heads(any_store)
    any_store.migrate()
    assert _heads(any_store) == before
    assert set(inspect(any_store.engine).get_table_names()) >= FOUNDATION_TABLES


def test_the_tables_are_what_the_migrations_create(any_store: Store) -> None:
    """Alembic's autogenerate finds nothing to add, drop or alter."""
    with any_store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert set(Base.metadata.tables) == set(inspect(any_store.engine).get_table_names()) - {
        "alembic_version"
    }


def test_customer_upsert_merges_attributes(any_store: Store) -> None:
    with any_store.transaction() as session:
        upsert_customer(
            session,
            org_id="acme",
            customer_id="c1",
            attributes={"first_name": "Ada", "plan": "trial"},
        )
    with any_store.transaction() as session:
        upsert_customer(
            session,
            org_id="acme",
            customer_id="c1",
            attributes={"plan": "pro"},
            timezone="Europe/Paris",
            lifecycle_stage="onboarding",
        )
    with any_store.transaction() as session:
        customer = find_customer(session, org_id="acme", customer_id="c1")
        rows = session.scalars(select(Customer)).all()
    assert len(rows) == 1
    assert customer is not None
    assert customer.attributes == {"first_name": "Ada", "plan": "pro"}
    assert (customer.timezone, customer.lifecycle_stage) == ("Europe/Paris", "onboarding")


@pytest.mark.parametrize(
    ("attributes", "stage", "field"),
    [
        ({"name": "\ud800"}, None, "attributes"),
        ({"name": "a\x00b"}, None, "attributes"),
        ({"score": float("nan")}, None, "attributes"),
        ({"nested": [float("inf")]}, None, "attributes"),
        ({}, "s" * 65, "lifecycle_stage"),
        ({}, "\ud800", "lifecycle_stage"),
    ],
)
def test_a_profile_that_cannot_be_stored_is_refused_before_any_write(
    any_store: Store, attributes: dict[str, Any], stage: str | None, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused, any_store.transaction() as session:
        upsert_customer(
            session,
            org_id="acme",
            customer_id="unstorable",
            attributes=attributes,
            lifecycle_stage=stage,
        )
    assert refused.value.field == field
    with any_store.transaction() as session:
        assert find_customer(session, org_id="acme", customer_id="unstorable") is None


def test_customer_upsert_refuses_an_unknown_time_zone(any_store: Store) -> None:
    with any_store.transaction() as session:
        upsert_customer(session, org_id="acme", customer_id="tz", timezone="Asia/Tokyo")
    with (
        pytest.raises(InvalidTimeZoneError, match="timezone: unknown IANA time zone 'Mars/Base'"),
        any_store.transaction() as session,
    ):
        upsert_customer(session, org_id="acme", customer_id="tz", timezone="Mars/Base")
    with any_store.transaction() as session:
        customer = find_customer(session, org_id="acme", customer_id="tz")
    assert customer is not None
    assert customer.timezone == "Asia/Tokyo"


def test_same_customer_id_in_two_orgs_is_two_customers(any_store: Store) -> None:
    with any_store.transaction() as session:
        upsert_customer(session, org_id="acme", customer_id="c1", attributes={"org": "acme"})
        upsert_customer(session, org_id="globex", customer_id="c1", attributes={"org": "globex"})
    with any_store.transaction() as session:
        orgs = sorted(c.attributes["org"] for c in session.scalars(select(Customer)))
    assert orgs == ["acme", "globex"]


def test_unique_constraints_hold(any_store: Store) -> None:
    now = datetime.now(UTC)
    duplicates: list[Callable[[], Base]] = [
        lambda: Customer(org_id="acme", customer_id="c1", attributes={}, timezone="UTC"),
        lambda: Event(
            org_id="acme", event_id="e1", customer_id="c1", name="x", properties={}, occurred_at=now
        ),
        lambda: Consent(org_id="acme", customer_id="c1", channel="email", status="granted"),
        lambda: CommunicationLog(
            idempotency_key="k1",
            org_id="acme",
            customer_id="c1",
            journey_id="j",
            journey_version=1,
            workflow_id="w",
            enrollment_id="e",
            step_key="s#1",
            channel="email",
            template="welcome",
            status="sent",
        ),
    ]
    for make in duplicates:
        with any_store.transaction() as session:
            session.add(make())
        with pytest.raises(IntegrityError), any_store.transaction() as session:
            session.add(make())


def test_event_ids_are_stored_once(any_store: Store) -> None:
    occurred = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    event: dict[str, Any] = {
        "org_id": "acme",
        "event_id": "evt-1",
        "customer_id": "c1",
        "name": "account_created",
        "occurred_at": occurred,
        "properties": {"source": "web"},
    }
    with any_store.transaction() as session:
        assert record_event(session, **event) is True
    with any_store.transaction() as session:
        assert record_event(session, **event) is False
        assert count_events(session, org_id="acme", customer_id="c1", name="account_created") == 1


def test_timestamps_come_back_timezone_aware_utc(any_store: Store) -> None:
    paris_morning = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with any_store.transaction() as session:
        record_event(
            session,
            org_id="acme",
            event_id="evt-tz",
            customer_id="c1",
            name="login",
            occurred_at=paris_morning,
            properties={},
        )
    with any_store.transaction() as session:
        stored = session.scalars(select(Event)).one()
    assert stored.occurred_at == paris_morning
    assert stored.occurred_at.utcoffset() == timedelta(0)
    assert stored.occurred_at.hour == 8
    assert stored.received_at.tzinfo is not None


def test_naive_timestamps_are_refused(any_store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), any_store.transaction() as session:
        record_event(
            session,
            org_id="acme",
            event_id="evt-naive",
            customer_id="c1",
            name="login",
            occurred_at=datetime(2026, 3, 1, 9, 30),
            properties={},
        )


@pytest.mark.postgres
def test_pool_sizes_come_from_the_settings(tmp_path: Path) -> None:
    """A process holds at most ``store_pool_size + store_max_overflow`` connections."""
    settings = JourneySettings(
        data_dir=tmp_path,
        database_url=postgres_admin_url(),
        store_pool_size=2,
        store_max_overflow=1,
    )
    store = Store.from_settings(settings)
    try:
        with ExitStack() as held:
            for _ in range(3):
                held.enter_context(store.engine.connect()).execute(text("select 1"))
            pool = store.engine.pool
            assert isinstance(pool, QueuePool)
            assert (pool.size(), pool.checkedout(), pool.overflow()) == (2, 3, 1)
    finally:
        store.dispose()


def test_pool_sizes_are_checked() -> None:
    with pytest.raises(ValidationError, match="store_pool_size"):
        JourneySettings(store_pool_size=0)
    with pytest.raises(ValidationError, match="store_max_overflow"):
        JourneySettings(store_max_overflow=-1)


@pytest.mark.postgres
def test_postgres_statements_and_connections_are_bounded(pg_store: Store) -> None:
    bounded = Store(pg_store.url, statement_timeout=0.2)
    try:
        with pytest.raises(OperationalError) as slow, bounded.transaction() as session:
            session.execute(text("SELECT pg_sleep(5)"))
        assert is_store_unavailable(slow.value)
    finally:
        bounded.dispose()
    unreachable = Store(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres", connect_timeout=1
    )
    try:
        with pytest.raises(OperationalError) as down:
            unreachable.check_writable()
        assert is_store_unavailable(down.value)
    finally:
        unreachable.dispose()


@pytest.mark.postgres
def test_a_migration_leaves_the_pooled_connection_bounded(pg_store: Store) -> None:
    bounded = Store(pg_store.url, statement_timeout=0.2, pool_size=1, max_overflow=0)
    try:
        bounded.migrate()
        with pytest.raises(OperationalError) as slow, bounded.transaction() as session:
            session.execute(text("SELECT pg_sleep(5)"))
        assert is_store_unavailable(slow.value)
    finally:
        bounded.dispose()


def test_a_locked_sqlite_store_is_unavailable_within_its_busy_timeout(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'locked.db'}", busy_timeout=0.2)
    store.migrate()
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(OperationalError) as locked:
            store.check_writable()
        assert is_store_unavailable(locked.value)
        with pytest.raises(OperationalError) as missing, store.transaction() as session:
            session.execute(text("SELECT * FROM no_such_table"))
        assert not is_store_unavailable(missing.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.dispose()
    store.check_writable()
