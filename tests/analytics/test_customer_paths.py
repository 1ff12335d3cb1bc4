"""A customer's enrollments with the steps each visited (the dashboard's customer page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus, StepVisit
from journeys.store import Store
from journeys.store.enrollments import upsert_enrollment
from journeys.store.journey_analytics import customer_paths
from journeys.store.step_visits import record_step_visits

ORG = "acme"
STARTED = datetime(2026, 11, 1, tzinfo=UTC)


def enroll(
    store: Store,
    enrollment_id: str,
    customer_id: str,
    journey_id: str,
    steps: list[str],
    *,
    org_id: str = ORG,
    days_after: int = 0,
) -> None:
    """One active enrollment that visited ``steps`` in order, a minute apart."""
    started = STARTED + timedelta(days=days_after)
    record = EnrollmentRecord(
        org_id=org_id,
        customer_id=customer_id,
        journey_id=journey_id,
        journey_version=2,
        workflow_id=f"wf-{enrollment_id}",
        enrollment_id=enrollment_id,
        status=EnrollmentStatus.ACTIVE,
        at=started,
        visits=[
            StepVisit(step=step, visit=1, entered_at=started + timedelta(minutes=i))
            for i, step in enumerate(steps)
        ],
    )
    with store.transaction() as session:
        upsert_enrollment(session, record)
        record_step_visits(session, record)


def check_paths(store: Store) -> None:
    enroll(store, "e-welcome", "ada", "welcome", ["day_0", "day_1"])
    onboarding = ["split", "welcome_long", "day_0"]
    enroll(store, "e-onboard", "ada", "onboarding", onboarding, days_after=2)
    enroll(store, "e-other", "bob", "welcome", ["day_0"])
    enroll(store, "e-other-org", "ada", "welcome", ["day_0", "day_3"], org_id="globex")
    with store.transaction() as session:
        paths = customer_paths(session, ORG, "ada")
        nobody = customer_paths(session, ORG, "nobody")
    assert paths == [
        ("onboarding", 2, "active", None, ["split", "welcome_long", "day_0"]),
        ("welcome", 2, "active", None, ["day_0", "day_1"]),
    ]
    assert nobody == []


def test_a_customers_paths_are_its_own_enrollments_newest_first(store: Store) -> None:
    check_paths(store)


@pytest.mark.postgres
def test_a_customers_paths_on_postgresql(pg_store: Store) -> None:
    check_paths(pg_store)
