"""Calendar waits resolved in the customer's time zone, and what a bad stored zone does."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import update

from activities.customer_profiles import CustomerProfileActivities
from journeys.contracts.activities import WaitDeadlineRequest
from journeys.store import Store
from journeys.store.customers import upsert_customer
from journeys.store.tables.customers import Customer

ORG = "acme"
FRIDAY_EVENING = datetime(2026, 1, 2, 19, 0, tzinfo=UTC)


def nine_am(customer_id: str) -> WaitDeadlineRequest:
    return WaitDeadlineRequest(
        org_id=ORG, customer_id=customer_id, now=FRIDAY_EVENING, at=time(9, 0)
    )


def test_calendar_wait_in_the_customer_zone(store: Store) -> None:
    with store.transaction() as session:
        upsert_customer(session, org_id=ORG, customer_id="tokyo", timezone="Asia/Tokyo")
    deadline = CustomerProfileActivities(store).resolve_wait_deadline(nine_am("tokyo"))
    assert deadline.until == datetime(2026, 1, 3, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    assert deadline.detail == "next 09:00:00 in Asia/Tokyo"


def test_calendar_wait_with_a_bad_stored_zone_says_it_runs_in_utc(store: Store) -> None:
    """A zone stored before zones were checked where they enter: UTC, and the detail says so."""
    with store.transaction() as session:
        upsert_customer(session, org_id=ORG, customer_id="lost")
        session.execute(
            update(Customer).where(Customer.customer_id == "lost").values(timezone="Mars/Base")
        )
    deadline = CustomerProfileActivities(store).resolve_wait_deadline(nine_am("lost"))
    assert deadline.until == datetime(2026, 1, 3, 9, 0, tzinfo=UTC)
    assert deadline.detail == "next 09:00:00 in UTC (stored time zone 'Mars/Base' is not one)"
