"""Entry planning as pure functions: fixed times, facts given, no store and no Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journeys.language import JourneyDefinition, ReentryPolicy
from journeys.language.steps import AttributeCondition, LifecycleStageCondition
from journeys.routing.entry_planning import (
    CustomerFacts,
    PastEnrollment,
    SkippedJourney,
    plan_entries,
    reentry_refusal,
)
from tests.support.routing import journey_variant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reentering(policy: ReentryPolicy, **update: object) -> JourneyDefinition:
    return journey_variant("trial", "trial_started").model_copy(
        update={"reentry": policy, **update}
    )


def ended(started_ago: timedelta) -> PastEnrollment:
    return PastEnrollment(started_at=NOW - started_ago, ended_at=NOW - started_ago / 2)


def test_one_journey_per_conflict_group_starts() -> None:
    # Which version takes entries (drafts, paused metadata: none) is the rollout's choice,
    # made before planning (tests/routing/test_event_routing.py covers the refusal).
    low = journey_variant("trial_low", "trial_started", group="trials", priority=1)
    high = journey_variant("trial_high", "trial_started", group="trials", priority=10)
    solo = journey_variant("trial_solo", "trial_started")
    plan = plan_entries([low, high, solo], "c-1", CustomerFacts(), now=NOW)
    assert [journey.id for journey in plan.starts] == ["trial_solo", "trial_high"]
    assert list(plan.skipped) == [
        SkippedJourney(journey_id="trial_low", reason="conflict group trials: trial_high wins"),
    ]


def test_entry_conditions_read_the_profile_and_the_stage_is_carried() -> None:
    starters = journey_variant("starters", "trial_started").model_copy(
        update={
            "entry": journey_variant("starters", "trial_started").entry.model_copy(
                update={
                    "conditions": [
                        AttributeCondition(attribute="plan", value="starter"),
                        LifecycleStageCondition(stages=["trial"]),
                    ]
                }
            )
        }
    )
    pro = CustomerFacts(stage="trial", attributes={"plan": "pro"})
    refused = plan_entries([starters], "c-1", pro, now=NOW)
    assert refused.starts == ()
    assert refused.skipped == (
        SkippedJourney(
            journey_id="starters",
            reason="the customer's profile does not meet the entry conditions",
        ),
    )
    starter = CustomerFacts(stage="trial", attributes={"plan": "starter"})
    accepted = plan_entries([starters], "c-1", starter, now=NOW)
    assert ([j.id for j in accepted.starts], accepted.stage) == (["starters"], "trial")


def test_a_running_enrollment_is_never_refused_it_gets_the_event() -> None:
    running = PastEnrollment(started_at=NOW - timedelta(minutes=1))
    journey = reentering(ReentryPolicy.NEVER)
    assert reentry_refusal(journey, "c-1", running, now=NOW) is None


def test_never_refuses_any_second_enrollment() -> None:
    journey = reentering(ReentryPolicy.NEVER)
    assert reentry_refusal(journey, "c-1", None, now=NOW) is None
    assert (
        reentry_refusal(journey, "c-1", ended(timedelta(days=400)), now=NOW)
        == "c-1 was enrolled in trial before and re-entry is never"
    )


def test_cool_down_counts_from_the_previous_start() -> None:
    journey = reentering(ReentryPolicy.AFTER_COOLDOWN, reentry_cooldown=timedelta(days=7))
    assert (
        reentry_refusal(journey, "c-1", ended(timedelta(days=6, hours=23)), now=NOW)
        == "c-1 entered trial less than 7 days, 0:00:00 ago"
    )
    assert reentry_refusal(journey, "c-1", ended(timedelta(days=7)), now=NOW) is None
    # The same history, judged a day later, allows it: the decision is a function of now.
    later = NOW + timedelta(days=1)
    assert reentry_refusal(journey, "c-1", ended(timedelta(days=6, hours=23)), now=later) is None


def test_minimum_time_between_entries_applies_whatever_the_policy() -> None:
    journey = reentering(ReentryPolicy.AFTER_EXIT, min_time_between_entries=timedelta(hours=24))
    assert reentry_refusal(journey, "c-1", ended(timedelta(hours=23)), now=NOW) == (
        "c-1 entered trial less than 1 day, 0:00:00 ago (minimum time between entries)"
    )
    assert reentry_refusal(journey, "c-1", ended(timedelta(hours=25)), now=NOW) is None
    without_spacing = reentering(ReentryPolicy.AFTER_EXIT)
    assert reentry_refusal(without_spacing, "c-1", ended(timedelta(hours=23)), now=NOW) is None


def test_an_event_routed_again_starts_no_second_enrollment_after_the_one_it_started() -> None:
    journey = reentering(ReentryPolicy.AFTER_EXIT)
    stored_at = NOW - timedelta(hours=2)
    # Entered (and left) after the event was stored: most likely by this event.
    since = PastEnrollment(started_at=stored_at + timedelta(seconds=1), ended_at=NOW)
    assert (
        reentry_refusal(journey, "c-1", since, now=NOW, stored_earlier_at=stored_at)
        == "c-1 entered trial after this event was stored"
    )
    # The first routing of an event has no such rule; an older enrollment is judged by policy.
    assert reentry_refusal(journey, "c-1", since, now=NOW) is None
    before = PastEnrollment(started_at=stored_at - timedelta(days=3), ended_at=stored_at)
    assert reentry_refusal(journey, "c-1", before, now=NOW, stored_earlier_at=stored_at) is None


def test_a_refused_conflict_winner_does_not_hand_its_group_to_the_loser() -> None:
    low = journey_variant("trial_low", "trial_started", group="trials", priority=1)
    high = journey_variant("trial_high", "trial_started", group="trials", priority=10)
    facts = CustomerFacts(latest={"trial_high": ended(timedelta(days=30))})
    plan = plan_entries([low, high], "c-1", facts, now=NOW)
    assert plan.starts == ()
    assert [skip.journey_id for skip in plan.skipped] == ["trial_low", "trial_high"]
    assert plan.skipped[1].reason == "c-1 was enrolled in trial_high before and re-entry is never"
