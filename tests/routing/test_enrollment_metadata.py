"""An enrollment reads as a journey in the Temporal UI from its start."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from journeys.catalog import default_catalog
from journeys.contracts.ui_metadata import enrollment_details
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.network import new_customer_id
from tests.support.temporal import journey_client


async def test_an_enrollment_starts_with_its_journey_as_summary_and_details(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    who = new_customer_id()
    started = await journey_client(dev_env.client, store, settings).enroll("acme", who, "demo_tour")
    description = await dev_env.client.get_workflow_handle(started.workflow_id).describe()
    tour = default_catalog().get("demo_tour")
    summary = await description.static_summary()
    assert summary is not None
    assert tour.key in summary
    assert who in summary
    assert await description.static_details() == enrollment_details(tour)
    assert f"`{tour.start}`" in enrollment_details(tour)
