"""The JourneyClient facade: closing, time zones at identify, what an entry event answers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from journeys.client import JourneyClient, TrackedEvent
from journeys.errors import ClientClosedError, InvalidTimeZoneError
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import find_customer
from journeys.store.tables.customers import Customer
from tests.support.network import new_customer_id
from tests.support.routing import unreachable_temporal
from tests.support.temporal import journey_client, running_worker


async def test_an_entry_event_for_a_running_enrollment_answers_signalled(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    who = new_customer_id()
    workflow_id = f"journey:acme:demo_tour:{who}"
    async with running_worker(dev_env.client, settings, store):
        first = await client.track(
            TrackedEvent(org_id="acme", customer_id=who, name="demo_started")
        )
        assert (first.enrolled, first.signalled) == ([workflow_id], [])
        second = await client.track(
            TrackedEvent(org_id="acme", customer_id=who, name="demo_started")
        )
        assert (second.stored, second.enrolled, second.signalled) == (True, [], [workflow_id])
        state = await client.get_enrollment("acme", who, "demo_tour")
        assert state.event_counts["demo_started"] == 2
        await client.exit("acme", who, "demo_tour", "test over")


async def test_identify_refuses_an_unknown_time_zone_and_stores_nothing(
    settings: JourneySettings, store: Store
) -> None:
    client = journey_client(await unreachable_temporal(), store, settings)
    who = new_customer_id()
    for zone in ("Mars/Olympus", "utc", "", "Europe", "../etc/passwd"):
        with pytest.raises(InvalidTimeZoneError, match=r"^timezone: unknown IANA time zone"):
            await client.identify("acme", who, timezone=zone)
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
    await client.identify("acme", who, timezone="Europe/Paris")
    with store.transaction() as session:
        profile = find_customer(session, org_id="acme", customer_id=who)
        assert profile is not None
        assert profile.timezone == "Europe/Paris"


async def test_the_client_closes_like_an_httpx_client(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    address = dev_env.client.service_client.config.target_host
    connected = settings.model_copy(update={"temporal_address": address})
    async with await JourneyClient.connect(connected) as journeys:
        pool = journeys.store.engine.pool
        tracked = await journeys.track(
            TrackedEvent(org_id="acme", customer_id=new_customer_id(), name="page_viewed")
        )
        assert tracked.stored
    with pytest.raises(ClientClosedError, match="closed"):
        await journeys.track(TrackedEvent(org_id="acme", customer_id="c", name="page_viewed"))
    with pytest.raises(ClientClosedError):
        await journeys.identify("acme", "c")
    # The store it opened is closed (disposing an engine replaces its pool).
    assert journeys.store.engine.pool is not pool
    await journeys.aclose()  # idempotent

    # A store passed in belongs to its owner: closing the client leaves it open.
    given = journey_client(dev_env.client, store, settings)
    pool = store.engine.pool
    await given.aclose()
    with pytest.raises(ClientClosedError):
        await given.enroll("acme", "c", "demo_tour")
    assert store.engine.pool is pool
