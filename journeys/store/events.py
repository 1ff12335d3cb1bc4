"""Behaviour events in the store: idempotent on (org, event id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.events import Event


def record_event(
    session: Session,
    *,
    org_id: str,
    event_id: str,
    customer_id: str,
    name: str,
    occurred_at: datetime,
    properties: dict[str, Any],
) -> bool:
    """Store an event unless its id is already stored; True when it is new."""
    return insert_if_absent(
        session,
        Event.__table__,  # type: ignore[arg-type]
        {
            "org_id": org_id,
            "event_id": event_id,
            "customer_id": customer_id,
            "name": name,
            "occurred_at": occurred_at,
            "properties": properties,
            "received_at": utcnow(),
        },
    )


def count_events(
    session: Session, *, org_id: str, customer_id: str, name: str, since: datetime | None = None
) -> int:
    """How many ``name`` events the customer sent (since ``since`` if given)."""
    query = select(func.count()).where(
        Event.org_id == org_id, Event.customer_id == customer_id, Event.name == name
    )
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    return int(session.scalar(query) or 0)
