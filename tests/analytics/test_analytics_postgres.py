"""The analytics queries on PostgreSQL (JSONB arms, the indexes of migration 0030)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.analytics.experiments import COMPLETION_RATE, experiment_result
from journeys.analytics.queries import ReportRequest, requested_report
from journeys.catalog import Catalog
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.store import Store
from tests.support.health_data import record_walks
from tests.support.measured_population import MEASURED

ORG = "acme"


@pytest.mark.postgres
def test_report_and_verdict_by_arm_on_postgresql(pg_store: Store) -> None:
    now = datetime.now(UTC)
    done = ["split", "welcome_long", "day_0", "day_3", "done"]
    record_walks(
        pg_store,
        ORG,
        MEASURED.id,
        now - timedelta(days=2),
        [(done, EnrollmentStatus.COMPLETED, "completed_journey")] * 3
        + [(done[:3], EnrollmentStatus.EXITED, "exit_event:account_closed")],
        arms={"welcome_copy": "long"},
    )
    record_walks(
        pg_store,
        ORG,
        MEASURED.id,
        now - timedelta(days=2),
        [(["split", "welcome_short", "day_0"], EnrollmentStatus.ACTIVE, None)] * 2,
        arms={"welcome_copy": "short"},
    )
    catalog = Catalog([MEASURED])
    request = ReportRequest(
        org_id=ORG,
        journey_id=MEASURED.id,
        since=now - timedelta(days=7),
        until=now,
        experiment="welcome_copy",
        arm="long",
    )
    long_arm = requested_report(pg_store, catalog, request)
    assert (long_arm.entered, long_arm.completed, long_arm.dropped) == (4, 3, 1)
    assert {s.step: (s.reached, s.dropped_here) for s in long_arm.steps}["day_0"] == (4, 1)
    assert long_arm.time_to_complete.median_hours == pytest.approx(24)
    result = experiment_result(
        pg_store,
        MEASURED,
        org_id=ORG,
        experiment="welcome_copy",
        min_sample_per_arm=2,
        alpha=0.05,
        metric=COMPLETION_RATE,
    )
    assert {(a.arm, a.entered, a.ended) for a in result.arms} == {("short", 2, 0), ("long", 4, 2)}
    assert result.verdict == "keep_running"
