"""What the client's calls answer (the HTTP API and the CLI show them as they are)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from journeys.routing.entry_planning import SkippedJourney

__all__ = [
    "EnrollResult",
    "EnrollmentSummary",
    "OptOutResult",
    "SkippedJourney",
    "TrackResult",
]


class TrackResult(BaseModel):
    """What :meth:`JourneyClient.track` did with an event.

    Attributes:
        stored: False when the event id was stored before. Such an event is
            routed only if an earlier attempt stored it without routing it
            (Temporal was unavailable); otherwise it goes nowhere.
        enrolled: Workflow ids of enrollments the event started.
        signalled: Workflow ids of running enrollments that received it, the
            entry event of an enrollment already running included.
        skipped: Journeys the event did not start, with the reason.
        missed: Workflow ids of versions that may have had an enrollment of the
            customer and were signalled in vain (a Temporal call that found none);
            counted in the API's metrics, left out of its responses.
    """

    event_id: str
    stored: bool
    enrolled: list[str] = Field(default_factory=list)
    signalled: list[str] = Field(default_factory=list)
    skipped: list[SkippedJourney] = Field(default_factory=list)
    missed: list[str] = Field(default_factory=list, exclude=True)


class EnrollResult(BaseModel):
    """An enrollment that was started."""

    workflow_id: str
    run_id: str | None
    journey_id: str
    journey_version: int


class EnrollmentSummary(BaseModel):
    """An enrollment as Temporal's visibility store lists it.

    Attributes:
        status: The engine's status (active, completed, exited) from the search attribute.
        execution_status: Temporal's status of the run (RUNNING, COMPLETED, ...).
    """

    workflow_id: str
    run_id: str
    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int | None
    status: str | None
    current_step: str | None
    lifecycle_stage: str | None
    execution_status: str | None
    started_at: datetime
    closed_at: datetime | None


class OptOutResult(BaseModel):
    """What :meth:`JourneyClient.opt_out` did.

    Attributes:
        channel: The channel opted out of (``all`` for every channel).
        exited: Enrollments asked to end (global opt-outs only).
    """

    customer_id: str
    channel: str
    exited: list[str] = Field(default_factory=list)
