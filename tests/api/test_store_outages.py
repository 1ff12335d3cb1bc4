"""Outages of the store and of Temporal: bounded waits, 503 with Retry-After, honest readiness.

A real ``journeys api`` process; the SQLite store is held locked by another
connection, and a private Temporal dev server is stopped under the API. The
bound of each request is the HTTP client's timeout: a request that hung as it
used to (30 s and more) fails the test.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from journeys.devtools.temporal_binaries import temporal_cli_path
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.api_process import api_process, issue_key
from tests.support.network import new_customer_id

BUSY_TIMEOUT_SECONDS = 1
REQUEST_BOUND_SECONDS = 15.0
"""Far above the configured bounds, far below the waits they replace."""


@pytest.fixture
def outage_settings(tmp_path: Path) -> JourneySettings:
    return JourneySettings(
        data_dir=tmp_path / "data",
        task_queue=f"outage-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
    )


@pytest.fixture
def outage_store(outage_settings: JourneySettings) -> Iterator[Store]:
    store = Store(outage_settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


def test_a_locked_store_answers_503_within_the_bound(
    dev_env: WorkflowEnvironment,
    outage_settings: JourneySettings,
    outage_store: Store,
    tmp_path: Path,
) -> None:
    key = {"X-API-Key": issue_key(outage_store, "outage")}
    who = new_customer_id()
    address = dev_env.client.service_client.config.target_host
    with (
        api_process(
            outage_settings,
            address,
            tmp_path / "api.log",
            JOURNEYS_STORE_BUSY_TIMEOUT_SECONDS=str(BUSY_TIMEOUT_SECONDS),
        ) as url,
        httpx.Client(base_url=url, timeout=REQUEST_BOUND_SECONDS) as http,
    ):
        profile = {"customer_id": who, "attributes": {"plan": "pro"}}
        assert http.post("/v1/identify", json=profile, headers=key).status_code == 200
        assert http.get("/readyz").status_code == 200
        holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            refused = http.post("/v1/identify", json=profile, headers=key)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "5"
            assert refused.json()["request_id"] == refused.headers["X-Request-ID"]
            assert refused.json()["error"]["code"] == "unavailable"
            not_ready = http.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["checks"]["store"].startswith("unavailable")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert http.post("/v1/identify", json=profile, headers=key).status_code == 200
        assert http.get("/readyz").json()["checks"] == {"store": "ok", "temporal": "ok"}


async def test_readiness_fails_when_temporal_is_unreachable(
    outage_settings: JourneySettings, outage_store: Store, tmp_path: Path
) -> None:
    temporal = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--log-level", "error"],
    )
    stopped = False
    try:
        address = temporal.client.service_client.config.target_host
        with api_process(outage_settings, address, tmp_path / "api.log") as url:
            async with httpx.AsyncClient(base_url=url, timeout=REQUEST_BOUND_SECONDS) as http:
                assert (await http.get("/readyz")).status_code == 200
                await temporal.shutdown()
                stopped = True
                not_ready = await http.get("/readyz")
                assert not_ready.status_code == 503, not_ready.text
                checks = not_ready.json()["checks"]
                assert checks["store"] == "ok"
                assert checks["temporal"].startswith("unavailable")
                assert not_ready.headers["Retry-After"] == "5"
    finally:
        if not stopped:
            await temporal.shutdown()
