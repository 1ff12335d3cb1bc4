"""Versions with no running enrollment cost no Temporal call (dev server, real worker, SQLite).

An event is signalled to every version that takes entries, and to a draft or
retired version only while the store holds a running enrollment of it, or shortly
after a rollout change (an enrollment started just before writes its row at its
first workflow task).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.enrollment import enrollment_workflow_id
from journeys.routing.event_router import EventRouting, PendingRoute
from journeys.routing.rollout_control import RolloutControl
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.enrollments import has_running_enrollments
from journeys.store.events import StoredEvent
from tests.support.network import new_customer_id
from tests.support.rollout_journeys import ENTRY_EVENT, JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

CATALOG = Catalog(ROLLOUT_JOURNEYS)
ORG = f"listening-{uuid.uuid4().hex[:8]}"
"""An organisation of its own: the dev server is shared, and other tests list ``acme``'s."""


async def route(client: JourneyClient, who: str, name: str) -> EventRouting:
    """Plan an event in a store transaction and route it, as ``track`` does."""
    event = StoredEvent(
        org_id=ORG,
        event_id=uuid.uuid4().hex,
        customer_id=who,
        name=name,
        occurred_at=datetime.now(UTC),
        properties={},
        received_at=datetime.now(UTC),
    )
    with client.store.transaction() as session:
        plan = client.router.plan(session, event, now=datetime.now(UTC), again=False)
    return await client.router.route(PendingRoute(event, plan))


async def enter(client: JourneyClient, who: str) -> str:
    entered = await client.track(TrackedEvent(org_id=ORG, customer_id=who, name=ENTRY_EVENT))
    assert len(entered.enrolled) == 1, entered
    return entered.enrolled[0]


def v1_running(store: Store) -> bool:
    with store.transaction() as session:
        return has_running_enrollments(session, org_id=ORG, journey_id=JOURNEY_ID, version=1)


async def v1_has_started(store: Store) -> bool:
    return v1_running(store)


async def v1_has_ended(store: Store) -> bool:
    return not v1_running(store)


async def outcome(client: JourneyClient, workflow_id: str) -> str:
    handle = client.temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
    return (await handle.result()).outcome


async def test_versions_without_running_enrollments_are_not_signalled(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    settings = settings.model_copy(
        update={"rollout_cache_seconds": 0, "retired_version_listen_seconds": 0}
    )
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    on_v1, on_v2 = new_customer_id(), new_customer_id()
    async with running_worker(dev_env.client, settings, store, CATALOG):
        v1_enrollment = await enter(client, on_v1)
        # Only the draft v2 waits for an open: nothing runs it, so nothing is signalled.
        opened = await route(client, on_v1, "rollout_opened")
        assert (opened.signalled, opened.missed) == ([], [])
        await eventually(lambda: v1_has_started(store))
        await rollouts.publish(ORG, JOURNEY_ID, 2, actor="test", reason="ship v2")
        await enter(client, on_v2)
        # v1 takes no entries now but still runs an enrollment: its listeners are signalled.
        clicked_by_v2_customer = await route(client, on_v2, "rollout_clicked")
        assert clicked_by_v2_customer.missed == [enrollment_workflow_id(ORG, JOURNEY_ID, on_v2)]
        tracked = await client.track(
            TrackedEvent(org_id=ORG, customer_id=on_v2, name="rollout_clicked")
        )
        assert tracked.missed == clicked_by_v2_customer.missed
        clicked = await route(client, on_v1, "rollout_clicked")
        assert clicked.signalled == [v1_enrollment]
        assert await outcome(client, v1_enrollment) == "clicked_v1"
        await eventually(lambda: v1_has_ended(store))
        # Retired with no enrollment left: v1's events cost no call.
        late_click = await route(client, on_v2, "rollout_clicked")
        assert (late_click.signalled, late_click.missed) == ([], [])


async def test_an_enrollment_whose_row_is_not_written_yet_hears_events_after_a_retire(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """The race: signal-with-start started v1, no worker has run it, then v1 is retired."""
    settings = settings.model_copy(update={"rollout_cache_seconds": 0})
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    who = new_customer_id()
    enrollment = await enter(client, who)
    await rollouts.publish(ORG, JOURNEY_ID, 2, actor="test", reason="ship v2")
    assert not v1_running(store)
    clicked = await route(client, who, "rollout_clicked")
    assert clicked.signalled == [enrollment]
    async with running_worker(dev_env.client, settings, store, CATALOG):
        assert await outcome(client, enrollment) == "clicked_v1"
