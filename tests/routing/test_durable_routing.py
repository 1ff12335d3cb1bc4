"""Durable routing: an event stored but not routed is routed later, never lost.

Real Temporal (the dev server), the real store and the real worker; the
outage is a Temporal client to a port nobody listens on, and the crash between
storing and routing is an event stored through the store function alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import default_catalog
from journeys.client import TrackedEvent
from journeys.routing.event_router import EventRouter
from journeys.routing.unrouted_events import UnroutedEventSweeper
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.events import find_unrouted_event, record_event
from tests.support.network import new_customer_id
from tests.support.routing import unreachable_temporal
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workers.journey_worker import sweeping_unrouted_events
from workflows.journey_workflow import JourneyWorkflow


def unrouted(store: Store, org_id: str, event_id: str) -> bool:
    with store.transaction() as session:
        return find_unrouted_event(session, org_id=org_id, event_id=event_id) is not None


async def test_an_event_tracked_while_temporal_is_down_is_routed_by_its_retry(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    who = new_customer_id()
    entry = TrackedEvent(org_id="acme", customer_id=who, name="demo_started", event_id=f"s-{who}")
    down = journey_client(await unreachable_temporal(), store, settings)
    with pytest.raises(RuntimeError, match="Failed client connect"):
        await down.track(entry)
    assert unrouted(store, "acme", entry.event_id)

    back = journey_client(dev_env.client, store, settings)
    retried = await back.track(entry)
    workflow_id = f"journey:acme:demo_tour:{who}"
    assert (retried.stored, retried.enrolled, retried.signalled) == (False, [workflow_id], [])
    assert not unrouted(store, "acme", entry.event_id)
    # Routed now: a further retry is a plain duplicate and goes nowhere.
    again = await back.track(entry)
    assert (again.stored, again.enrolled, again.signalled) == (False, [], [])
    handle = dev_env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
    await handle.terminate("test over")


async def test_a_batch_keeps_what_it_could_not_route_for_later(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    who = new_customer_id()
    events = [
        TrackedEvent(org_id="acme", customer_id=who, name="page_viewed", event_id=f"v-{who}"),
        TrackedEvent(org_id="acme", customer_id=who, name="demo_started", event_id=f"s-{who}"),
    ]
    down = journey_client(await unreachable_temporal(), store, settings)
    with pytest.raises(RuntimeError):
        await down.track_batch(events)
    # Nobody listens to page views: nothing to route, so nothing left unrouted.
    assert [unrouted(store, "acme", e.event_id) for e in events] == [False, True]


async def test_the_worker_sweep_routes_an_event_left_unrouted_and_the_enrollment_sees_it_once(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    who = new_customer_id()
    async with running_worker(dev_env.client, settings, store):
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id=who, name="demo_started")
        )
        [workflow_id] = tracked.enrolled

        async def waiting_for_the_click() -> bool:
            state = await client.get_enrollment("acme", who, "demo_tour")
            return state.waiting_for == ["demo_clicked"]

        await eventually(waiting_for_the_click)
        # The process storing the click dies before it signals: stored, never routed.
        with store.transaction() as session:
            record_event(
                session,
                org_id="acme",
                event_id=f"click-{who}",
                customer_id=who,
                name="demo_clicked",
                occurred_at=datetime.now(UTC),
                properties={},
                route=True,
            )
        # A sweep leaves events younger than the grace period to the call routing them.
        patient = UnroutedEventSweeper(
            EventRouter(dev_env.client, store, default_catalog(), settings),
            interval_seconds=60,
            grace_seconds=3_600,
        )
        assert await patient.sweep() == 0
        assert unrouted(store, "acme", f"click-{who}")

        sweeping = settings.model_copy(
            update={"unrouted_event_sweep_seconds": 0.2, "unrouted_event_grace_seconds": 0}
        )
        async with sweeping_unrouted_events(dev_env.client, sweeping, store, default_catalog()):
            handle = dev_env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
            result = await handle.result()
            assert (result.outcome, result.path) == (
                "converted",
                ["ping", "wait_for_click", "clicked", "converted"],
            )
            state = await handle.query(JourneyWorkflow.state)
            assert state.event_counts == {"demo_started": 1, "demo_clicked": 1}
        assert not unrouted(store, "acme", f"click-{who}")


async def test_an_event_of_a_customer_with_an_unrouted_earlier_event_is_routed_after_it(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """A client that gives up on a 503 and goes on with the customer's next event.

    The click must not be routed while the start, which enrolls the customer, is
    still unrouted: no enrollment would hear it, and the sweep would then start
    one that never does.
    """
    who = new_customer_id()
    start = TrackedEvent(org_id="acme", customer_id=who, name="demo_started", event_id=f"s-{who}")
    click = TrackedEvent(org_id="acme", customer_id=who, name="demo_clicked", event_id=f"c-{who}")
    down = journey_client(await unreachable_temporal(), store, settings)
    with pytest.raises(RuntimeError, match="Failed client connect"):
        await down.track(start)
    back = journey_client(dev_env.client, store, settings)
    workflow_id = f"journey:acme:demo_tour:{who}"
    async with running_worker(dev_env.client, settings, store):
        clicked = await back.track(click)
        assert clicked.signalled == [workflow_id]
        assert not unrouted(store, "acme", start.event_id)
        sweeper = UnroutedEventSweeper(
            EventRouter(dev_env.client, store, default_catalog(), settings),
            interval_seconds=60,
            grace_seconds=0,
        )
        assert await sweeper.sweep() == 0
        handle = dev_env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
        state = await handle.query(JourneyWorkflow.state)
        assert state.event_counts == {"demo_started": 1, "demo_clicked": 1}
        await handle.terminate("test over")
