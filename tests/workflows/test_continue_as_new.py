"""Continue-as-new loses no event: hundreds of events on a dev server that suggests it early."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import EnrollmentState, EventSignal
from journeys.devtools.temporal_binaries import temporal_cli_path
from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
    EventCountCondition,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    WaitForEventStep,
)
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.journey_scenarios import ORG
from tests.support.temporal import journey_client, running_worker
from workflows.journey_workflow import JourneyWorkflow

EVENTS = 400
SUGGEST_AFTER = 60
"""History events after which the server suggests continue-as-new (default: thousands)."""

LISTENER = JourneyDefinition(
    id="journey_listener_test",
    version=1,
    metadata=JourneyMetadata(name="Counts pings until done"),
    start="listen",
    steps={
        "listen": WaitForEventStep(
            events={"done": "check"}, timeout=timedelta(days=1), on_timeout="timed_out"
        ),
        "check": BranchStep(
            cases=[BranchCase(when=EventCountCondition(event="ping", at_least=EVENTS), next="all")],
            otherwise="lost_some",
        ),
        "all": ExitStep(outcome="all_events_counted"),
        "lost_some": ExitStep(outcome="events_lost"),
        "timed_out": ExitStep(outcome="timed_out"),
    },
    channels=[Channel.IN_APP],
)


@pytest.fixture(scope="module")
async def eager_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL_KEYS,
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}",
            "--log-level",
            "error",
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_hundreds_of_events_across_continue_as_new(
    eager_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    customer = f"can-{uuid.uuid4().hex[:6]}"
    client = journey_client(
        eager_env.client, store, settings, Catalog([*SHIPPED_JOURNEYS, LISTENER])
    )
    async with running_worker(eager_env.client, settings, store):
        started = await client.enroll(ORG, customer, LISTENER.id)
        handle: WorkflowHandle[object, object] = eager_env.client.get_workflow_handle(
            started.workflow_id
        )
        now = datetime.now(UTC)
        for batch in range(0, EVENTS, 50):
            await asyncio.gather(
                *(
                    handle.signal(
                        "record_event",
                        EventSignal(event_id=f"ping-{i}", name="ping", occurred_at=now),
                    )
                    for i in range(batch, batch + 50)
                )
            )
        # A duplicate delivery of an event already counted is dropped.
        await handle.signal(
            "record_event", EventSignal(event_id="ping-7", name="ping", occurred_at=now)
        )
        counted = await handle.query("state", result_type=EnrollmentState)
        assert counted.event_counts["ping"] == EVENTS
        await handle.signal(
            "record_event", EventSignal(event_id="done-1", name="done", occurred_at=now)
        )
        result = await eager_env.client.get_workflow_handle_for(
            JourneyWorkflow.run, started.workflow_id
        ).result()
        description = await handle.describe()
    assert result.outcome == "all_events_counted"
    assert description.run_id != started.run_id, "the enrollment never continued as new"
