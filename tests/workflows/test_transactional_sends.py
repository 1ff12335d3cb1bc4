"""A send step marked transactional is exempt from the journey's frequency caps."""

from __future__ import annotations

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.contracts.enrollment import EnrollmentResult
from journeys.language import (
    CappedPolicy,
    Channel,
    ExitStep,
    FrequencyCap,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
)
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.decisioning_fixtures import add_customer
from tests.support.network import new_customer_id
from tests.support.temporal import journey_client, running_worker

RECEIPTS = JourneyDefinition(
    id="journey_receipts_test",
    version=1,
    metadata=JourneyMetadata(name="Receipts"),
    start="news",
    steps={
        "news": SendStep(channels=[Channel.EMAIL], template="welcome", next="receipt"),
        "receipt": SendStep(
            channels=[Channel.EMAIL], template="welcome", transactional=True, next="more_news"
        ),
        "more_news": SendStep(
            channels=[Channel.EMAIL], template="welcome", on_capped=CappedPolicy.SKIP, next="done"
        ),
        "done": ExitStep(),
    },
    frequency_caps=[FrequencyCap(channel=Channel.EMAIL, limit=1)],
)


async def test_a_transactional_send_passes_a_full_cap_and_takes_no_slot(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    add_customer(store, "acme", customer, email=f"{customer}@example.com")
    catalog = Catalog([*SHIPPED_JOURNEYS, RECEIPTS])
    client = journey_client(time_skipping_env.client, store, settings, catalog)
    async with running_worker(time_skipping_env.client, settings, store):
        started = await client.enroll("acme", customer, RECEIPTS.id)
        handle = time_skipping_env.client.get_workflow_handle(
            started.workflow_id, result_type=EnrollmentResult
        )
        assert (await handle.result()).outcome == "completed"
    with store.transaction() as session:
        rows = session.execute(
            select(CommunicationLog.step_key, CommunicationLog.status, CommunicationLog.slot_at)
            .where(CommunicationLog.customer_id == customer)
            .order_by(CommunicationLog.id)
        ).all()
    assert [(step, status, slot is not None) for step, status, slot in rows] == [
        ("news#1", "sent", True),
        ("receipt#1", "sent", False),
        ("more_news#1", "capped", False),
    ]
