"""The communication log: every send, reserved under its idempotency key."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.activity_contracts import SendRequest
from journeys.store.database import insert_if_absent
from journeys.store.models import CommunicationLog, utcnow

RESERVED = "reserved"
"""Status of a send whose slot is taken but whose provider outcome is not recorded yet."""


def send_idempotency_key(request: SendRequest) -> str:
    """The send's key: enrollment, step visit and channel; never the attempt or run."""
    raw = f"{request.enrollment_id}|{request.step_key}|{request.channel.value}"
    return hashlib.sha256(raw.encode()).hexdigest()


def reserve_send(
    session: Session, request: SendRequest, *, key: str
) -> tuple[CommunicationLog, bool]:
    """Reserve the send's row; returns the row and whether this call created it."""
    now = utcnow()
    created = insert_if_absent(
        session,
        CommunicationLog.__table__,  # type: ignore[arg-type]
        {
            "idempotency_key": key,
            "org_id": request.org_id,
            "customer_id": request.customer_id,
            "journey_id": request.journey_id,
            "journey_version": request.journey_version,
            "workflow_id": request.workflow_id,
            "enrollment_id": request.enrollment_id,
            "step_key": request.step_key,
            "channel": request.channel.value,
            "template": request.template,
            "status": RESERVED,
            "subject": "",
            "body": "",
            "detail": "",
            "created_at": now,
            "updated_at": now,
        },
    )
    row = session.scalars(
        select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
    ).one()
    return row, created


def finish_send(session: Session, *, key: str, status: str, detail: str) -> None:
    """Record the provider's outcome of a reserved send."""
    row = session.scalars(
        select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
    ).one()
    row.status, row.detail = status, detail
