"""Every live version is routed; drafts take no entries (dev server, real worker, SQLite).

The same holds for events the sweeper routes after the process that stored them died.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.enrollment import enrollment_workflow_id
from journeys.errors import EnrollmentNotFoundError, EnrollmentRefusedError
from journeys.routing.event_router import EventRouter
from journeys.routing.rollout_control import RolloutControl
from journeys.routing.unrouted_events import UnroutedEventSweeper
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.events import find_unrouted_event, record_event
from journeys.store.tables.enrollments import Enrollment
from tests.support.network import new_customer_id
from tests.support.rollout_journeys import (
    DRAFT_ONLY,
    ENTRY_EVENT,
    JOURNEY_ID,
    ROLLOUT_JOURNEYS,
    ROUTER,
)
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

CATALOG = Catalog(ROLLOUT_JOURNEYS)


def event(org: str, who: str, name: str) -> TrackedEvent:
    return TrackedEvent(org_id=org, customer_id=who, name=name)


async def outcome(client: JourneyClient, workflow_id: str) -> str:
    handle = client.temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
    return (await handle.result()).outcome


async def test_a_v1_customer_is_still_routed_after_v2_is_published(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """The defect: routing read only the newest version, so v1's events went nowhere."""
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    clicker, leaver, newcomer = new_customer_id(), new_customer_id(), new_customer_id()
    async with running_worker(dev_env.client, settings, store, CATALOG):
        for who in (clicker, leaver):
            started = await client.track(event("acme", who, ENTRY_EVENT))
            assert started.enrolled == [enrollment_workflow_id("acme", JOURNEY_ID, who)]
        # v2 waits for another event, in another conflict group.
        await rollouts.publish("acme", JOURNEY_ID, 2, actor="test", reason="ship v2")
        click = await client.track(event("acme", clicker, "rollout_clicked"))
        assert click.signalled == [enrollment_workflow_id("acme", JOURNEY_ID, clicker)]
        assert await outcome(client, click.signalled[0]) == "clicked_v1"
        legacy_exit = await client.track(event("acme", leaver, "rollout_legacy_opt_out"))
        ended = await outcome(client, legacy_exit.signalled[0])
        assert ended == "exit_event:rollout_legacy_opt_out"
        # New entries take v2, under its own conflict group.
        entered = await client.track(event("acme", newcomer, ENTRY_EVENT))
        assert entered.enrolled == [enrollment_workflow_id("acme", "rollout_group", newcomer)]
        state = await client.get_enrollment("acme", newcomer, JOURNEY_ID)
        assert (state.journey_version, state.current_step) == (2, "wait_click")
        # State, list and exit reach the v1 enrollments as well.
        old = await client.get_enrollment("acme", clicker, JOURNEY_ID)
        assert (old.journey_version, old.outcome) == (1, "clicked_v1")

        async def listed_by_version() -> bool:
            on_v1 = await client.list_enrollments("acme", journey_id=JOURNEY_ID, version=1)
            on_v2 = await client.list_enrollments("acme", journey_id=JOURNEY_ID, version=2)
            return {e.customer_id for e in on_v1} == {clicker, leaver} and [
                e.customer_id for e in on_v2
            ] == [newcomer]

        await eventually(listed_by_version)
        workflow_id = await client.exit("acme", newcomer, JOURNEY_ID, "test over")
        assert workflow_id == enrollment_workflow_id("acme", "rollout_group", newcomer)
        assert await outcome(client, workflow_id) == "exit_requested:test over"


async def test_drafts_take_no_entries_from_any_path(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    # The worker's transitions read rollouts through their own cache: no reuse here.
    settings = settings.model_copy(update={"rollout_cache_seconds": 0})
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    who = new_customer_id()
    async with running_worker(dev_env.client, settings, store, CATALOG):
        # Event: the draft v2 (newest) does not stop v1 taking the entry.
        entered = await client.track(event("acme", who, ENTRY_EVENT))
        assert entered.enrolled == [enrollment_workflow_id("acme", JOURNEY_ID, who)]
        assert (await client.get_enrollment("acme", who, JOURNEY_ID)).journey_version == 1
        await client.exit("acme", who, JOURNEY_ID, "test over")
        # An event whose only journey is a draft starts nothing.
        drafted = await client.track(event("acme", who, "rollout_draft_started"))
        assert drafted.enrolled == []
        assert [s.journey_id for s in drafted.skipped] == [DRAFT_ONLY.id]
        # API enroll: neither an explicit draft version nor a journey of drafts only.
        with pytest.raises(EnrollmentRefusedError, match="rollout_demo@2 is draft"):
            await client.enroll("acme", new_customer_id(), JOURNEY_ID, version=2)
        with pytest.raises(EnrollmentRefusedError, match="no active version"):
            await client.enroll("acme", new_customer_id(), DRAFT_ONLY.id)
        # Transition: a step handing over to a journey of drafts only is refused.
        routed = new_customer_id()
        handed = await client.enroll("acme", routed, ROUTER.id)
        assert await outcome(client, handed.workflow_id) == "handed_over"
        with store.transaction() as session:
            query = select(Enrollment.journey_id).where(Enrollment.customer_id == routed)
            journeys = set(session.scalars(query))
        assert journeys == {ROUTER.id}
        # Published, the draft takes entries from the same paths.
        await rollouts.publish("acme", DRAFT_ONLY.id, 1, actor="test")
        routed_again = new_customer_id()
        again = await client.enroll("acme", routed_again, ROUTER.id)
        assert await outcome(client, again.workflow_id) == "handed_over"
        handed_over = enrollment_workflow_id("acme", DRAFT_ONLY.id, routed_again)
        assert await outcome(client, handed_over) == "done"
        started = await client.enroll("acme", new_customer_id(), DRAFT_ONLY.id)
        assert await outcome(client, started.workflow_id) == "done"


def store_unrouted(store: Store, who: str, name: str) -> str:
    """An event stored by a process that died before routing it."""
    event_id = f"{name}-{who}"
    with store.transaction() as session:
        record_event(
            session,
            org_id="acme",
            event_id=event_id,
            customer_id=who,
            name=name,
            occurred_at=datetime.now(UTC),
            properties={},
            route=True,
        )
    return event_id


async def test_the_sweeper_routes_stored_events_by_the_live_versions(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    settings = settings.model_copy(update={"rollout_cache_seconds": 0})
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    sweeper = UnroutedEventSweeper(
        EventRouter(dev_env.client, store, CATALOG, settings), interval_seconds=60, grace_seconds=0
    )
    early, drafted, late = new_customer_id(), new_customer_id(), new_customer_id()
    async with running_worker(dev_env.client, settings, store, CATALOG):
        ids = [
            store_unrouted(store, early, ENTRY_EVENT),
            store_unrouted(store, drafted, "rollout_draft_started"),
        ]
        assert await sweeper.sweep() == 2
        # The entry takes v1 (v2, the newest, is a draft); a journey of drafts only takes none.
        assert (await client.get_enrollment("acme", early, JOURNEY_ID)).journey_version == 1
        with pytest.raises(EnrollmentNotFoundError):
            await client.get_enrollment("acme", drafted, DRAFT_ONLY.id)
        with store.transaction() as session:
            assert [find_unrouted_event(session, org_id="acme", event_id=i) for i in ids] == [
                None,
                None,
            ]
        # Published, v2 takes the entries the sweeper routes, under its own conflict group.
        await rollouts.publish("acme", JOURNEY_ID, 2, actor="test", reason="ship v2")
        store_unrouted(store, late, ENTRY_EVENT)
        assert await sweeper.sweep() == 1
        v2_key = enrollment_workflow_id("acme", "rollout_group", late)
        handle = dev_env.client.get_workflow_handle_for(JourneyWorkflow.run, v2_key)
        assert (await handle.query(JourneyWorkflow.state)).journey_version == 2
