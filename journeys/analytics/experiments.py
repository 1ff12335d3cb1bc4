"""Experiments with a verdict: per-arm results on the journey's primary metric.

The method is a **fixed-horizon two-proportion z-test** (pooled standard error,
two-sided), read once per arm pair at the horizon seed 000 declares: "declare
winner after 500 users per variant". Each arm's sample is its *first* N
enrollments (N = ``experiment_min_sample_per_arm``), and the verdict waits until
all of them have ended. So however often someone looks, the test is computed on
the same pre-declared sample and gives the same answer: peeking cannot inflate
the false-positive rate the way re-testing a growing sample would (which is why
a plain z-test on "everyone so far" is not valid under repeated looks). With
several treatment arms, each is compared with the control at alpha / (arms - 1)
(Bonferroni).

Verdicts: ``keep_running`` (an arm has fewer than N enrollments, or some of its
first N are still active), ``winner`` (an arm beats the control, or the control
beats every arm), ``no_difference``.
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, Field

from journeys.catalog import DRAFT_STATUS
from journeys.contracts.enrollment import GOAL_REACHED_OUTCOME, EnrollmentStatus
from journeys.errors import InvalidInputError
from journeys.language import ExperimentStep, JourneyDefinition
from journeys.language.evaluation import HOLDOUT_ARM, HOLDOUT_EXPERIMENT, TREATED_ARM
from journeys.store import Store
from journeys.store.journey_analytics import arm_sample

COMPLETION_RATE = "completion_rate"
"""Primary metric: enrollments that ended at an exit step (seed 000's A/B metric)."""

GOAL_CONVERSION = "goal_conversion"
"""Primary metric: enrollments ended by a goal event."""

PRIMARY_METRICS = (COMPLETION_RATE, GOAL_CONVERSION)


class Verdict(StrEnum):
    """What an experiment's data says."""

    WINNER = "winner"
    NO_DIFFERENCE = "no_difference"
    KEEP_RUNNING = "keep_running"


class ZTest(BaseModel):
    """A two-proportion z-test of ``x1/n1`` against ``x2/n2`` (two-sided, pooled)."""

    difference: float
    z: float
    p_value: float


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> ZTest:
    """The test of p1 = p2: z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), p pooled.

    Raises:
        InvalidInputError: a sample is empty or a count exceeds its sample.
    """
    for field, x, n in (("x1", x1, n1), ("x2", x2, n2)):
        if n < 1 or not 0 <= x <= n:
            raise InvalidInputError(
                field, f"need 0 <= successes <= trials and trials >= 1 ({x}/{n})"
            )
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return ZTest(difference=p1 - p2, z=0.0, p_value=1.0)
    z = (p1 - p2) / math.sqrt(variance)
    return ZTest(difference=p1 - p2, z=z, p_value=math.erfc(abs(z) / math.sqrt(2)))


class ArmOutcome(BaseModel):
    """One arm: enrollments so far, and its fixed sample's conversions."""

    arm: str
    control: bool = False
    entered: int
    sample: int
    ended: int
    conversions: int
    rate: float | None = None


class Comparison(BaseModel):
    """One treatment arm against the control."""

    arm: str
    control: str
    test: ZTest
    alpha: float
    significant: bool


class ExperimentResult(BaseModel):
    """An experiment's per-arm results, tests and verdict."""

    journey_id: str
    experiment: str
    metric: str
    min_sample_per_arm: int
    alpha: float
    method: str = "fixed-horizon two-proportion z-test (pooled, two-sided, Bonferroni)"
    arms: list[ArmOutcome] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)
    verdict: Verdict
    winner: str | None = None
    reason: str


def experiment_arms(definition: JourneyDefinition, experiment: str) -> tuple[list[str], str]:
    """The arms of an experiment of the journey and its control arm.

    Raises:
        InvalidInputError: the journey has no such experiment.
    """
    if experiment == HOLDOUT_EXPERIMENT and definition.holdout_percent:
        return [HOLDOUT_ARM, TREATED_ARM], HOLDOUT_ARM
    for step in definition.steps.values():
        if isinstance(step, ExperimentStep) and step.experiment == experiment:
            return [arm.name for arm in step.arms], step.control
    known = sorted(
        {s.experiment for s in definition.steps.values() if isinstance(s, ExperimentStep)}
        | ({HOLDOUT_EXPERIMENT} if definition.holdout_percent else set())
    )
    raise InvalidInputError(
        "experiment",
        f"{definition.key} has no experiment {experiment!r} (it has: {', '.join(known) or 'none'})",
    )


def primary_metric(definition: JourneyDefinition, metric: str | None) -> str:
    """The metric asked for, else the journey's declared primary metric, else completion rate.

    Raises:
        InvalidInputError: the metric is not one of :data:`PRIMARY_METRICS`.
    """
    chosen = metric or definition.metadata.primary_metric or COMPLETION_RATE
    if chosen not in PRIMARY_METRICS:
        raise InvalidInputError("metric", f"{chosen!r} is not one of {', '.join(PRIMARY_METRICS)}")
    return chosen


def _converted(metric: str, status: str, outcome: str | None) -> bool:
    if metric == COMPLETION_RATE:
        return status == EnrollmentStatus.COMPLETED.value
    return outcome == GOAL_REACHED_OUTCOME


def experiment_result(
    store: Store,
    definition: JourneyDefinition,
    *,
    org_id: str,
    experiment: str,
    min_sample_per_arm: int,
    alpha: float,
    metric: str | None = None,
) -> ExperimentResult:
    """Measure every arm on its first ``min_sample_per_arm`` enrollments and give a verdict."""
    arms, control = experiment_arms(definition, experiment)
    chosen = primary_metric(definition, metric)
    outcomes: list[ArmOutcome] = []
    with store.transaction() as session:
        for name in arms:
            entered, sample = arm_sample(
                session,
                org_id=org_id,
                journey_id=definition.id,
                experiment=experiment,
                arm=name,
                size=min_sample_per_arm,
            )
            ended = [row for row in sample if row[0] != EnrollmentStatus.ACTIVE.value]
            conversions = sum(_converted(chosen, status, outcome) for status, outcome in ended)
            outcomes.append(
                ArmOutcome(
                    arm=name,
                    control=name == control,
                    entered=entered,
                    sample=len(sample),
                    ended=len(ended),
                    conversions=conversions,
                    rate=conversions / len(ended) if ended else None,
                )
            )
    result = ExperimentResult(
        journey_id=definition.id,
        experiment=experiment,
        metric=chosen,
        min_sample_per_arm=min_sample_per_arm,
        alpha=alpha,
        arms=outcomes,
        verdict=Verdict.KEEP_RUNNING,
        reason="",
    )
    waiting = [a for a in outcomes if a.sample < min_sample_per_arm or a.ended < a.sample]
    if waiting:
        result.reason = "; ".join(
            f"{a.arm}: {a.ended} of {min_sample_per_arm} ended" for a in waiting
        )
        return result
    base = next(a for a in outcomes if a.control)
    per_test_alpha = alpha / (len(outcomes) - 1)
    for treated in outcomes:
        if treated.control:
            continue
        test = two_proportion_z_test(
            treated.conversions, treated.sample, base.conversions, base.sample
        )
        result.comparisons.append(
            Comparison(
                arm=treated.arm,
                control=base.arm,
                test=test,
                alpha=per_test_alpha,
                significant=test.p_value < per_test_alpha,
            )
        )
    better = [c for c in result.comparisons if c.significant and c.test.difference > 0]
    worse = [c for c in result.comparisons if c.significant and c.test.difference < 0]
    if better:
        best = max(better, key=lambda c: c.test.difference)
        result.verdict, result.winner = Verdict.WINNER, best.arm
        result.reason = (
            f"{best.arm} beats {base.arm} on {chosen} by {best.test.difference:+.1%}"
            f" (z={best.test.z:.2f}, p={best.test.p_value:.4f})"
        )
    elif len(worse) == len(result.comparisons):
        result.verdict, result.winner = Verdict.WINNER, base.arm
        result.reason = f"the control {base.arm} beats every arm on {chosen}"
    else:
        result.verdict = Verdict.NO_DIFFERENCE
        result.reason = f"no arm differs from {base.arm} on {chosen} at alpha {alpha:g}"
    return result


def promoted_definition(
    definition: JourneyDefinition, experiment: str, arm: str
) -> JourneyDefinition:
    """The next version of the journey, a draft with ``arm`` at weight 100 and every other at 0.

    For the holdout experiment (the treated arm won), the next version has no holdout.
    It is a draft: added to the catalog, it takes no entries until the promotion
    (or ``journeys rollout publish``) publishes it.
    """
    steps = dict(definition.steps)
    for name, step in definition.steps.items():
        if isinstance(step, ExperimentStep) and step.experiment == experiment:
            arms = [a.model_copy(update={"weight": 100 if a.name == arm else 0}) for a in step.arms]
            steps[name] = step.model_copy(update={"arms": arms})
    update: dict[str, object] = {
        "version": definition.version + 1,
        "steps": steps,
        "metadata": definition.metadata.model_copy(update={"status": DRAFT_STATUS}),
    }
    if experiment == HOLDOUT_EXPERIMENT:
        update["holdout_percent"] = 0
    return JourneyDefinition.model_validate({**definition.model_dump(), **update})


def carries_promotion(
    candidate: JourneyDefinition, measured: JourneyDefinition, experiment: str, arm: str
) -> bool:
    """Whether ``candidate`` sends every new entry of ``experiment`` to ``arm``.

    That is a version (the measured one or a newer) whose experiment steps give
    ``arm`` weight 100 and the others 0; for the holdout, a newer version without one.
    """
    if candidate.version < measured.version:
        return False
    if experiment == HOLDOUT_EXPERIMENT:
        return candidate.version > measured.version and not candidate.holdout_percent
    splits = [
        step
        for step in candidate.steps.values()
        if isinstance(step, ExperimentStep) and step.experiment == experiment
    ]
    return bool(splits) and all(
        a.weight == (100 if a.name == arm else 0) for step in splits for a in step.arms
    )


def checked_promotion(
    store: Store,
    definition: JourneyDefinition,
    *,
    org_id: str,
    experiment: str,
    min_sample_per_arm: int,
    alpha: float,
    metric: str | None = None,
    arm: str | None = None,
    force: bool = False,
) -> tuple[ExperimentResult, str]:
    """The evidence and the arm to promote: the winner, or ``arm`` if it is the winner or forced.

    Raises:
        InvalidInputError: naming the field: an unknown experiment or arm; no
            winner yet (``experiment``) or ``arm`` is not the winner, without
            ``force``; ``force`` without ``arm``; the holdout group winning.
    """
    result = experiment_result(
        store,
        definition,
        org_id=org_id,
        experiment=experiment,
        min_sample_per_arm=min_sample_per_arm,
        alpha=alpha,
        metric=metric,
    )
    arms = [outcome.arm for outcome in result.arms]
    if arm is not None and arm not in arms:
        raise InvalidInputError(
            "arm", f"{experiment} has no arm {arm!r} (it has: {', '.join(arms)})"
        )
    if force and arm is None:
        raise InvalidInputError("force", "name the arm to promote (arm) when forcing")
    verdict = f"{result.verdict.value}: {result.reason}"
    if arm is not None and arm != result.winner and not force:
        raise InvalidInputError(
            "arm", f"{arm} is not the winner ({verdict}); force promotes it anyway"
        )
    chosen = arm or result.winner
    if chosen is None:
        raise InvalidInputError("experiment", f"{experiment} has no winner yet ({verdict})")
    if experiment == HOLDOUT_EXPERIMENT and chosen == HOLDOUT_ARM:
        raise InvalidInputError(
            "experiment",
            "the holdout group, sent nothing, does better: review the journey instead",
        )
    return result, chosen
