"""The Temporal UI reads as a journey: each timer and activity carries a summary."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.converter import default
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.ui_metadata import enrollment_details, enrollment_summary
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED, customers_in_arm, measured_catalog
from tests.support.temporal import finished, journey_client, running_worker

SUMMARISED = {
    EventType.EVENT_TYPE_TIMER_STARTED: "timer",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    EventType.EVENT_TYPE_MARKER_RECORDED: "local activity",
}


async def test_timers_and_activities_say_what_the_journey_does(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    client = journey_client(env.client, store, settings, measured_catalog())
    (customer,) = customers_in_arm("long", 1, "ui")
    async with running_worker(env.client, settings, store):
        started = await client.enroll(ORG, customer, MEASURED.id)
        result = await finished(env, started.workflow_id)
        history = await env.client.get_workflow_handle(started.workflow_id).fetch_history()
    assert result.outcome == "completed_journey"
    summaries: list[tuple[str, str]] = []
    for event in history.events:
        kind = SUMMARISED.get(event.event_type)
        if kind is not None and event.user_metadata.HasField("summary"):
            text = default().payload_converter.from_payload(event.user_metadata.summary, str)
            summaries.append((kind, text))
    kinds = {kind for kind, _ in summaries}
    texts = [text for _, text in summaries]
    assert kinds == {"timer", "activity", "local activity"}
    assert ("activity", "welcome_long: send tour_done by in_app") in summaries
    assert ("activity", "nudge: send tour_done by in_app") in summaries
    assert any(t.startswith("day_0: wait for feature_used until ") for t in texts)
    assert any(t.startswith("day_3: Day 3 wait until ") for t in texts)
    assert any(t.startswith("begin measured_onboarding@1 for ui-") for t in texts)
    assert "record the end: completed (completed_journey)" in texts


def test_static_summary_and_details_describe_the_journey() -> None:
    assert enrollment_summary(MEASURED, "ada") == (
        "Measured onboarding (measured_onboarding@1) for ada"
    )
    details = enrollment_details(MEASURED)
    assert "- `split`: experiment welcome_copy: short 50%, long 50%" in details
    assert "- `day_3`: wait until Day 3" in details
    assert "Goal events: core_workflow_completed" in details
