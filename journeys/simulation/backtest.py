"""Backtests: the stored event streams of real customers replayed through a journey version.

Reads the store (customers, consent, suppressions, events since a date) and
nothing else: each customer is simulated on the virtual clock with the
simulator's in-memory activities, so nothing is sent, no provider is called
and nothing is written (the communication log, decisions and enrollments are
left as they are). A customer enrolls where the journey's entry event first
occurs since the date (if the profile meets the entry conditions), or at the
date itself for a journey entered only by the API or a transition.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from datetime import time as clock_time
from itertools import groupby

from sqlalchemy import func, select

from journeys.language import JourneyDefinition
from journeys.language.evaluation import entry_conditions_hold
from journeys.simulation.activities import CustomerEvent, SimulatedCustomer
from journeys.simulation.engine import Progress, SimulationSettings, check_days, simulate_customer
from journeys.simulation.report import SimulationReport
from journeys.store import Store
from journeys.store.tables.customers import Consent, Customer, Suppression
from journeys.store.tables.events import Event

PAGE_SIZE = 500
"""Customers read from the store at a time (memory stays flat)."""

STORE_PROFILE = "store"
"""The profile name counted for customers replayed from the store."""


def backtest_since(since: date) -> datetime:
    """Midnight UTC of the backtest's first day."""
    return datetime.combine(since, clock_time(0), tzinfo=UTC)


def customers_with_events(store: Store, org_id: str, since: datetime) -> int:
    """How many of the org's customers have events since ``since``."""
    with store.transaction() as session:
        return int(
            session.scalar(
                select(func.count(func.distinct(Event.customer_id))).where(
                    Event.org_id == org_id, Event.occurred_at >= since
                )
            )
            or 0
        )


def stored_customers(
    store: Store, org_id: str, since: datetime, delivered: frozenset[str]
) -> Iterator[SimulatedCustomer]:
    """The org's customers with events since ``since``, with those events, page by page."""
    after = ""
    while True:
        with store.transaction() as session:
            ids = list(
                session.scalars(
                    select(Event.customer_id)
                    .where(
                        Event.org_id == org_id,
                        Event.occurred_at >= since,
                        Event.customer_id > after,
                    )
                    .group_by(Event.customer_id)
                    .order_by(Event.customer_id)
                    .limit(PAGE_SIZE)
                )
            )
            if not ids:
                return
            profiles = {
                row.customer_id: row
                for row in session.scalars(
                    select(Customer).where(Customer.org_id == org_id, Customer.customer_id.in_(ids))
                )
            }
            consents: dict[str, dict[str, str]] = {}
            for customer_id, channel, status in session.execute(
                select(Consent.customer_id, Consent.channel, Consent.status).where(
                    Consent.org_id == org_id, Consent.customer_id.in_(ids)
                )
            ):
                consents.setdefault(customer_id, {})[channel] = status
            suppressions: dict[str, dict[str, str]] = {}
            for customer_id, channel, reason in session.execute(
                select(Suppression.customer_id, Suppression.channel, Suppression.reason).where(
                    Suppression.org_id == org_id, Suppression.customer_id.in_(ids)
                )
            ):
                suppressions.setdefault(customer_id, {})[channel] = reason
            rows = session.execute(
                select(
                    Event.customer_id,
                    Event.event_id,
                    Event.name,
                    Event.occurred_at,
                    Event.properties,
                )
                .where(
                    Event.org_id == org_id,
                    Event.customer_id.in_(ids),
                    Event.occurred_at >= since,
                )
                .order_by(Event.customer_id, Event.occurred_at, Event.id)
            ).all()
            for customer_id, events in groupby(rows, key=lambda row: row[0]):
                profile = profiles.get(customer_id)
                yield SimulatedCustomer(
                    customer_id=customer_id,
                    attributes=dict(profile.attributes) if profile else {},
                    timezone=profile.timezone if profile else "UTC",
                    lifecycle_stage=profile.lifecycle_stage if profile else None,
                    consents=consents.get(customer_id, {}),
                    suppressions=suppressions.get(customer_id, {}),
                    events=[
                        CustomerEvent(
                            event_id=event_id,
                            name=name,
                            occurred_at=occurred_at,
                            properties=dict(properties or {}),
                            delivered=name in delivered,
                        )
                        for _, event_id, name, occurred_at, properties in events
                    ],
                    profile_name=STORE_PROFILE,
                )
        after = ids[-1]


def backtest(
    definition: JourneyDefinition,
    store: Store,
    org_id: str,
    since: date,
    days: int,
    settings: SimulationSettings,
    *,
    progress: Progress | None = None,
) -> SimulationReport:
    """Replay the org's stored event streams since ``since`` through a journey version.

    Reads only: nothing is sent or written (see the module docs).

    Raises:
        InvalidInputError: days out of range.
    """
    check_days(days)
    began = time.perf_counter()
    start = backtest_since(since)
    report = SimulationReport(
        journey=definition.key,
        days=days,
        source=f"store events of {org_id} since {since.isoformat()}",
        steps=list(definition.steps),
    )
    delivered = frozenset(definition.listened_events())
    entry = definition.entry
    total = customers_with_events(store, org_id, start)
    say = progress or (lambda _done, _total: None)
    say(0, total)
    skipped = 0
    for customer in stored_customers(store, org_id, start, delivered):
        enrolled_at = start
        entry_event_id = None
        if entry.event is not None:
            first = next((e for e in customer.events if e.name == entry.event), None)
            if first is None or not entry_conditions_hold(
                entry.conditions,
                customer.attributes,
                customer.lifecycle_stage,
                event_at=first.occurred_at,
            ):
                skipped += 1
                say(report.customers + skipped, total)
                continue
            enrolled_at, entry_event_id = first.occurred_at, first.event_id
        run, trace = simulate_customer(
            definition,
            customer,
            enrolled_at=enrolled_at,
            days=days,
            settings=settings,
            org_id=org_id,
            entry_event_id=entry_event_id,
        )
        report.add(definition, run, trace, enrolled_at, customer.profile_name)
        say(report.customers + skipped, total)
    report.not_enrolled = skipped
    report.wall_seconds = time.perf_counter() - began
    return report
