"""A customer's enrollments with the steps each visited (the dashboard's customer page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.contracts.enrollment import EnrollmentStatus
from journeys.store import Store
from journeys.store.journey_analytics import customer_paths
from tests.support.health_data import record_walks

ORG = "acme"
STARTED = datetime(2026, 11, 1, tzinfo=UTC)
ACTIVE = EnrollmentStatus.ACTIVE


def check_paths(store: Store) -> None:
    record_walks(
        store, ORG, "welcome", STARTED, [(["day_0", "day_1"], ACTIVE, None)], customer_id="ada"
    )
    onboarding = ["split", "welcome_long", "day_0"]
    later = STARTED + timedelta(days=2)
    record_walks(store, ORG, "onboarding", later, [(onboarding, ACTIVE, None)], customer_id="ada")
    record_walks(store, ORG, "welcome", STARTED, [(["day_0"], ACTIVE, None)], customer_id="bob")
    record_walks(store, "globex", "welcome", later, [(["day_3"], ACTIVE, None)], customer_id="ada")
    with store.transaction() as session:
        paths = customer_paths(session, ORG, "ada")
        nobody = customer_paths(session, ORG, "nobody")
    assert paths == [
        ("onboarding", 1, "active", None, onboarding),
        ("welcome", 1, "active", None, ["day_0", "day_1"]),
    ]
    assert nobody == []


def test_a_customers_paths_are_its_own_enrollments_newest_first(store: Store) -> None:
    check_paths(store)


@pytest.mark.postgres
def test_a_customers_paths_on_postgresql(pg_store: Store) -> None:
    check_paths(pg_store)
