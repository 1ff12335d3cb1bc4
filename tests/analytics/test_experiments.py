"""Experiment verdicts: the z-test against textbook values, fixed-horizon verdicts, promotion."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import pytest
from sqlalchemy import select

from journeys.analytics.experiments import (
    COMPLETION_RATE,
    Verdict,
    experiment_result,
    promote_winner,
    two_proportion_z_test,
)
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_INVALID
from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.errors import InvalidInputError
from journeys.language import ExperimentStep
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.enrollments import upsert_enrollment
from journeys.store.step_visits import record_step_visits
from journeys.store.tables.journeys import ExperimentPromotion
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED

SAMPLE = 500
"""Seed 000: declare a winner after 500 users per variant."""

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_z_test_matches_the_textbook() -> None:
    # Agresti, Categorical Data Analysis: the Physicians' Health Study, myocardial
    # infarctions 189/11034 on placebo vs 104/11037 on aspirin: z = 5.0.
    aspirin = two_proportion_z_test(189, 11034, 104, 11037)
    assert aspirin.z == pytest.approx(5.0, abs=0.05)
    assert aspirin.p_value < 1e-6
    # By hand: 320/500 vs 280/500, pooled p = 0.6, SE = sqrt(0.6 * 0.4 * (2/500)) = 0.030984,
    # z = 0.08 / 0.030984 = 2.5820; a normal table gives two-sided p = 2 * (1 - 0.99509) = 0.0098.
    by_hand = two_proportion_z_test(320, 500, 280, 500)
    assert by_hand.difference == pytest.approx(0.08)
    assert by_hand.z == pytest.approx(2.5820, abs=1e-4)
    assert by_hand.p_value == pytest.approx(0.0098, abs=1e-4)
    # The p-value is the normal distribution's two-sided tail at every z.
    for x1, n1, x2, n2 in [(50, 100, 40, 100), (7, 30, 12, 35), (500, 1000, 500, 1000)]:
        test = two_proportion_z_test(x1, n1, x2, n2)
        assert test.p_value == pytest.approx(2 * (1 - NormalDist().cdf(abs(test.z))))
    # The 5% critical value: |z| = 1.96 gives p = 0.05.
    assert math.erfc(1.959964 / math.sqrt(2)) == pytest.approx(0.05, abs=1e-6)


def test_z_test_refuses_impossible_counts() -> None:
    with pytest.raises(InvalidInputError, match="x1"):
        two_proportion_z_test(5, 0, 1, 10)
    with pytest.raises(InvalidInputError, match="x2"):
        two_proportion_z_test(1, 10, 11, 10)


def enroll_arm(
    store: Store, arm: str, completed: int, dropped: int, active: int = 0, start: datetime = START
) -> None:
    """Enrollments of ``arm`` recorded as the bookkeeping activity records them."""
    with store.transaction() as session:
        plan = [EnrollmentStatus.COMPLETED] * completed + [EnrollmentStatus.EXITED] * dropped
        plan += [EnrollmentStatus.ACTIVE] * active
        for index, status in enumerate(plan):
            enrollment_id = uuid.uuid4().hex
            started = start + timedelta(minutes=index)
            base = EnrollmentRecord(
                org_id=ORG,
                customer_id=f"{arm}-{enrollment_id[:8]}",
                journey_id=MEASURED.id,
                journey_version=1,
                workflow_id=f"wf-{enrollment_id}",
                enrollment_id=enrollment_id,
                status=EnrollmentStatus.ACTIVE,
                at=started,
                experiment_arms={"welcome_copy": arm},
            )
            upsert_enrollment(session, base)
            record_step_visits(session, base)
            if status is not EnrollmentStatus.ACTIVE:
                ended = base.model_copy(
                    update={
                        "status": status,
                        "outcome": "completed_journey"
                        if status is EnrollmentStatus.COMPLETED
                        else "exit_event:account_closed",
                        "at": started + timedelta(days=3),
                        "final_step": "done",
                    }
                )
                upsert_enrollment(session, ended)


def verdict(store: Store) -> tuple[Verdict, str | None]:
    result = experiment_result(
        store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=SAMPLE,
        alpha=0.05,
        metric=COMPLETION_RATE,
    )
    return result.verdict, result.winner


def test_keep_running_until_every_arm_has_its_sample_ended(store: Store) -> None:
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=300, dropped=150, active=50)
    assert verdict(store) == (Verdict.KEEP_RUNNING, None)


def test_winner_is_fixed_by_the_first_500_per_arm_however_often_one_looks(
    store: Store,
) -> None:
    # Short (the control) completes 250/500 = 50%, long 300/500 = 60%:
    # z = 0.1 / sqrt(0.55 * 0.45 * 2/500) = 3.18, p = 0.0015 < 0.05.
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=300, dropped=200)
    assert verdict(store) == (Verdict.WINNER, "long")
    result = experiment_result(
        store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=SAMPLE,
        alpha=0.05,
        metric=COMPLETION_RATE,
    )
    assert result.comparisons[0].test.z == pytest.approx(3.178, abs=1e-3)
    # Later enrollments (all failing) do not move a verdict read on the first 500.
    enroll_arm(store, "long", completed=0, dropped=400, start=START + timedelta(days=10))
    assert verdict(store) == (Verdict.WINNER, "long")

    promotion = promote_winner(
        store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=SAMPLE,
        alpha=0.05,
        promoted_by="tests",
        metric=COMPLETION_RATE,
    )
    step = promotion.next_definition.steps["split"]
    assert isinstance(step, ExperimentStep)
    assert promotion.next_definition.version == MEASURED.version + 1
    assert {arm.name: arm.weight for arm in step.arms} == {"short": 0, "long": 100}
    with store.transaction() as session:
        stored = session.scalars(select(ExperimentPromotion)).one()
        assert (stored.arm, stored.evidence["verdict"]) == ("long", "winner")


def test_no_difference_and_no_promotion(store: Store) -> None:
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=260, dropped=240)
    assert verdict(store) == (Verdict.NO_DIFFERENCE, None)
    with pytest.raises(InvalidInputError, match="no winner yet"):
        promote_winner(
            store,
            MEASURED,
            org_id=ORG,
            experiment="welcome_copy",
            min_sample_per_arm=SAMPLE,
            alpha=0.05,
            promoted_by="tests",
            metric=COMPLETION_RATE,
        )


def test_cli_shows_a_verdict_and_refuses_bad_input(
    store: Store,
    settings: JourneySettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=300, dropped=200)
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("JOURNEYS_CATALOG", "tests.support.measured_population:MEASURED_JOURNEYS")
    assert (
        main(
            [
                "experiment",
                "show",
                MEASURED.id,
                "welcome_copy",
                "--org",
                ORG,
                "--metric",
                COMPLETION_RATE,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Verdict: winner — long" in out
    assert "z=3.18" in out
    assert main(["experiment", "show", MEASURED.id, "no_such", "--org", ORG]) == EXIT_INVALID
    assert (
        "experiment: measured_onboarding@1 has no experiment 'no_such'" in capsys.readouterr().err
    )
    assert (
        main(["experiment", "promote", MEASURED.id, "welcome_copy", "--version", "0"])
        == EXIT_INVALID
    )
    assert "--version: must be at least 1" in capsys.readouterr().err
