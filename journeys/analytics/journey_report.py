"""Journey analytics from the store: one report per journey, version, arm and time range.

Definitions (one place):

- *entered*: enrollments that started in the range (the cohort);
- *completed*: ended at an exit step (status ``completed``); *completion rate* =
  completed / entered;
- *goal conversion*: ended by a goal event (outcome ``goal_reached``) / entered;
- *dropped*: ended otherwise (exit events, exit requests, drains); *drop-off
  rate* = dropped / entered; a step's drop-off = dropped at that step / reached it;
- *time to complete*: start to end of completed enrollments; *time to first
  value*: start to the goal event; medians and p90 interpolate linearly
  (PostgreSQL's ``percentile_cont``);
- sends, suppressions and decisions count what the journey did in the range:
  suppressions by reason are the sends settled ``capped`` (frequency cap),
  ``suppressed`` (opt-out, consent, suppression list) and ``deferred`` (quiet hours);
- a decision's confidence is the score of its chosen candidate when that is a
  probability (0..1, as next best action and channel selection record it;
  computed in the store by :func:`journeys.store.journey_analytics.chosen_confidence`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from journeys.contracts.activities import SendStatus
from journeys.contracts.enrollment import GOAL_REACHED_OUTCOME, EnrollmentStatus
from journeys.contracts.scoring import UNAVAILABLE_MODEL_VERSION
from journeys.store import Store
from journeys.store.journey_analytics import (
    CohortFilter,
    DecisionTally,
    arm_counts,
    decisions,
    durations_seconds,
    ending_counts,
    send_counts,
    steps_reached,
)
from journeys.store.step_visits import ARM_DECISION

SUPPRESSION_REASONS = {
    SendStatus.CAPPED.value: "cap",
    SendStatus.SUPPRESSED.value: "opt_out",
    SendStatus.DEFERRED.value: "quiet_hours",
}
"""Send status -> the suppression reason it counts as."""


class Durations(BaseModel):
    """Median and 90th percentile of a duration, in hours (None without data)."""

    count: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None


class StepFunnel(BaseModel):
    """One step of the funnel: how many reached it, and how many dropped there."""

    step: str
    reached: int
    dropped_here: int
    dropoff_rate: float


class ArmResult(BaseModel):
    """One arm of an experiment: its cohort and how it ended."""

    experiment: str
    arm: str
    entered: int
    completed: int
    goal_reached: int
    dropped: int
    completion_rate: float
    goal_conversion: float


class DecisionSummary(BaseModel):
    """Decisions of one kind that chose one option."""

    decision: str
    choice: str
    count: int
    average_confidence: float | None = None


class JourneyReport(BaseModel):
    """A journey's analytics over a time range (see the module for every definition)."""

    org_id: str
    journey_id: str
    version: int | None = None
    experiment: str | None = None
    arm: str | None = None
    since: datetime
    until: datetime
    entered: int = 0
    active: int = 0
    completed: int = 0
    goal_reached: int = 0
    dropped: int = 0
    completion_rate: float = 0.0
    goal_conversion: float = 0.0
    dropoff_rate: float = 0.0
    left_by_outcome: dict[str, int] = Field(default_factory=dict)
    steps: list[StepFunnel] = Field(default_factory=list)
    time_to_complete: Durations = Durations()
    time_to_first_value: Durations = Durations()
    sends: dict[str, dict[str, int]] = Field(default_factory=dict)
    suppressions: dict[str, int] = Field(default_factory=dict)
    decisions: list[DecisionSummary] = Field(default_factory=list)
    decision_errors: int = 0
    decision_error_rate: float = 0.0
    arms: list[ArmResult] = Field(default_factory=list)


def rate(part: int, whole: int) -> float:
    """``part / whole``, 0 when there is no whole."""
    return part / whole if whole else 0.0


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` percentile with linear interpolation (``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def durations(seconds: list[float]) -> Durations:
    """Median and p90 of durations given in seconds, in hours."""
    median, p90 = percentile(seconds, 0.5), percentile(seconds, 0.9)
    return Durations(
        count=len(seconds),
        median_hours=None if median is None else median / 3600,
        p90_hours=None if p90 is None else p90 / 3600,
    )


def is_dropped(status: str, outcome: str | None) -> bool:
    """Whether an enrollment ended without completing or reaching the goal."""
    return status == EnrollmentStatus.EXITED.value and outcome != GOAL_REACHED_OUTCOME


def journey_report(store: Store, where: CohortFilter, step_order: list[str]) -> JourneyReport:
    """Compute a journey's report from the store.

    Args:
        store: The store.
        where: The journey, range, version and arm.
        step_order: The journey's steps in the order the funnel lists them.
    """
    with store.transaction() as session:
        report, dropped_at = _cohort_report(session, where)
        reached = steps_reached(session, where)
        sends = send_counts(session, where)
        decided = decisions(session, where, excluding=ARM_DECISION)
        by_arm = arm_counts(session, where)
    ordered = [s for s in step_order if s in reached] + sorted(set(reached) - set(step_order))
    report.steps = [
        StepFunnel(
            step=step,
            reached=reached[step],
            dropped_here=dropped_at.get(step, 0),
            dropoff_rate=rate(dropped_at.get(step, 0), reached[step]),
        )
        for step in ordered
    ]
    for channel, status, count in sends:
        report.sends.setdefault(channel, {})[status] = count
        reason = SUPPRESSION_REASONS.get(status)
        if reason is not None:
            report.suppressions[reason] = report.suppressions.get(reason, 0) + count
    report.decisions, report.decision_errors, decided_count = summarize_decisions(decided)
    report.decision_error_rate = rate(report.decision_errors, decided_count)
    report.arms = arm_results(by_arm)
    return report


def journey_outcomes(store: Store, where: CohortFilter) -> JourneyReport:
    """The report's cohort figures only: entered, how they ended, the rates and durations.

    What a KPI's delta needs: two of a full report's six queries. The funnel,
    sends, decisions and arms are left empty.
    """
    with store.transaction() as session:
        report, _ = _cohort_report(session, where)
    return report


def _cohort_report(session: Session, where: CohortFilter) -> tuple[JourneyReport, dict[str, int]]:
    """A report with the cohort's endings, rates and durations; drop-outs by final step."""
    endings = ending_counts(session, where)
    completed_seconds, goal_seconds = durations_seconds(
        session, where, status=EnrollmentStatus.COMPLETED.value, outcome=GOAL_REACHED_OUTCOME
    )
    report = JourneyReport(
        org_id=where.org_id,
        journey_id=where.journey_id,
        version=where.version,
        experiment=where.experiment,
        arm=where.arm,
        since=where.since,
        until=where.until,
    )
    dropped_at: dict[str, int] = defaultdict(int)
    for ending in endings:
        report.entered += ending.count
        if ending.status == EnrollmentStatus.ACTIVE.value:
            report.active += ending.count
            continue
        outcome = ending.outcome or ending.status
        report.left_by_outcome[outcome] = report.left_by_outcome.get(outcome, 0) + ending.count
        if ending.status == EnrollmentStatus.COMPLETED.value:
            report.completed += ending.count
        elif ending.outcome == GOAL_REACHED_OUTCOME:
            report.goal_reached += ending.count
        else:
            report.dropped += ending.count
            if ending.final_step is not None:
                dropped_at[ending.final_step] += ending.count
    report.completion_rate = rate(report.completed, report.entered)
    report.goal_conversion = rate(report.goal_reached, report.entered)
    report.dropoff_rate = rate(report.dropped, report.entered)
    report.time_to_complete = durations(completed_seconds)
    report.time_to_first_value = durations(goal_seconds)
    return report, dropped_at


def summarize_decisions(tallies: list[DecisionTally]) -> tuple[list[DecisionSummary], int, int]:
    """Decisions by kind and choice with their average confidence; the errors, and all."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    scored: dict[tuple[str, str], int] = defaultdict(int)
    sums: dict[tuple[str, str], float] = defaultdict(float)
    errors = 0
    for tally in tallies:
        key = (tally.decision, tally.choice)
        counts[key] += tally.count
        scored[key] += tally.scored
        sums[key] += tally.confidence_sum
        if tally.model_version == UNAVAILABLE_MODEL_VERSION:
            errors += tally.count
    summaries = [
        DecisionSummary(
            decision=decision,
            choice=choice,
            count=count,
            average_confidence=(
                sums[(decision, choice)] / scored[(decision, choice)]
                if scored[(decision, choice)]
                else None
            ),
        )
        for (decision, choice), count in sorted(counts.items(), key=lambda item: -item[1])
    ]
    return summaries, errors, sum(counts.values())


def arm_results(rows: list[tuple[dict[str, object], str, str | None, int]]) -> list[ArmResult]:
    """Per experiment and arm: entered, completed, goal reached, dropped."""
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for arms, status, outcome, count in rows:
        for experiment, arm in arms.items():
            tally = tallies[(experiment, str(arm))]
            tally[0] += count
            if status == EnrollmentStatus.COMPLETED.value:
                tally[1] += count
            elif outcome == GOAL_REACHED_OUTCOME:
                tally[2] += count
            elif is_dropped(status, outcome):
                tally[3] += count
    return [
        ArmResult(
            experiment=experiment,
            arm=arm,
            entered=entered,
            completed=completed,
            goal_reached=goal,
            dropped=dropped,
            completion_rate=rate(completed, entered),
            goal_conversion=rate(goal, entered),
        )
        for (experiment, arm), (entered, completed, goal, dropped) in sorted(tallies.items())
    ]


def default_range(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last ``days`` days up to ``now`` (the end is exclusive, so ``now`` is nudged)."""
    until = now + timedelta(microseconds=1)
    return until - timedelta(days=days), until
