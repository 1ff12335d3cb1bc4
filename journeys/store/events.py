"""Behaviour events in the store: idempotent on (org, event id), with their routing state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.events import Event


@dataclass(frozen=True)
class StoredEvent:
    """An event as the store holds it, for routing.

    Attributes:
        received_at: When the store first took it.
    """

    org_id: str
    event_id: str
    customer_id: str
    name: str
    occurred_at: datetime
    properties: dict[str, Any]
    received_at: datetime


def record_event(
    session: Session,
    *,
    org_id: str,
    event_id: str,
    customer_id: str,
    name: str,
    occurred_at: datetime,
    properties: dict[str, Any],
    route: bool = False,
    received_at: datetime | None = None,
) -> bool:
    """Store an event unless its id is already stored; True when it is new.

    With ``route`` the event still has to be routed: it stays unrouted (for a
    retry, or the worker's sweep) until :func:`mark_events_routed`. Events no
    enrollment listens to, and imported history, are stored as routed.
    ``received_at`` is when the store took it (default: now).
    """
    received_at = received_at or utcnow()
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
            "received_at": received_at,
            "routed_at": None if route else received_at,
        },
    )


def find_unrouted_event(session: Session, *, org_id: str, event_id: str) -> StoredEvent | None:
    """The stored event with that id if it has not been routed yet, else None."""
    row = session.scalars(
        select(Event).where(
            Event.org_id == org_id, Event.event_id == event_id, Event.routed_at.is_(None)
        )
    ).one_or_none()
    return None if row is None else _stored(row)


def unrouted_events(
    session: Session, *, received_before: datetime, limit: int
) -> list[StoredEvent]:
    """Events still unrouted that the store took before ``received_before``, oldest first."""
    rows = session.scalars(
        select(Event)
        .where(Event.routed_at.is_(None), Event.received_at < received_before)
        .order_by(Event.received_at, Event.id)
        .limit(limit)
    )
    return [_stored(row) for row in rows]


def customers_unrouted_events(
    session: Session, *, org_id: str, customer_ids: Collection[str]
) -> list[StoredEvent]:
    """The events of these customers still unrouted, oldest first."""
    rows = session.scalars(
        select(Event)
        .where(
            Event.routed_at.is_(None),
            Event.org_id == org_id,
            Event.customer_id.in_(customer_ids),
        )
        .order_by(Event.received_at, Event.id)
    )
    return [_stored(row) for row in rows]


def mark_events_routed(session: Session, keys: Iterable[tuple[str, str]], at: datetime) -> None:
    """Mark events, given as (org id, event id), routed at ``at`` (one statement per org)."""
    by_org: dict[str, list[str]] = defaultdict(list)
    for org_id, event_id in keys:
        by_org[org_id].append(event_id)
    for org_id, event_ids in by_org.items():
        session.execute(
            update(Event)
            .where(Event.org_id == org_id, Event.event_id.in_(event_ids), Event.routed_at.is_(None))
            .values(routed_at=at)
            .execution_options(synchronize_session=False)
        )


def _stored(row: Event) -> StoredEvent:
    return StoredEvent(
        org_id=row.org_id,
        event_id=row.event_id,
        customer_id=row.customer_id,
        name=row.name,
        occurred_at=row.occurred_at,
        properties=row.properties,
        received_at=row.received_at,
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
