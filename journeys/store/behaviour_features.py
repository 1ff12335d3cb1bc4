"""Feature inputs of the predictive models, counted from behavioural events in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring.predictive_models import (
    ACTIVITY_WINDOW,
    INACTIVITY_CAP_DAYS,
    INTENT_WINDOW,
    BehaviourCounts,
    CustomerFeatures,
    compute_features,
)
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event

LOOKBACK = timedelta(days=INACTIVITY_CAP_DAYS)
"""Older events change no feature (days since the last event is capped at 90)."""

_AS_OF = bindparam("as_of", type_=Event.occurred_at.type)
_COUNTS = (
    select(
        Event.customer_id,
        Event.name,
        func.sum(
            case((Event.occurred_at > bindparam("activity_since", type_=_AS_OF.type), 1), else_=0)
        ),
        func.sum(
            case(
                (
                    and_(
                        Event.name == BehaviourEvent.PRICING_PAGE_VIEWED.value,
                        Event.occurred_at > bindparam("intent_since", type_=_AS_OF.type),
                    ),
                    1,
                ),
                else_=0,
            )
        ),
        func.max(Event.occurred_at),
    )
    .where(
        Event.org_id == bindparam("org_id"),
        Event.occurred_at > bindparam("lookback_since", type_=_AS_OF.type),
        Event.occurred_at <= _AS_OF,
    )
    .group_by(Event.customer_id, Event.name)
)
_ONE_CUSTOMER_COUNTS = _COUNTS.where(Event.customer_id == bindparam("customer_id"))
"""Built once: the counts are on the path of every decision."""


def behaviour_counts(
    session: Session, *, org_id: str, as_of: datetime, customer_ids: Iterable[str] | None = None
) -> dict[str, BehaviourCounts]:
    """Per customer: events per name in the 30 days up to ``as_of``, pricing views, last event.

    Only events in the 90 days up to ``as_of`` count, so training can
    compute the features as they were at a past moment.
    """
    parameters: dict[str, Any] = {
        "org_id": org_id,
        "as_of": as_of,
        "activity_since": as_of - ACTIVITY_WINDOW,
        "intent_since": as_of - INTENT_WINDOW,
        "lookback_since": as_of - LOOKBACK,
    }
    wanted = None if customer_ids is None else set(customer_ids)
    if wanted is not None and len(wanted) == 1:
        statement = _ONE_CUSTOMER_COUNTS
        parameters["customer_id"] = next(iter(wanted))
    else:
        statement = _COUNTS
    result: dict[str, BehaviourCounts] = {}
    for customer_id, name, count_30d, pricing_7d, last_at in session.connection().execute(
        statement, parameters
    ):
        if wanted is not None and customer_id not in wanted:
            continue
        counts = result.setdefault(customer_id, BehaviourCounts())
        counts.counts_30d[name] = int(count_30d or 0)
        counts.pricing_views_7d += int(pricing_7d or 0)
        last = _aware(last_at)
        if counts.last_event_at is None or last > counts.last_event_at:
            counts.last_event_at = last
    return result


def customer_features(session: Session, *, customer: Customer, as_of: datetime) -> CustomerFeatures:
    """The feature vector of one stored customer at ``as_of``."""
    counts = behaviour_counts(
        session, org_id=customer.org_id, as_of=as_of, customer_ids=[customer.customer_id]
    ).get(customer.customer_id, BehaviourCounts())
    return compute_features(counts, customer.attributes, customer.created_at, as_of)


def _aware(value: datetime | str) -> datetime:
    """``max()`` bypasses the column type on SQLite and returns a naive UTC time (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
