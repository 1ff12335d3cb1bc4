"""The communication log: every send, reserved under its idempotency key.

Rows are written by the send decision (:mod:`journeys.store.send_slots`) and
the provider's outcome; this module holds the key and the read side.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.contracts.activities import SendRequest
from journeys.errors import InvalidInputError
from journeys.store.tables.communication import CommunicationLog

RESERVED = "reserved"
"""Status of a send whose slot is taken but whose provider outcome is not recorded yet."""


def send_idempotency_key(request: SendRequest) -> str:
    """The send's key: enrollment, step visit and channel; never the attempt or run."""
    raw = f"{request.enrollment_id}|{request.step_key}|{request.channel.value}"
    return hashlib.sha256(raw.encode()).hexdigest()


def customer_sends(
    session: Session, *, org_id: str, customer_id: str, limit: int = 100
) -> list[CommunicationLog]:
    """The customer's sends across all journeys, newest first.

    Raises:
        InvalidInputError: ``limit`` is not between 1 and 1000.
    """
    if not 1 <= limit <= 1000:
        raise InvalidInputError("limit", "must be between 1 and 1000")
    return list(
        session.scalars(
            select(CommunicationLog)
            .where(CommunicationLog.org_id == org_id, CommunicationLog.customer_id == customer_id)
            .order_by(CommunicationLog.id.desc())
            .limit(limit)
        ).all()
    )
