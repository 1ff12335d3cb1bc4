"""Entry planning as pure functions: fixed times, facts given, no store and no Temporal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from journeys.catalog.activation_retention import ACTIVATION_RETENTION_V3
from journeys.catalog.churn_prevention import CHURN_PREVENTION_V3
from journeys.language import EntryEventTimeCondition, JourneyDefinition, ReentryPolicy
from journeys.language.steps import AttributeCondition, EntryCondition, LifecycleStageCondition
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
            reason="entry condition plan eq 'starter' does not hold (the profile has 'pro')",
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


def with_conditions(journey: JourneyDefinition, *conditions: EntryCondition) -> JourneyDefinition:
    entry = journey.entry.model_copy(update={"conditions": list(conditions)})
    return journey.model_copy(update={"entry": entry})


def test_an_entry_event_older_than_the_window_does_not_enroll() -> None:
    within_a_day = with_conditions(
        journey_variant("signups", "account_created"),
        EntryEventTimeCondition(within=timedelta(hours=24)),
    )
    fresh = plan_entries(
        [within_a_day], "c-1", CustomerFacts(), now=NOW, event_at=NOW - timedelta(hours=24)
    )
    assert [journey.id for journey in fresh.starts] == ["signups"]
    stale = plan_entries(
        [within_a_day], "c-1", CustomerFacts(), now=NOW, event_at=NOW - timedelta(hours=25)
    )
    assert stale.starts == ()
    assert stale.skipped == (
        SkippedJourney(
            journey_id="signups",
            reason="the entry event occurred at 2026-03-01T08:00:00+00:00, more than 1 day,"
            " 0:00:00 before it was routed at 2026-03-02T09:00:00+00:00",
        ),
    )


def test_churn_entry_needs_probability_above_60_percent_and_a_high_or_critical_tier() -> None:
    # The seed's SQL: churn_probability > 0.60 AND churn_risk_tier IN ('high', 'critical').
    def plan(probability: float, tier: str) -> tuple[str, ...]:
        facts = CustomerFacts(
            attributes={"churn_probability": probability, "churn_risk_tier": tier}
        )
        entry = plan_entries([CHURN_PREVENTION_V3], "c-1", facts, now=NOW, event_at=NOW)
        return tuple(skip.reason for skip in entry.skipped)

    assert plan(0.61, "high") == ()
    assert plan(0.9, "critical") == ()
    assert plan(0.60, "high") == (
        "entry condition churn_probability gt 0.6 does not hold (the profile has 0.6)",
    )
    assert plan(0.95, "medium") == (
        "entry condition churn_risk_tier in ['high', 'critical'] does not hold"
        " (the profile has 'medium')",
    )


def test_activation_must_fall_within_7_days_of_registration() -> None:
    journey = ACTIVATION_RETENTION_V3
    signed_up = {"signup_at": "2026-02-20T09:00:00+00:00"}

    def skipped(event_at: datetime, attributes: Mapping[str, object]) -> tuple[str, ...]:
        facts = CustomerFacts(attributes=attributes)
        plan = plan_entries([journey], "c-1", facts, now=NOW, event_at=event_at)
        return tuple(skip.reason for skip in plan.skipped)

    assert skipped(datetime(2026, 2, 27, 9, 0, tzinfo=UTC), signed_up) == ()
    assert skipped(datetime(2026, 2, 27, 9, 1, tzinfo=UTC), signed_up) == (
        "the entry event occurred at 2026-02-27T09:01:00+00:00, not within 7 days, 0:00:00"
        " after signup_at 2026-02-20T09:00:00+00:00",
    )
    assert skipped(datetime(2026, 2, 19, tzinfo=UTC), signed_up) != ()
    assert skipped(datetime(2026, 2, 21, tzinfo=UTC), {}) == (
        "the profile has no readable date in 'signup_at', which the entry window starts at",
    )
    # A plain date is midnight UTC.
    assert skipped(datetime(2026, 2, 26, 23, 0, tzinfo=UTC), {"signup_at": "2026-02-20"}) == ()


def test_an_entry_without_an_event_time_leaves_event_time_conditions_unchecked() -> None:
    facts = CustomerFacts(attributes={"account_type": "smb", "plan": "pro"})
    plan = plan_entries([ACTIVATION_RETENTION_V3], "c-1", facts, now=NOW)
    assert [journey.id for journey in plan.starts] == [ACTIVATION_RETENTION_V3.id]


def test_an_event_routed_again_is_judged_by_its_window_as_of_when_it_was_stored() -> None:
    within_a_day = with_conditions(
        journey_variant("signups", "account_created"),
        EntryEventTimeCondition(within=timedelta(hours=24)),
    )
    occurred = NOW - timedelta(hours=30)
    # Stored an hour after it occurred; Temporal was down and the sweeper routes it now.
    swept = plan_entries(
        [within_a_day],
        "c-1",
        CustomerFacts(),
        now=NOW,
        stored_earlier_at=occurred + timedelta(hours=1),
        event_at=occurred,
    )
    assert [journey.id for journey in swept.starts] == ["signups"]
