"""Event routing and the Python client on the Temporal dev server with a real worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.errors import EnrollmentNotFoundError, InvalidInputError
from journeys.language import EntryTrigger, ReentryPolicy
from journeys.language.steps import AttributeCondition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import is_opted_out
from journeys.store.enrollments import upsert_enrollment
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event
from tests.support.network import new_customer_id
from tests.support.routing import journey_variant, unreachable_temporal
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually


async def test_an_event_nobody_listens_to_costs_one_store_write_and_no_temporal_call(
    settings: JourneySettings, store: Store
) -> None:
    client = journey_client(await unreachable_temporal(), store, settings)
    who = new_customer_id()
    event = TrackedEvent(org_id="acme", customer_id=who, name="page_viewed", event_id="e-1")
    first = await client.track(event)
    second = await client.track(event)
    assert (first.stored, first.enrolled, first.signalled) == (True, [], [])
    assert second.stored is False
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


async def test_concurrent_tracks_store_each_event_once(
    settings: JourneySettings, store: Store
) -> None:
    """Concurrent calls share transactions (group commit); duplicates still store once."""
    client = journey_client(await unreachable_temporal(), store, settings)
    who = new_customer_id()
    events = [
        TrackedEvent(org_id="acme", customer_id=who, name="page_viewed", event_id=f"pv-{i % 30}")
        for i in range(90)
    ]
    results = await asyncio.gather(*(client.track(event) for event in events))
    stored = [result.event_id for result in results if result.stored]
    assert sorted(stored) == sorted(f"pv-{i}" for i in range(30))
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 30


async def test_future_events_are_refused_before_anything_is_stored(
    settings: JourneySettings, store: Store
) -> None:
    client = journey_client(await unreachable_temporal(), store, settings)
    ahead = datetime.now(UTC) + timedelta(seconds=settings.event_future_tolerance_seconds + 60)
    fine = TrackedEvent(org_id="acme", customer_id="c", name="page_viewed")
    late = TrackedEvent(org_id="acme", customer_id="c", name="page_viewed", occurred_at=ahead)
    with pytest.raises(InvalidInputError, match=r"events\[1\]\.occurred_at"):
        await client.track_batch([fine, late])
    with pytest.raises(InvalidInputError, match="occurred_at"):
        await client.track(late)
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


async def test_conflict_groups_priority_and_journey_status_decide_entries(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    catalog = Catalog(
        [
            journey_variant("trial_low", "trial_started", group="trials", priority=1),
            journey_variant("trial_high", "trial_started", group="trials", priority=10),
            journey_variant("trial_paused", "trial_started", status="paused"),
            journey_variant("trial_solo", "trial_started"),
        ]
    )
    client = journey_client(dev_env.client, store, settings, catalog)
    who = new_customer_id()
    async with running_worker(dev_env.client, settings, store):
        result = await client.track(
            TrackedEvent(org_id="acme", customer_id=who, name="trial_started")
        )
        assert sorted(result.enrolled) == [
            f"journey:acme:trial_solo:{who}",
            f"journey:acme:trials:{who}",
        ]
        reasons = {s.journey_id: s.reason for s in result.skipped}
        assert reasons == {
            "trial_low": "conflict group trials: trial_high wins",
            "trial_paused": "journey status is paused",
        }
        state = await client.get_enrollment("acme", who, "trial_high")
        assert state.journey_id == "trial_high"
        await client.exit("acme", who, "trial_high", "test over")
        await client.exit("acme", who, "trial_solo", "test over")


async def test_a_batch_routes_each_customers_events_in_order(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    first, second = new_customer_id(), new_customer_id()
    events = [
        TrackedEvent(org_id="acme", customer_id=who, name=name)
        for who in (first, second)
        for name in ("demo_started", "demo_clicked")
    ]
    async with running_worker(dev_env.client, settings, store):
        results = await client.track_batch(events)
        assert [r.stored for r in results] == [True] * 4
        for index, who in enumerate((first, second)):
            workflow_id = f"journey:acme:demo_tour:{who}"
            assert results[2 * index].enrolled == [workflow_id]
            assert results[2 * index + 1].signalled == [workflow_id]

        # A click counts once the enrollment waits for it (events before the wait do not).
        async def both_waiting() -> bool:
            states = [await client.get_enrollment("acme", w, "demo_tour") for w in (first, second)]
            return all(s.waiting_for == ["demo_clicked"] for s in states)

        await eventually(both_waiting)
        clicks = [
            TrackedEvent(org_id="acme", customer_id=who, name="demo_clicked")
            for who in (first, second)
        ]
        await client.track_batch(clicks)
        for who in (first, second):
            handle = dev_env.client.get_workflow_handle(f"journey:acme:demo_tour:{who}")
            assert (await handle.result())["outcome"] == "converted"


async def test_an_enrollment_is_listed_by_its_step_before_any_worker_runs(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    # Search attributes are set at start, so ops can find the enrollment at once.
    client = journey_client(dev_env.client, store, settings)
    who = new_customer_id()
    tracked = await client.track(TrackedEvent(org_id="acme", customer_id=who, name="demo_started"))

    async def listed() -> bool:
        found = await client.list_enrollments("acme", customer_id=who, journey_id="demo_tour")
        return [(e.current_step, e.status, e.journey_version) for e in found] == [
            ("ping", "active", 1)
        ]

    await eventually(listed)
    await dev_env.client.get_workflow_handle(tracked.enrolled[0]).terminate("test over")


async def test_listing_showing_exiting_and_opting_out(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    who, bystander = new_customer_id(), new_customer_id()
    async with running_worker(dev_env.client, settings, store):
        await client.track(TrackedEvent(org_id="acme", customer_id=who, name="demo_started"))
        await client.track(TrackedEvent(org_id="acme", customer_id=who, name="account_created"))
        await client.track(TrackedEvent(org_id="acme", customer_id=bystander, name="demo_started"))

        async def both_listed() -> bool:
            found = await client.list_enrollments("acme", customer_id=who)
            return {e.journey_id for e in found} == {"demo_tour", "journey_welcome"}

        await eventually(both_listed)
        found = await client.list_enrollments("acme", customer_id=who, journey_id="demo_tour")
        assert [(e.customer_id, e.org_id, e.status) for e in found] == [(who, "acme", "active")]
        assert await client.list_enrollments("globex", customer_id=who) == []
        with pytest.raises(InvalidInputError, match="customer_id"):
            await client.list_enrollments("acme", customer_id="x' OR '1'='1")
        with pytest.raises(EnrollmentNotFoundError):
            await client.get_enrollment("globex", who, "demo_tour")

        email = await client.opt_out("acme", who, channel="email", source="test")
        assert email.exited == []
        with pytest.raises(InvalidInputError, match="channel"):
            await client.opt_out("acme", who, channel="pigeon")
        everything = await client.opt_out("acme", who, source="test")
        assert sorted(everything.exited) == [
            f"journey:acme:demo_tour:{who}",
            f"journey:acme:journey_welcome:{who}",
        ]
        for journey_id in ("demo_tour", "journey_welcome"):
            handle = dev_env.client.get_workflow_handle(f"journey:acme:{journey_id}:{who}")
            assert (await handle.result())["outcome"] == "exit_requested:opt_out:test"
        with store.transaction() as session:
            assert is_opted_out(session, org_id="acme", customer_id=who, channel="sms")
        bystander_state = await client.get_enrollment("acme", bystander, "demo_tour")
        assert bystander_state.status is EnrollmentStatus.ACTIVE

        with pytest.raises(EnrollmentNotFoundError):
            await client.exit("acme", who, "demo_tour", "again")

        async def ended_in_store() -> bool:
            again = await client.track(
                TrackedEvent(org_id="acme", customer_id=who, name="demo_started")
            )
            return bool(again.skipped) and "re-entry is never" in again.skipped[0].reason

        await eventually(ended_in_store)
        await client.exit("acme", bystander, "demo_tour", "test over")


async def test_lifecycle_stage_property_updates_the_profile(
    settings: JourneySettings, store: Store
) -> None:
    client = JourneyClient(await unreachable_temporal(), store, Catalog([]), settings)
    who = new_customer_id()
    await client.track(
        TrackedEvent(
            org_id="acme",
            customer_id=who,
            name="plan_upgraded",
            properties={"lifecycle_stage": "expansion"},
        )
    )
    with store.transaction() as session:
        profile = session.scalars(select(Customer).where(Customer.customer_id == who)).one()
    assert profile.lifecycle_stage == "expansion"


async def test_entry_conditions_and_minimum_time_between_entries_refuse_without_temporal(
    settings: JourneySettings, store: Store
) -> None:
    starter_only = journey_variant("starter_only", "trial_started").model_copy(
        update={
            "entry": EntryTrigger(
                event="trial_started",
                conditions=[AttributeCondition(attribute="plan", value="starter")],
            )
        }
    )
    spaced = journey_variant("spaced", "pinged").model_copy(
        update={
            "reentry": ReentryPolicy.AFTER_EXIT,
            "min_time_between_entries": timedelta(hours=24),
        }
    )
    client = JourneyClient(
        await unreachable_temporal(), store, Catalog([starter_only, spaced]), settings
    )
    who = new_customer_id()
    await client.identify("acme", who, attributes={"plan": "pro"})
    refused = await client.track(TrackedEvent(org_id="acme", customer_id=who, name="trial_started"))
    assert refused.enrolled == []
    assert [(s.journey_id, s.reason) for s in refused.skipped] == [
        ("starter_only", "entry condition plan eq 'starter' does not hold (the profile has 'pro')")
    ]

    # An enrollment that started 23 hours ago and has ended: after_exit would
    # allow a new one, the 24-hour spacing does not.
    started = datetime.now(UTC) - timedelta(hours=23)
    with store.transaction() as session:
        for status, at in (
            (EnrollmentStatus.ACTIVE, started),
            (EnrollmentStatus.COMPLETED, started),
        ):
            upsert_enrollment(
                session,
                EnrollmentRecord(
                    org_id="acme",
                    customer_id=who,
                    journey_id="spaced",
                    journey_version=1,
                    workflow_id=f"journey:acme:spaced:{who}",
                    enrollment_id=f"spaced-{who}",
                    status=status,
                    outcome="converted",
                    at=at,
                ),
            )
    too_soon = await client.track(TrackedEvent(org_id="acme", customer_id=who, name="pinged"))
    assert too_soon.enrolled == []
    [skip] = too_soon.skipped
    assert skip.journey_id == "spaced"
    assert "minimum time between entries" in skip.reason
