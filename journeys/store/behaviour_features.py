"""Feature inputs of the predictive models, counted from behavioural events in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from journeys.decisioning.predictive_models import (
    ACTIVITY_WINDOW,
    INTENT_WINDOW,
    BehaviourCounts,
    BehaviourEvent,
    CustomerFeatures,
    compute_features,
)
from journeys.store.models import Customer, Event


def behaviour_counts(
    session: Session, *, org_id: str, as_of: datetime, customer_ids: Iterable[str] | None = None
) -> dict[str, BehaviourCounts]:
    """Per customer: events per name in the 30 days up to ``as_of``, pricing views, last event.

    Only events at or before ``as_of`` count, so training can compute the
    features as they were at a past moment.
    """
    recent = and_(Event.occurred_at > as_of - ACTIVITY_WINDOW, Event.occurred_at <= as_of)
    intent = and_(
        Event.name == BehaviourEvent.PRICING_VIEWED.value,
        Event.occurred_at > as_of - INTENT_WINDOW,
        Event.occurred_at <= as_of,
    )
    query = (
        select(
            Event.customer_id,
            Event.name,
            func.sum(case((recent, 1), else_=0)),
            func.sum(case((intent, 1), else_=0)),
            func.max(Event.occurred_at),
        )
        .where(Event.org_id == org_id, Event.occurred_at <= as_of)
        .group_by(Event.customer_id, Event.name)
    )
    if customer_ids is not None:
        query = query.where(Event.customer_id.in_(list(customer_ids)))
    result: dict[str, BehaviourCounts] = {}
    for customer_id, name, count_30d, pricing_7d, last_at in session.execute(query):
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


def _aware(value: datetime) -> datetime:
    """``max()`` bypasses the column type on SQLite and returns a naive UTC time (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
