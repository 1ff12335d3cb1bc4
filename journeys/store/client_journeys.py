"""Queries of seed 003's client journey events and scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from journeys.store.tables.customers import Customer
from journeys.store.tables.decisions import ClientJourneyEvent, ClientJourneyScore


def add_journey_event(
    session: Session,
    *,
    org_id: str,
    client_id: str,
    stage: str,
    event_type: str,
    metadata: dict[str, Any],
    occurred_at: datetime,
) -> ClientJourneyEvent:
    """Store one client journey event."""
    row = ClientJourneyEvent(
        org_id=org_id,
        client_id=client_id,
        stage=stage,
        event_type=event_type,
        metadata_=metadata,
        occurred_at=occurred_at,
    )
    session.add(row)
    session.flush()
    return row


def journey_events(
    session: Session, *, org_id: str, client_id: str
) -> Sequence[ClientJourneyEvent]:
    """The client's journey events, oldest first."""
    return session.scalars(
        select(ClientJourneyEvent)
        .where(ClientJourneyEvent.org_id == org_id, ClientJourneyEvent.client_id == client_id)
        .order_by(ClientJourneyEvent.occurred_at, ClientJourneyEvent.id)
    ).all()


def latest_stage(session: Session, *, org_id: str, client_id: str) -> str | None:
    """The stage of the client's latest journey event, or None without events."""
    return session.scalars(
        select(ClientJourneyEvent.stage)
        .where(ClientJourneyEvent.org_id == org_id, ClientJourneyEvent.client_id == client_id)
        .order_by(ClientJourneyEvent.occurred_at.desc(), ClientJourneyEvent.id.desc())
        .limit(1)
    ).first()


def count_journey_events(
    session: Session,
    *,
    org_id: str,
    client_id: str,
    since: datetime | None = None,
    stage: str | None = None,
    event_type: str | None = None,
) -> int:
    """How many journey events the client has (since ``since``, of a stage and type)."""
    query = select(func.count()).where(
        ClientJourneyEvent.org_id == org_id, ClientJourneyEvent.client_id == client_id
    )
    if since is not None:
        query = query.where(ClientJourneyEvent.occurred_at >= since)
    if stage is not None:
        query = query.where(ClientJourneyEvent.stage == stage)
    if event_type is not None:
        query = query.where(ClientJourneyEvent.event_type == event_type)
    return int(session.scalar(query) or 0)


def latest_metadata(
    session: Session, *, org_id: str, client_id: str, limit: int
) -> list[dict[str, Any]]:
    """Metadata of the client's latest ``limit`` journey events, newest first."""
    return list(
        session.scalars(
            select(ClientJourneyEvent.metadata_)
            .where(ClientJourneyEvent.org_id == org_id, ClientJourneyEvent.client_id == client_id)
            .order_by(ClientJourneyEvent.occurred_at.desc(), ClientJourneyEvent.id.desc())
            .limit(limit)
        ).all()
    )


def add_journey_score(
    session: Session,
    *,
    org_id: str,
    client_id: str,
    score: float,
    risk_level: str,
    recommended_actions: list[str],
    generated_at: datetime,
) -> ClientJourneyScore:
    """Persist a computed journey score."""
    row = ClientJourneyScore(
        org_id=org_id,
        client_id=client_id,
        score=score,
        risk_level=risk_level,
        recommended_actions=recommended_actions,
        generated_at=generated_at,
    )
    session.add(row)
    session.flush()
    return row


def latest_journey_score(
    session: Session, *, org_id: str, client_id: str
) -> ClientJourneyScore | None:
    """The client's newest persisted score."""
    return session.scalars(
        select(ClientJourneyScore)
        .where(ClientJourneyScore.org_id == org_id, ClientJourneyScore.client_id == client_id)
        .order_by(ClientJourneyScore.generated_at.desc(), ClientJourneyScore.id.desc())
        .limit(1)
    ).first()


def scores_at_levels(
    session: Session, *, org_id: str, levels: Iterable[str]
) -> Sequence[ClientJourneyScore]:
    """Persisted scores of the given risk levels, newest first."""
    return session.scalars(
        select(ClientJourneyScore)
        .where(ClientJourneyScore.org_id == org_id, ClientJourneyScore.risk_level.in_(list(levels)))
        .order_by(ClientJourneyScore.generated_at.desc(), ClientJourneyScore.id.desc())
    ).all()


def events_at_stage(session: Session, *, org_id: str, stage: str) -> Sequence[ClientJourneyEvent]:
    """Journey events of one stage across the organisation, newest first."""
    return session.scalars(
        select(ClientJourneyEvent)
        .where(ClientJourneyEvent.org_id == org_id, ClientJourneyEvent.stage == stage)
        .order_by(ClientJourneyEvent.occurred_at.desc(), ClientJourneyEvent.id.desc())
    ).all()


def customer_attributes(
    session: Session, *, org_id: str, customer_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The attributes of the given customers that exist, by customer id."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.customer_id, Customer.attributes).where(
            Customer.org_id == org_id, Customer.customer_id.in_(ids)
        )
    ).all()
    return {customer_id: dict(attributes) for customer_id, attributes in rows}
