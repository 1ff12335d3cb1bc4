"""End to end on real Temporal servers: enrollment, signals, visibility, idempotency, re-entry."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from journeys.catalog.welcome import WELCOME_V2
from journeys.client import TrackedEvent
from journeys.contracts import search_attributes as sa
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.enrollments import Enrollment
from journeys.store.tables.events import Event
from tests.support.temporal import finished, journey_client, running_worker
from workflows.journey_workflow import JourneyWorkflow

VISIBILITY_POLLS = 100
"""Visibility is eventually consistent: poll it at most this many times, 0.1 s apart."""


async def visible(client: Client, query: str, expected: int) -> list[str]:
    """Workflow ids matching a visibility query, once ``expected`` of them are listed."""
    ids: list[str] = []
    for _ in range(VISIBILITY_POLLS):
        ids = [execution.id async for execution in client.list_workflows(query)]
        if len(ids) >= expected:
            return ids
        await asyncio.sleep(0.1)
    raise AssertionError(f"{query!r} listed {ids}, expected {expected} workflows")


async def test_enroll_signal_and_find_by_search_attributes(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    customer = f"dev-{settings.task_queue}"
    async with running_worker(dev_env.client, settings, store):
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id=customer, name="account_created")
        )
        assert tracked.stored
        [workflow_id] = tracked.enrolled
        routed = await client.track(
            TrackedEvent(org_id="acme", customer_id=customer, name="core_workflow_completed")
        )
        assert routed.signalled == [workflow_id]

        query = f"JourneyCustomerId = '{customer}' AND JourneyId = 'journey_welcome'"
        waiting = f"{query} AND JourneyStep = 'wait_day_1' AND JourneyStatus = 'active'"
        assert await visible(dev_env.client, waiting, 1) == [workflow_id]

        description = await dev_env.client.get_workflow_handle(workflow_id).describe()
        attributes = description.typed_search_attributes
        assert attributes.get(sa.ORG_ID) == "acme"
        assert attributes.get(sa.JOURNEY_VERSION) == WELCOME_V2.version
        assert attributes.get(sa.CURRENT_STEP) == "wait_day_1"
        assert attributes.get(sa.STATUS) == "active"
        assert description.status is WorkflowExecutionStatus.RUNNING

        state = await client.get_enrollment("acme", customer, "journey_welcome")
        assert state.current_step == "wait_day_1"
        assert state.status is EnrollmentStatus.ACTIVE
        assert state.event_counts == {"account_created": 1, "core_workflow_completed": 1}
        assert state.wait_until is not None
        assert [entry.step for entry in state.path] == ["welcome_email", "wait_day_1"]

        await client.exit("acme", customer, "journey_welcome", reason="test over")
        result = await dev_env.client.get_workflow_handle_for(
            JourneyWorkflow.run, workflow_id
        ).result()
        assert result.status is EnrollmentStatus.EXITED


async def test_duplicate_event_id_is_stored_and_routed_once(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings)
    customer = f"dup-{settings.task_queue}"
    event = TrackedEvent(
        org_id="acme", customer_id=customer, name="account_created", event_id=f"evt-{customer}"
    )
    async with running_worker(dev_env.client, settings, store):
        first = await client.track(event)
        second = await client.track(event)
        assert first.stored
        assert len(first.enrolled) == 1
        assert (second.stored, second.enrolled, second.signalled) == (False, [], [])
        state = await client.get_enrollment("acme", customer, "journey_welcome")
        assert state.event_counts == {"account_created": 1}
        await client.exit("acme", customer, "journey_welcome", reason="test over")
        await dev_env.client.get_workflow_handle(first.enrolled[0]).result()
    with store.transaction() as session:
        rows = session.scalar(
            select(func.count()).select_from(Event).where(Event.event_id == event.event_id)
        )
    assert rows == 1


@pytest.mark.parametrize(
    ("entry_event", "journey_id", "outcome"),
    [("account_created", "journey_welcome", "guided"), ("demo_started", "demo_tour", "no_click")],
)
async def test_late_entry_event_after_completion_does_not_re_enroll(
    time_skipping_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    entry_event: str,
    journey_id: str,
    outcome: str,
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    async with running_worker(time_skipping_env.client, settings, store):
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id="late-1", name=entry_event)
        )
        [workflow_id] = tracked.enrolled
        first = await finished(time_skipping_env, workflow_id)
        assert (first.status, first.outcome) == (EnrollmentStatus.COMPLETED, outcome)
        handle = time_skipping_env.client.get_workflow_handle(workflow_id)
        first_run = (await handle.describe()).run_id

        late = await client.track(
            TrackedEvent(org_id="acme", customer_id="late-1", name=entry_event)
        )

    assert late.stored
    assert late.enrolled == []
    assert [skip.journey_id for skip in late.skipped] == [journey_id]
    assert "re-entry is never" in late.skipped[0].reason
    latest = await handle.describe()
    assert latest.run_id == first_run
    assert latest.status is WorkflowExecutionStatus.COMPLETED
    with store.transaction() as session:
        enrollments = session.scalars(select(Enrollment.workflow_id)).all()
    assert enrollments == [workflow_id]
