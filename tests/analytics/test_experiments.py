"""Experiment verdicts: the z-test against textbook values, fixed-horizon verdicts, promotion."""

from __future__ import annotations

import functools
import math
from datetime import timedelta
from statistics import NormalDist

import pytest

from journeys.analytics.experiments import (
    COMPLETION_RATE,
    Verdict,
    carries_promotion,
    checked_promotion,
    experiment_result,
    promoted_definition,
    two_proportion_z_test,
)
from journeys.catalog import DRAFT_STATUS
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_INVALID
from journeys.errors import InvalidInputError
from journeys.language import ExperimentStep
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.experiment_data import SAMPLE, START, enroll_arm
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED


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

    evidence, arm = checked_promotion(
        store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=SAMPLE,
        alpha=0.05,
        metric=COMPLETION_RATE,
    )
    assert (evidence.winner, arm) == ("long", "long")
    draft = promoted_definition(MEASURED, "welcome_copy", arm)
    step = draft.steps["split"]
    assert isinstance(step, ExperimentStep)
    assert (draft.version, draft.metadata.status) == (MEASURED.version + 1, DRAFT_STATUS)
    assert {arm.name: arm.weight for arm in step.arms} == {"short": 0, "long": 100}
    assert carries_promotion(draft, MEASURED, "welcome_copy", "long")
    assert not carries_promotion(draft, MEASURED, "welcome_copy", "short")
    assert not carries_promotion(MEASURED, MEASURED, "welcome_copy", "long")


def test_no_difference_and_no_promotion(store: Store) -> None:
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=260, dropped=240)
    assert verdict(store) == (Verdict.NO_DIFFERENCE, None)
    promote = functools.partial(
        checked_promotion,
        store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=SAMPLE,
        alpha=0.05,
        metric=COMPLETION_RATE,
    )
    with pytest.raises(InvalidInputError, match="no winner yet") as no_winner:
        promote()
    assert no_winner.value.field == "experiment"
    with pytest.raises(InvalidInputError, match="long is not the winner") as not_winner:
        promote(arm="long")
    assert not_winner.value.field == "arm"
    with pytest.raises(InvalidInputError, match="no arm 'medium'") as unknown:
        promote(arm="medium", force=True)
    assert unknown.value.field == "arm"
    with pytest.raises(InvalidInputError, match="name the arm") as armless:
        promote(force=True)
    assert armless.value.field == "force"
    evidence, arm = promote(arm="long", force=True)
    assert (evidence.verdict, arm) == (Verdict.NO_DIFFERENCE, "long")


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
    assert main(["experiment", "promote", MEASURED.id, "no_such", "--org", ORG]) == EXIT_INVALID
    assert "experiment: measured_onboarding@1 has no experiment" in capsys.readouterr().err
    assert (
        main(["experiment", "promote", MEASURED.id, "welcome_copy", "--force", "--org", ORG])
        == EXIT_INVALID
    )
    assert "--force: needs --arm" in capsys.readouterr().err
