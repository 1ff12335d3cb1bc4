"""``rollout status`` counts running enrollments per version and step (dev server, SQLite)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import TrackedEvent
from journeys.language import (
    EntryTrigger,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    WaitForEventStep,
)
from journeys.routing.rollout_control import RolloutControl
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually

LONG = timedelta(days=3)
STATUS_V1 = JourneyDefinition(
    id="status_demo",
    version=1,
    metadata=JourneyMetadata(name="Status demo"),
    entry=EntryTrigger(event="status_started"),
    start="first",
    steps={
        "first": WaitForEventStep(events={"status_go": "second"}, timeout=LONG, on_timeout="done"),
        "second": WaitForEventStep(events={"status_end": "done"}, timeout=LONG, on_timeout="done"),
        "done": ExitStep(outcome="done"),
    },
)
STATUS_V2 = STATUS_V1.model_copy(
    update={"version": 2, "metadata": JourneyMetadata(name="Status demo", status="draft")}
)
CATALOG = Catalog([STATUS_V1, STATUS_V2])


async def test_status_counts_running_enrollments_by_version_and_step(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    org = f"status-{uuid.uuid4().hex[:8]}"
    client = journey_client(dev_env.client, store, settings, CATALOG)
    rollouts = RolloutControl(dev_env.client, store, client.versions)
    on_v1 = [f"v1-{n}" for n in range(3)]
    async with running_worker(dev_env.client, settings, store, CATALOG):
        for who in on_v1:
            await client.enroll(org, who, STATUS_V1.id, version=1)
        await rollouts.publish(org, STATUS_V1.id, 2, weight=50, actor="test")
        await client.enroll(org, "v2-0", STATUS_V1.id, version=2)
        await client.enroll(org, "v2-1", STATUS_V1.id, version=2)
        await client.track(TrackedEvent(org_id=org, customer_id=on_v1[0], name="status_go"))
        await client.track(TrackedEvent(org_id=org, customer_id="v2-1", name="status_go"))

        async def counted() -> bool:
            status = await rollouts.status(org, STATUS_V1.id)
            found = [(v.running, v.running_by_step, v.completed) for v in status.versions]
            return found == [(3, {"first": 2, "second": 1}, 0), (2, {"first": 1, "second": 1}, 0)]

        await eventually(counted)
