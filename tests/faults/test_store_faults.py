"""A private PostgreSQL cluster stopped and frozen under a running ``journeys api`` and worker.

Stopped (``pg_ctl stop -m immediate``): requests answer 503 with
``Retry-After`` and ``/readyz`` says the store is unavailable; restarted,
everything works and nothing accepted before is lost. Frozen (SIGSTOP of the
postmaster and every backend: connections stay open, nothing answers):
requests and ``/readyz`` answer 503 within the configured bounds, never hang.
A send in flight when the store goes down is delivered once after it.

The bound of each request is the HTTP client's timeout, far above the
configured store bounds and far below the waits they replace. Each test prints
one figure line (``FAULT ...``); ``pytest -s`` shows them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.language.channels import Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event
from tests.support.api_process import api_process, issue_key
from tests.support.delivery import ORG, customer, provider_settings
from tests.support.fault_journeys import webhook_journey
from tests.support.network import new_customer_id
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.provider_servers import HttpProviderServer, SmtpServer
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

STORE_BOUND_SECONDS = 2
"""The configured connect and statement timeouts of these tests."""

REQUEST_BOUND_SECONDS = 15.0
"""Far above the configured bounds, far below the waits they replace."""

ACCEPTED_BEFORE = 20
"""Events (and profiles) accepted before each outage."""


def bounded_env() -> dict[str, str]:
    bound = str(STORE_BOUND_SECONDS)
    return {
        "JOURNEYS_STORE_CONNECT_TIMEOUT_SECONDS": bound,
        "JOURNEYS_STORE_STATEMENT_TIMEOUT_SECONDS": bound,
        "JOURNEYS_STORE_BUSY_TIMEOUT_SECONDS": bound,
    }


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as started:
        yield started


@pytest.fixture
def pg_settings(cluster: PrivatePostgres, tmp_path: Path) -> JourneySettings:
    return JourneySettings(
        data_dir=tmp_path / "data",
        task_queue=f"store-faults-{uuid.uuid4().hex[:12]}",
        database_url=cluster.url,
        store_connect_timeout_seconds=STORE_BOUND_SECONDS,
        store_statement_timeout_seconds=STORE_BOUND_SECONDS,
        store_busy_timeout_seconds=STORE_BOUND_SECONDS,
    )


@pytest.fixture
def pg_store(pg_settings: JourneySettings) -> Iterator[Store]:
    store = Store.from_settings(pg_settings)
    store.migrate()
    yield store
    store.dispose()


def begin_outage(cluster: PrivatePostgres, fault: str) -> None:
    if fault == "stopped":
        cluster.crash()
    else:
        cluster.freeze()


def end_outage(cluster: PrivatePostgres, fault: str) -> None:
    if fault == "stopped":
        cluster.start()
    else:
        cluster.thaw()


def accept_before_the_outage(http: httpx.Client, key: dict[str, str]) -> list[str]:
    """Profiles and events the API accepts; returns the event ids."""
    event_ids = []
    for number in range(ACCEPTED_BEFORE):
        who = new_customer_id()
        profile = {"customer_id": who, "attributes": {"plan": "pro"}}
        assert http.post("/v1/identify", json=profile, headers=key).status_code == 200
        event = {"customer_id": who, "name": "page_viewed", "event_id": f"before-{number}"}
        tracked = http.post("/v1/track", json=event, headers=key)
        assert tracked.status_code == 200, tracked.text
        event_ids.append(event["event_id"])
    return event_ids


def assert_unavailable(http: httpx.Client, key: dict[str, str]) -> None:
    """Writes and reads answer 503 with Retry-After; readiness names the store."""
    who = new_customer_id()
    for refused in (
        http.post("/v1/identify", json={"customer_id": who, "attributes": {}}, headers=key),
        http.post("/v1/track", json={"customer_id": who, "name": "page_viewed"}, headers=key),
    ):
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "unavailable"
    not_ready = http.get("/readyz")
    assert not_ready.status_code == 503, not_ready.text
    assert not_ready.json()["checks"]["store"].startswith("unavailable")


def assert_recovered(http: httpx.Client, key: dict[str, str]) -> None:
    profile = {"customer_id": new_customer_id(), "attributes": {"plan": "pro"}}
    answered = http.post("/v1/identify", json=profile, headers=key)
    assert answered.status_code == 200, answered.text
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"store": "ok", "temporal": "ok"}


def stored(store: Store, event_ids: list[str]) -> tuple[int, int]:
    """Events with these ids, and customers, in the store."""
    with store.transaction() as session:
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.event_id.in_(event_ids))
        )
        customers = session.scalar(select(func.count()).select_from(Customer))
    return int(events or 0), int(customers or 0)


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_an_unavailable_postgresql_answers_503_within_the_bound_and_loses_nothing(
    fault: str,
    dev_env: WorkflowEnvironment,
    cluster: PrivatePostgres,
    pg_settings: JourneySettings,
    pg_store: Store,
    tmp_path: Path,
) -> None:
    key = {"X-API-Key": issue_key(pg_store, "outage")}
    address = dev_env.client.service_client.config.target_host
    with (
        api_process(pg_settings, address, tmp_path / "api.log", **bounded_env()) as url,
        httpx.Client(base_url=url, timeout=REQUEST_BOUND_SECONDS) as http,
    ):
        event_ids = accept_before_the_outage(http, key)
        begin_outage(cluster, fault)
        try:
            assert_unavailable(http, key)
        finally:
            end_outage(cluster, fault)
        assert_recovered(http, key)
    pg_store.dispose()
    assert stored(pg_store, event_ids) == (ACCEPTED_BEFORE, ACCEPTED_BEFORE + 1)
    print(
        f"\nFAULT store {fault} (private PostgreSQL): runs=1 faults=1"
        f" events={ACCEPTED_BEFORE} sends=0 losses=0 duplicates=0"
        " (503 + Retry-After during the outage, readiness unavailable)"
    )


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
async def test_a_send_in_flight_when_postgresql_goes_down_is_delivered_once_after_it(
    fault: str,
    dev_env: WorkflowEnvironment,
    cluster: PrivatePostgres,
    pg_settings: JourneySettings,
    pg_store: Store,
) -> None:
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    config = provider_settings(
        pg_settings, smtp, http, delivery_resend_unknown_channels=[Channel.WEBHOOK]
    )
    catalog = Catalog([webhook_journey(timedelta(minutes=2))])
    who = new_customer_id()
    customer(pg_store, who)
    http.release.clear()
    try:
        async with running_worker(dev_env.client, config, pg_store, catalog):
            client = journey_client(dev_env.client, pg_store, config, catalog)
            started = await client.enroll(ORG, who, "fault_webhook")
            await asyncio.to_thread(http.arrived.wait, 30)
            # The provider has the request; the store goes down before its answer is recorded.
            await asyncio.to_thread(begin_outage, cluster, fault)
            http.release.set()

            async def provider_answered() -> bool:
                return len(http.keys()) >= 1

            await eventually(provider_answered, seconds=20)
            # Long enough for recording the answer to fail: a frozen server is given up
            # on after the statement plus the connect timeout, then a reconnect times out.
            await asyncio.sleep(3 * STORE_BOUND_SECONDS + 1)
            await asyncio.to_thread(end_outage, cluster, fault)
            handle = dev_env.client.get_workflow_handle_for(
                JourneyWorkflow.run, started.workflow_id
            )
            result = await handle.result()
    finally:
        http.release.set()
        smtp.stop()
        http.stop()
    assert result.status is EnrollmentStatus.COMPLETED
    pg_store.dispose()
    with pg_store.transaction() as session:
        rows = session.execute(
            select(CommunicationLog.channel, CommunicationLog.status).where(
                CommunicationLog.customer_id == who
            )
        ).all()
    assert [tuple(row) for row in rows] == [("webhook", "sent")]
    keys = http.keys()
    assert len(set(keys)) == 1, keys
    print(
        f"\nFAULT store {fault} during a send (private PostgreSQL): runs=1 faults=1 events=0"
        f" sends=1 requests={len(keys)} delivered=1 losses=0 duplicates=0"
        " (a repeat carries the same idempotency key)"
    )
