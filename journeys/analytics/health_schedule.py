"""The Temporal Schedule that runs the journey health check (it survives restarts).

The schedule lives in the Temporal server, so it keeps firing across worker and
API restarts, and it shows in the UI's *Schedules* page with its next runs.
Each firing starts :data:`~journeys.contracts.health.HEALTH_CHECK_WORKFLOW` on
the journey task queue; overlapping runs are skipped.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from journeys.contracts.health import HEALTH_CHECK_WORKFLOW
from journeys.settings import JourneySettings

HEALTH_SCHEDULE_PREFIX = "journeys-health-check"
"""Schedule (and workflow) ids start with this, followed by the task queue."""


def health_schedule_id(settings: JourneySettings) -> str:
    """The schedule's id: one per task queue (one per deployment)."""
    return f"{HEALTH_SCHEDULE_PREFIX}:{settings.task_queue}"


def health_schedule(settings: JourneySettings) -> Schedule:
    """The schedule: every ``alert_check_interval_minutes``, skip a run if one is running."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            HEALTH_CHECK_WORKFLOW,
            id=health_schedule_id(settings),
            task_queue=settings.task_queue,
            static_summary="Journey health check: seed 000's drop-off, completion and"
            " decision-error alerts",
        ),
        spec=ScheduleSpec(
            intervals=[
                ScheduleIntervalSpec(every=timedelta(minutes=settings.alert_check_interval_minutes))
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(
            note=f"window {settings.alert_window_days} days, baseline the"
            f" {settings.alert_baseline_days} days before"
        ),
    )


async def ensure_health_schedule(client: Client, settings: JourneySettings) -> str:
    """Create the schedule, or bring an existing one up to the settings; returns its id."""
    schedule_id = health_schedule_id(settings)
    schedule = health_schedule(settings)
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)
    return schedule_id
