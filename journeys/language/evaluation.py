"""Pure evaluation of the language's conditions, bands and experiment buckets.

Used by the workflow (deterministic: no clock, no randomness, no I/O) and by
the client when it checks entry conditions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journeys.language.schedule import date_attribute_deadline
from journeys.language.steps import (
    AttributeCondition,
    EntryCondition,
    EntryEventTimeCondition,
    EventCountCondition,
    ExperimentArm,
    LifecycleStageCondition,
    ScoreCondition,
)

BUCKETS = 100
"""Experiment buckets: a customer lands in one of 0..99; weights are percentages."""


def experiment_bucket(journey_id: str, experiment: str, customer_id: str) -> int:
    """The customer's stable bucket (0..99) for an experiment: a hash of stable ids only."""
    digest = hashlib.sha256(f"{journey_id}:{experiment}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def experiment_arm(
    arms: Sequence[ExperimentArm], journey_id: str, experiment: str, customer_id: str
) -> ExperimentArm:
    """The arm whose cumulative weight range holds the customer's bucket."""
    bucket = experiment_bucket(journey_id, experiment, customer_id)
    upper = 0
    for arm in arms:
        upper += arm.weight
        if bucket < upper:
            return arm
    return arms[-1]


HOLDOUT_EXPERIMENT = "holdout"
"""The experiment name of a journey's holdout (global control) group."""

HOLDOUT_ARM = "holdout"
"""The arm of customers held out: they are sent nothing."""

TREATED_ARM = "treated"
"""The arm of every other customer of a journey with a holdout group."""


def holdout_arm(journey_id: str, holdout_percent: int, customer_id: str) -> str:
    """:data:`HOLDOUT_ARM` for the first ``holdout_percent`` buckets, else :data:`TREATED_ARM`."""
    bucket = experiment_bucket(journey_id, HOLDOUT_EXPERIMENT, customer_id)
    return HOLDOUT_ARM if bucket < holdout_percent else TREATED_ARM


def compare(left: Any, op: str, right: Any) -> bool:
    """``left <op> right``; False when the values cannot be compared.

    A missing value (None) differs from every value (``ne`` holds) and
    satisfies no other operator.
    """
    if op == "exists":
        return left is not None
    if left is None:
        return op == "ne"
    holds = _OPERATORS.get(op)
    if holds is None:
        raise ValueError(f"unknown operator {op!r}")
    try:
        return holds(left, right)
    except (TypeError, ValueError):
        return False


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda left, right: bool(left == right),
    "ne": lambda left, right: bool(left != right),
    "in": lambda left, right: bool(left in right),
    "gt": lambda left, right: float(left) > float(right),
    "gte": lambda left, right: float(left) >= float(right),
    "lt": lambda left, right: float(left) < float(right),
    "lte": lambda left, right: float(left) <= float(right),
}
"""The comparison of each operator but ``exists``; numbers compare as floats."""


def attribute_holds(condition: AttributeCondition, attributes: Mapping[str, Any]) -> bool:
    """Whether the profile attribute satisfies the condition."""
    return compare(attributes.get(condition.attribute), condition.op, condition.value)


def stage_holds(condition: LifecycleStageCondition, stage: str | None) -> bool:
    """Whether the lifecycle stage is one of the condition's stages."""
    return stage in condition.stages


def score_holds(condition: ScoreCondition, score: float) -> bool:
    """Whether the score satisfies the condition."""
    return compare(score, condition.op, condition.value)


def event_count_holds(condition: EventCountCondition, count: int) -> bool:
    """Whether an event count satisfies the condition's bounds."""
    if count < condition.at_least:
        return False
    return condition.at_most is None or count <= condition.at_most


def count_since(occurrences: Sequence[datetime], since: datetime) -> int:
    """How many occurrences are at or after ``since``."""
    return sum(1 for at in occurrences if at >= since)


def entry_conditions_hold(
    conditions: Sequence[EntryCondition],
    attributes: Mapping[str, Any],
    stage: str | None,
    *,
    event_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether a profile and entry event meet every entry condition of a journey (none: always)."""
    return entry_refusal(conditions, attributes, stage, event_at=event_at, now=now) is None


def entry_refusal(
    conditions: Sequence[EntryCondition],
    attributes: Mapping[str, Any],
    stage: str | None,
    *,
    event_at: datetime | None = None,
    now: datetime | None = None,
) -> str | None:
    """Why the first entry condition that fails refuses entry; None when all hold.

    Args:
        conditions: The journey's entry conditions.
        attributes: The customer's profile attributes.
        stage: The customer's lifecycle stage.
        event_at: When the entry event occurred; None (an entry without an
            event) leaves the event-time conditions unchecked.
        now: When the event is routed (``event_at`` when not given).
    """
    for condition in conditions:
        match condition:
            case AttributeCondition():
                if not attribute_holds(condition, attributes):
                    found = attributes.get(condition.attribute)
                    return (
                        f"entry condition {condition.attribute} {condition.op}"
                        f" {condition.value!r} does not hold (the profile has {found!r})"
                    )
            case LifecycleStageCondition():
                if not stage_holds(condition, stage):
                    return (
                        f"entry condition lifecycle stage in {condition.stages}"
                        f" does not hold (the stage is {stage!r})"
                    )
            case EntryEventTimeCondition():
                if event_at is not None:
                    refusal = event_time_refusal(condition, attributes, event_at, now or event_at)
                    if refusal is not None:
                        return refusal
    return None


def event_time_refusal(
    condition: EntryEventTimeCondition,
    attributes: Mapping[str, Any],
    event_at: datetime,
    now: datetime,
) -> str | None:
    """Why the entry event's time fails the condition; None when it holds."""
    window = condition.within
    if condition.after_attribute is None:
        if event_at >= now - window:
            return None
        return (
            f"the entry event occurred at {event_at.isoformat()},"
            f" more than {window} before it was routed at {now.isoformat()}"
        )
    name = condition.after_attribute
    start = date_attribute_deadline(attributes.get(name), timedelta(0), ZoneInfo("UTC"))
    if start is None:
        return f"the profile has no readable date in {name!r}, which the entry window starts at"
    if start <= event_at <= start + window:
        return None
    return (
        f"the entry event occurred at {event_at.isoformat()},"
        f" not within {window} after {name} {start.isoformat()}"
    )
