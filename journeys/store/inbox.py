"""The in-app inbox: messages kept for a customer, listed, read and acknowledged by the app."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.errors import InvalidInputError
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.communication import InboxMessage


class InboxEntry(BaseModel):
    """One in-app message, as the app reads it (``GET /v1/customers/{id}/inbox``)."""

    id: int
    template: str
    subject: str
    body: str
    links: list[str]
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None


def deliver_to_inbox(
    session: Session,
    *,
    org_id: str,
    customer_id: str,
    idempotency_key: str,
    template: str,
    subject: str,
    body: str,
    links: list[str],
) -> int:
    """Keep an in-app message for the customer once per idempotency key; returns its id."""
    insert_if_absent(
        session,
        InboxMessage.__table__,  # type: ignore[arg-type]
        {
            "idempotency_key": idempotency_key,
            "org_id": org_id,
            "customer_id": customer_id,
            "template": template,
            "subject": subject,
            "body": body,
            "links": links,
            "created_at": utcnow(),
        },
    )
    return session.scalars(
        select(InboxMessage.id).where(InboxMessage.idempotency_key == idempotency_key)
    ).one()


def list_inbox(
    session: Session, *, org_id: str, customer_id: str, unread_only: bool = False, limit: int = 50
) -> list[InboxEntry]:
    """The customer's in-app messages, newest first.

    Raises:
        InvalidInputError: ``limit`` is not between 1 and 500.
    """
    if not 1 <= limit <= 500:
        raise InvalidInputError("limit", "must be between 1 and 500")
    query = select(InboxMessage).where(
        InboxMessage.org_id == org_id, InboxMessage.customer_id == customer_id
    )
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    rows = session.scalars(query.order_by(InboxMessage.id.desc()).limit(limit)).all()
    return [_entry(row) for row in rows]


def mark_inbox_message(
    session: Session,
    *,
    org_id: str,
    customer_id: str,
    message_id: int,
    acknowledge: bool = False,
) -> InboxEntry:
    """Mark one message read (and acknowledged when ``acknowledge``); repeats keep the first time.

    Raises:
        InvalidInputError: no such message for this customer (``message_id``).
    """
    row = session.scalars(
        select(InboxMessage).where(
            InboxMessage.id == message_id,
            InboxMessage.org_id == org_id,
            InboxMessage.customer_id == customer_id,
        )
    ).one_or_none()
    if row is None:
        raise InvalidInputError("message_id", f"no in-app message {message_id} for this customer")
    now = utcnow()
    row.read_at = row.read_at or now
    if acknowledge:
        row.acknowledged_at = row.acknowledged_at or now
    return _entry(row)


def _entry(row: InboxMessage) -> InboxEntry:
    return InboxEntry(
        id=row.id,
        template=row.template,
        subject=row.subject,
        body=row.body,
        links=list(row.links),
        created_at=row.created_at,
        read_at=row.read_at,
        acknowledged_at=row.acknowledged_at,
    )
