"""A demo journey with waits of seconds, so a newcomer sees enrollments move in the UI."""

from __future__ import annotations

from datetime import timedelta

from journeys.language import (
    Channel,
    EntryTrigger,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
)

DEMO_TOUR_V1 = JourneyDefinition(
    id="demo_tour",
    version=1,
    metadata=JourneyMetadata(
        name="Demo tour (seconds instead of days)",
        journey_type="onboarding",
        target_audience="Demo customers created by `journeys dev`",
        business_objective="Show a journey moving in the Temporal UI within a minute",
        average_duration="45 seconds",
    ),
    entry=EntryTrigger(event="demo_started"),
    start="ping",
    steps={
        "ping": SendStep(channels=[Channel.IN_APP], template="tour_ping", next="wait_for_click"),
        "wait_for_click": WaitForEventStep(
            events={"demo_clicked": "clicked"},
            timeout=timedelta(seconds=45),
            on_timeout="timed_out",
        ),
        "clicked": SendStep(channels=[Channel.IN_APP], template="tour_done", next="converted"),
        "converted": ExitStep(outcome="converted"),
        "timed_out": ExitStep(outcome="no_click"),
    },
    channels=[Channel.IN_APP],
)
