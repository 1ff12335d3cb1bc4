"""The welcome journey's Day-1 branches, on the time-skipping server."""

from __future__ import annotations

import json

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.client import TrackedEvent
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.enrollments import Enrollment
from tests.support.temporal import finished, journey_client, running_worker


async def test_day_1_without_core_workflow_sends_getting_started_guide(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    await client.identify("acme", "cust-1", attributes={"first_name": "Ada"})
    async with running_worker(time_skipping_env.client, settings, store):
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id="cust-1", name="account_created")
        )
        assert tracked.enrolled == ["journey:acme:journey_welcome:cust-1"]
        result = await finished(time_skipping_env, tracked.enrolled[0])

    assert result.status is EnrollmentStatus.COMPLETED
    assert result.outcome == "guided"
    assert result.path == [
        "welcome_email",
        "wait_day_1",
        "check_core_workflow",
        "getting_started_guide",
        "not_yet_activated",
    ]
    with store.transaction() as session:
        sends = session.scalars(select(CommunicationLog).order_by(CommunicationLog.id)).all()
        enrollment = session.scalars(select(Enrollment)).one()
    assert [(s.template, s.channel, s.status) for s in sends] == [
        ("welcome", "email", "sent"),
        ("getting_started_guide", "email", "sent"),
    ]
    assert sends[0].subject == "Welcome aboard, Ada!"
    assert (enrollment.status, enrollment.outcome) == ("completed", "guided")
    outbox = [
        json.loads(line) for line in (settings.data_dir / "outbox.jsonl").read_text().splitlines()
    ]
    assert [m["template"] for m in outbox] == ["welcome", "getting_started_guide"]


async def test_day_1_after_core_workflow_sends_great_start(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    async with running_worker(time_skipping_env.client, settings, store):
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id="cust-2", name="account_created")
        )
        routed = await client.track(
            TrackedEvent(org_id="acme", customer_id="cust-2", name="core_workflow_completed")
        )
        assert routed.signalled == tracked.enrolled
        result = await finished(time_skipping_env, tracked.enrolled[0])

    assert result.outcome == "activated"
    assert result.path[-2:] == ["great_start", "activated"]
    with store.transaction() as session:
        templates = session.scalars(
            select(CommunicationLog.template).order_by(CommunicationLog.id)
        ).all()
    assert templates == ["welcome", "great_start"]
