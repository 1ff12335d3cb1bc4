"""The analytics queries on PostgreSQL (JSONB arms, the indexes of migration 0030)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.analytics.experiments import COMPLETION_RATE, experiment_result
from journeys.analytics.queries import ReportRequest, requested_report
from journeys.catalog import Catalog
from journeys.contracts.activities import DecisionCandidate, DecisionRecord
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.dashboard.live_view import live_view
from journeys.decisioning.customer_decisions import NEXT_BEST_ACTION_DECISION
from journeys.store import Store
from journeys.store.decision_audit import record_decision
from tests.support.health_data import record_walks
from tests.support.measured_population import MEASURED

ORG = "acme"
HOUR = timedelta(hours=1)


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


@pytest.mark.postgres
def test_decision_confidence_is_computed_in_postgresql(pg_store: Store) -> None:
    """The chosen candidate's first score in 0..1 counts; other scores and names do not."""
    now = datetime.now(UTC)
    candidates = {
        "1": ("email", [("email", 0.9), ("push", 0.4)]),
        "2": ("email", [("email", 7.0), ("email", 0.7)]),
        "3": ("push", [("email", 0.2)]),
        "4": ("push", [("push", 0.5), ("push", 0.1)]),
    }
    with pg_store.transaction() as session:
        for key, (choice, scores) in candidates.items():
            record_decision(
                session,
                DecisionRecord(
                    org_id=ORG,
                    customer_id=f"c-{key}",
                    journey_id=MEASURED.id,
                    enrollment_id=f"e-{key}",
                    step_key=key,
                    decision=NEXT_BEST_ACTION_DECISION,
                    model_name="m",
                    model_version="nba-1",
                    candidates=[DecisionCandidate(name=n, score=s) for n, s in scores],
                    choice=choice,
                    rationale="",
                    decided_at=now,
                ),
            )
    report = requested_report(
        pg_store,
        Catalog([MEASURED]),
        ReportRequest(
            org_id=ORG, journey_id=MEASURED.id, since=now - timedelta(days=1), until=now + HOUR
        ),
    )
    summary = {d.choice: (d.count, d.average_confidence) for d in report.decisions}
    assert summary["email"][0] == 2
    assert summary["email"][1] == pytest.approx(0.8)
    assert summary["push"] == (2, 0.5)
    view = live_view(pg_store, ORG, now + HOUR)
    assert view.nba_decisions == 4
    assert view.nba_average_confidence == pytest.approx((0.9 + 0.7 + 0.5) / 3)
    assert sorted(view.top_actions) == [("email", 2), ("push", 2)]
