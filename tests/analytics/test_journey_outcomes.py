"""The KPI deltas' cohort figures equal the full report's, without its other queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.analytics.journey_report import journey_outcomes, journey_report
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.store import Store
from journeys.store.journey_analytics import CohortFilter
from tests.support.health_data import record_walks
from tests.support.measured_population import MEASURED

ORG = "acme"
COHORT_FIGURES = (
    "entered",
    "active",
    "completed",
    "goal_reached",
    "dropped",
    "completion_rate",
    "goal_conversion",
    "dropoff_rate",
    "left_by_outcome",
    "time_to_complete",
    "time_to_first_value",
)


def test_outcomes_are_the_reports_cohort_figures(store: Store) -> None:
    now = datetime.now(UTC)
    done = ["split", "welcome_long", "day_0", "day_3", "done"]
    record_walks(
        store,
        ORG,
        MEASURED.id,
        now - timedelta(days=2),
        [
            (done, EnrollmentStatus.COMPLETED, "completed_journey"),
            (done, EnrollmentStatus.COMPLETED, "completed_journey"),
            (done[:3], EnrollmentStatus.EXITED, "goal_reached"),
            (done[:3], EnrollmentStatus.EXITED, "exit_event:account_closed"),
            (done[:3], EnrollmentStatus.ACTIVE, None),
        ],
    )
    where = CohortFilter(ORG, MEASURED.id, now - timedelta(days=7), now)

    outcomes = journey_outcomes(store, where)
    report = journey_report(store, where, list(MEASURED.steps))

    assert (outcomes.entered, outcomes.completed, outcomes.dropped) == (5, 2, 1)
    assert outcomes.completion_rate == pytest.approx(2 / 5)
    assert outcomes.time_to_complete.median_hours == pytest.approx(24)
    assert outcomes.time_to_first_value.count == 1
    for figure in COHORT_FIGURES:
        assert getattr(outcomes, figure) == getattr(report, figure), figure
    assert (outcomes.steps, outcomes.sends, outcomes.decisions) == ([], {}, [])
    assert report.steps
