"""Entry planning: which journeys an entry event starts for a customer, and why not the others.

Pure functions of the journeys an event enters, the facts the store holds about
the customer (profile, latest enrollment in each journey) and the time ``now``:
the client and the unrouted-event sweeper read the facts and the clock, these
functions decide. Which version of a journey takes new entries (drafts and
retired versions none) is the rollout's choice
(:meth:`journeys.routing.live_versions.LiveVersions.entered_by`), made before
planning; the planner gets the chosen versions. The rules, in order:

1. The customer's profile and the entry event's time must meet the journey's
   entry conditions (:func:`journeys.language.evaluation.entry_refusal` names
   the first that fails).
2. One journey per conflict group (:func:`journeys.catalog.resolve_conflicts`).
3. The re-entry policy and spacing of the winner (:func:`reentry_refusal`),
   decided by the store's history because Temporal forgets closed runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from journeys.catalog import resolve_conflicts
from journeys.language import JourneyDefinition, ReentryPolicy
from journeys.language.evaluation import entry_refusal


class SkippedJourney(BaseModel):
    """A journey an event would have started, and why it did not."""

    journey_id: str
    reason: str


@dataclass(frozen=True)
class PastEnrollment:
    """The customer's latest enrollment in a journey, as the store recorded it.

    Attributes:
        ended_at: None while it runs.
    """

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class CustomerFacts:
    """What entry depends on that the store knows about the customer.

    Attributes:
        stage: The lifecycle stage (None when unknown, or no profile).
        attributes: The profile's attributes.
        latest: The latest enrollment in each journey, by journey id.
    """

    stage: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    latest: Mapping[str, PastEnrollment] = field(default_factory=dict)


@dataclass(frozen=True)
class EntryPlan:
    """What an entry event starts.

    Attributes:
        stage: The customer's lifecycle stage, carried into the enrollments.
        starts: Journeys to start (or to signal, where an enrollment runs).
        skipped: Journeys it does not start, each with the reason.
        listeners: Routing keys whose running enrollments are signalled the event
            (those started here get it by signal-with-start instead).
    """

    stage: str | None = None
    starts: tuple[JourneyDefinition, ...] = ()
    skipped: tuple[SkippedJourney, ...] = ()
    listeners: tuple[str, ...] = ()


def plan_entries(
    journeys: Sequence[JourneyDefinition],
    customer_id: str,
    facts: CustomerFacts,
    *,
    now: datetime,
    stored_earlier_at: datetime | None = None,
    event_at: datetime | None = None,
) -> EntryPlan:
    """The journeys an entry event starts for a customer, one per conflict group.

    Args:
        journeys: The versions the event enters (each journey's rollout choice).
        customer_id: The customer (named in the reasons).
        facts: The customer's profile and enrollment history.
        now: The time the decision is made at (spacing and cool-down windows).
        stored_earlier_at: When the event was stored, if it is being routed
            again (a retried ``track``, or the sweeper); see :func:`reentry_refusal`.
        event_at: When the entry event occurred (its event-time conditions);
            None leaves them unchecked. An event routed again is judged as of
            when it was stored, so an outage that delays its routing does not
            push it out of a time window.
    """
    skipped: list[SkippedJourney] = []
    active: list[JourneyDefinition] = []
    for journey in journeys:
        refusal = entry_refusal(
            journey.entry.conditions,
            facts.attributes,
            facts.stage,
            event_at=event_at,
            now=stored_earlier_at or now,
        )
        if refusal is not None:
            skipped.append(SkippedJourney(journey_id=journey.id, reason=refusal))
        else:
            active.append(journey)
    chosen = resolve_conflicts(active, facts.stage)
    winners = {journey.routing_key: journey.id for journey in chosen}
    for journey in active:
        if journey not in chosen:
            reason = f"conflict group {journey.routing_key}: {winners[journey.routing_key]} wins"
            skipped.append(SkippedJourney(journey_id=journey.id, reason=reason))
    starts: list[JourneyDefinition] = []
    for journey in chosen:
        refusal = reentry_refusal(
            journey,
            customer_id,
            facts.latest.get(journey.id),
            now=now,
            stored_earlier_at=stored_earlier_at,
        )
        if refusal is None:
            starts.append(journey)
        else:
            skipped.append(SkippedJourney(journey_id=journey.id, reason=refusal))
    return EntryPlan(stage=facts.stage, starts=tuple(starts), skipped=tuple(skipped))


def reentry_refusal(
    definition: JourneyDefinition,
    customer_id: str,
    previous: PastEnrollment | None,
    *,
    now: datetime,
    stored_earlier_at: datetime | None = None,
) -> str | None:
    """Why a new enrollment is refused, or None when it may start.

    A running enrollment is never refused here: the entry event reaches it by
    signal. An event routed again (``stored_earlier_at``) does not start a new
    enrollment once the customer has entered and left the journey since the
    event was stored: that enrollment was most likely started by this very
    event before its routing was recorded.

    Args:
        definition: The journey.
        customer_id: The customer (named in the reason).
        previous: The customer's latest enrollment in the journey, if any.
        now: The time the decision is made at.
        stored_earlier_at: When the event was stored, if it is being routed again.
    """
    if previous is None or previous.ended_at is None:
        return None
    if stored_earlier_at is not None and previous.started_at >= stored_earlier_at:
        return f"{customer_id} entered {definition.id} after this event was stored"
    spacing = definition.min_time_between_entries
    if spacing is not None and previous.started_at + spacing > now:
        return (
            f"{customer_id} entered {definition.id} less than {spacing} ago"
            " (minimum time between entries)"
        )
    if definition.reentry is ReentryPolicy.NEVER:
        return f"{customer_id} was enrolled in {definition.id} before and re-entry is never"
    cooldown = definition.reentry_cooldown or timedelta(0)
    if definition.reentry is ReentryPolicy.AFTER_COOLDOWN and previous.started_at + cooldown > now:
        return f"{customer_id} entered {definition.id} less than {cooldown} ago"
    return None
