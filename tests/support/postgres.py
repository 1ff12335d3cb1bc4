"""The PostgreSQL server the tests use, read from the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from journeys.settings import JourneySettings

POSTGRES_URL_VARIABLE = "JOURNEYS_TEST_POSTGRES_URL"


def postgres_admin_url() -> str:
    """The PostgreSQL URL from the environment; skip (or fail on CI) when unusable."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        reason = f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run them")
        pytest.skip(reason)
    url = JourneySettings(database_url=url).database_url
    try:
        with create_engine(url).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as err:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL_VARIABLE} is unreachable on CI: {err}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL_VARIABLE}: {err}")
    return url


@contextmanager
def new_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    admin_url = postgres_admin_url()
    name = f"journeys_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def lock_waiters(engine: Engine) -> int:
    """How many sessions of the engine's database wait for a lock now."""
    with engine.connect() as connection:
        count = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(count or 0)
