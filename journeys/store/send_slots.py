"""Send decisions: consent, quiet hours and frequency caps, decided atomically per customer.

Every decision for a customer first locks the customer's row in
``send_locks`` with an upsert (the row lock on PostgreSQL; on SQLite, as the
first statement of the transaction, the database write lock at once, as
``BEGIN IMMEDIATE`` would). Under that lock the send's row in the
communication log is read or created under its unique idempotency key, consent
and suppression are checked, quiet hours and every frequency cap are judged
against the sends of all journeys, and the slot is taken. Two journeys racing
for a customer's last slot therefore get exactly one winner.

Statuses of a communication log row: ``reserved`` (slot taken, provider called
or about to be), ``retrying`` (the provider refused for now; nothing was
delivered), and the :class:`~journeys.contracts.activities.SendStatus` values.
``capped`` and ``deferred`` rows are decided again when the send is retried;
``sent``, ``suppressed``, ``failed`` and ``unknown`` are final.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from journeys.contracts.activities import SendRequest, SendStatus
from journeys.delivery.frequency_caps import longest_window, slot_frees_at
from journeys.delivery.quiet_hours import quiet_hours_end
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.language.schedule import customer_zone
from journeys.store.communication_log import RESERVED
from journeys.store.consent import send_forbidden_because
from journeys.store.customers import find_customer
from journeys.store.database import dialect_insert
from journeys.store.tables.base import utcnow
from journeys.store.tables.communication import CommunicationLog, ProviderAttempt, SendLock
from journeys.store.tables.customers import Customer

RETRYING = "retrying"
"""Status of a send the provider refused for now (nothing delivered); a retry may send."""

FINAL_STATUSES: frozenset[str] = frozenset(
    {SendStatus.SENT, SendStatus.SUPPRESSED, SendStatus.FAILED, SendStatus.UNKNOWN}
)
"""Statuses after which the provider is never called again for the send."""

_SEND_LOCK = "send_lock"
"""Key of ``Session.info`` entries marking the customers whose send lock the transaction holds."""

SLOT_HOLDING_STATUSES: tuple[str, ...] = (RESERVED, RETRYING, SendStatus.SENT, SendStatus.UNKNOWN)
"""Sends that count against frequency caps: delivered, in flight, pending or maybe delivered."""


class SendContent(BaseModel):
    """The rendered message stored with the send."""

    subject: str
    body: str
    links: list[str] = Field(default_factory=list)
    source: str = ""


class Verdict(StrEnum):
    """What the caller must do after :func:`decide_send`."""

    CALL_PROVIDER = "call_provider"
    DONE = "done"


class SendDecision(BaseModel):
    """The outcome of :func:`decide_send`.

    Attributes:
        verdict: Call the provider now, or report ``status`` as it is.
        status: The send's status (``None`` when the provider must be called).
        duplicate: The outcome was recorded by an earlier attempt.
        in_doubt: An earlier attempt reserved the send and never recorded
            the provider's answer (it crashed or timed out).
        attempt: The provider call number when the provider must be called.
    """

    verdict: Verdict
    status: SendStatus | None = None
    message_id: int
    detail: str = ""
    retry_at: datetime | None = None
    duplicate: bool = False
    in_doubt: bool = False
    attempt: int = 0


def lock_customer_sends(session: Session, *, org_id: str, customer_id: str) -> Customer | None:
    """Serialise the send decisions of one customer until the transaction ends.

    Must be the first statement of the transaction: one upsert of the
    customer's ``send_locks`` row, which takes the row lock on PostgreSQL and
    the write lock on SQLite before anything is read.

    Returns:
        The customer's profile row, read under the lock (None if unknown).
    """
    session.execute(
        _send_lock_statement(session.get_bind().dialect.name),
        {"org_id": org_id, "customer_id": customer_id, "decisions": 1, "updated_at": utcnow()},
    )
    session.info[_SEND_LOCK, org_id, customer_id] = True
    return find_customer(session, org_id=org_id, customer_id=customer_id)


@functools.cache
def _send_lock_statement(dialect: str) -> Any:
    """Built once per dialect: it is the first statement of every send decision."""
    table: Table = SendLock.__table__  # type: ignore[assignment]
    statement = dialect_insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.org_id, table.c.customer_id],
        set_={"decisions": table.c.decisions + 1, "updated_at": statement.excluded.updated_at},
    )


def decide_send(  # noqa: C901 - the send rules in their documented order, in one place
    session: Session,
    request: SendRequest,
    *,
    customer: Customer | None,
    key: str,
    content: SendContent,
    caps: Sequence[FrequencyCap],
    quiet_hours: QuietHours | None,
    resend_in_doubt: bool,
    now: datetime,
) -> SendDecision:
    """Decide, atomically for the customer, whether the send may call its provider now.

    Args:
        session: A session holding :func:`lock_customer_sends` for the customer.
        request: The send.
        customer: The customer's row, as :func:`lock_customer_sends` returned it.
        key: The send's idempotency key.
        content: The rendered message, stored with the send.
        caps: Every frequency cap in force (global and the journey's).
        quiet_hours: Quiet hours in force, or None.
        resend_in_doubt: Whether a send left in doubt by a crashed attempt may
            be sent again (only for providers that de-duplicate by key).
        now: The time of the decision.
    """
    if not session.info.get((_SEND_LOCK, request.org_id, request.customer_id)):
        raise RuntimeError("decide_send needs lock_customer_sends first, in the same transaction")
    row = session.scalars(
        select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
    ).one_or_none()
    if row is not None and row.status in FINAL_STATUSES:
        return _done(row, duplicate=True)
    if row is not None and row.status == RESERVED:
        if not resend_in_doubt:
            row.status = SendStatus.UNKNOWN.value
            row.detail = (
                "outcome unknown: an attempt ended between the provider call and its record"
            )
            _record_attempt(session, row, outcome=SendStatus.UNKNOWN.value, now=now)
            return _done(row, in_doubt=True)
        return _call_provider(row, now=now, in_doubt=True)
    if row is None:
        row = _new_row(session, request, key=key, content=content, now=now)
    forbidden = send_forbidden_because(
        session,
        org_id=request.org_id,
        customer_id=request.customer_id,
        channel=request.channel.value,
    )
    if forbidden is not None:
        row.status, row.detail, row.slot_at, row.retry_at = (
            SendStatus.SUPPRESSED.value,
            forbidden,
            None,
            None,
        )
        return _done(row)
    if row.status == RETRYING:
        return _call_provider(row, now=now)
    if quiet_hours is not None:
        zone = customer_zone(customer.timezone if customer else None)
        ends = quiet_hours_end(quiet_hours, now, zone)
        if ends is not None:
            row.status, row.retry_at = SendStatus.DEFERRED.value, ends
            row.detail = f"quiet hours in {zone.key} until {ends.isoformat()}"
            return _done(row)
    # A transactional send is exempt from caps and holds no slot: a receipt never
    # crowds out, nor is crowded out by, the journeys' marketing.
    frees_at = (
        None
        if request.transactional
        else slot_frees_at(
            caps,
            request.channel,
            slots_held(
                session,
                org_id=request.org_id,
                customer_id=request.customer_id,
                now=now,
                window=longest_window(caps),
            ),
            now,
        )
    )
    if frees_at is not None:
        row.status, row.retry_at = SendStatus.CAPPED.value, frees_at
        row.detail = f"frequency cap reached until {frees_at.isoformat()}"
        return _done(row)
    row.subject, row.body, row.links = content.subject, content.body, list(content.links)
    row.content_source = content.source
    row.slot_at, row.retry_at = (None if request.transactional else now), None
    return _call_provider(row, now=now)


def record_provider_outcome(
    session: Session,
    *,
    key: str,
    status: str,
    detail: str,
    provider: str,
    now: datetime,
) -> CommunicationLog:
    """Record what the provider said about a send (and the attempt itself).

    ``status`` is ``sent``, ``failed``, ``retrying`` or ``unknown``. A send
    already marked ``unknown`` by a later attempt is corrected when a late
    definite answer (sent or failed) arrives. A failed send gives its cap
    slot back.
    """
    row = session.scalars(
        select(CommunicationLog).where(CommunicationLog.idempotency_key == key).with_for_update()
    ).one()
    late_answer = row.status == SendStatus.UNKNOWN.value and status in (
        SendStatus.SENT.value,
        SendStatus.FAILED.value,
    )
    if row.status in (RESERVED, RETRYING) or late_answer:
        row.status, row.detail, row.provider = status, detail, provider
        if status == SendStatus.FAILED.value:
            row.slot_at = None
    _record_attempt(session, row, outcome=status, now=now, detail=detail, provider=provider)
    return row


def record_send_failure(
    session: Session, request: SendRequest, *, key: str, reason: str, now: datetime
) -> tuple[CommunicationLog, bool]:
    """Mark a send whose last channel failed for good as ``failed``; whether it changed.

    A send the store never reserved (it was down throughout) gets a ``failed`` row,
    so that the failure shows in the communication log. Final rows stay as they are.
    """
    row = session.scalars(
        select(CommunicationLog).where(CommunicationLog.idempotency_key == key).with_for_update()
    ).one_or_none()
    if row is None:
        row = _new_row(session, request, key=key, content=SendContent(subject="", body=""), now=now)
    if row.status in FINAL_STATUSES:
        return row, False
    row.status, row.detail, row.slot_at, row.updated_at = SendStatus.FAILED, reason, None, now
    _record_attempt(session, row, outcome=SendStatus.FAILED.value, now=now, detail=reason)
    return row, True


_SLOTS_HELD = select(CommunicationLog.channel, CommunicationLog.slot_at).where(
    CommunicationLog.org_id == bindparam("org_id"),
    CommunicationLog.customer_id == bindparam("customer_id"),
    CommunicationLog.slot_at > bindparam("since", type_=CommunicationLog.slot_at.type),
    CommunicationLog.status.in_(SLOT_HOLDING_STATUSES),
)
"""Built once: it is on the path of every send and every next-best-action decision."""


def slots_held(
    session: Session, *, org_id: str, customer_id: str, now: datetime, window: timedelta | None
) -> list[tuple[Channel, datetime]]:
    """Channel and slot time of the customer's sends holding a frequency-cap slot in ``window``."""
    if not window:
        return []
    rows = session.execute(
        _SLOTS_HELD, {"org_id": org_id, "customer_id": customer_id, "since": now - window}
    )
    return [(Channel(channel), at) for channel, at in rows if at is not None]


def _new_row(
    session: Session, request: SendRequest, *, key: str, content: SendContent, now: datetime
) -> CommunicationLog:
    row = CommunicationLog(
        idempotency_key=key,
        org_id=request.org_id,
        customer_id=request.customer_id,
        journey_id=request.journey_id,
        journey_version=request.journey_version,
        workflow_id=request.workflow_id,
        enrollment_id=request.enrollment_id,
        step_key=request.step_key,
        channel=request.channel.value,
        template=request.template,
        status=RESERVED,
        subject=content.subject,
        body=content.body,
        links=list(content.links),
        content_source=content.source,
        detail="",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _call_provider(row: CommunicationLog, *, now: datetime, in_doubt: bool = False) -> SendDecision:
    row.status, row.attempts, row.updated_at = RESERVED, row.attempts + 1, now
    return SendDecision(
        verdict=Verdict.CALL_PROVIDER,
        message_id=row.id,
        attempt=row.attempts,
        in_doubt=in_doubt,
    )


def _done(
    row: CommunicationLog, *, duplicate: bool = False, in_doubt: bool = False
) -> SendDecision:
    return SendDecision(
        verdict=Verdict.DONE,
        status=SendStatus(row.status),
        message_id=row.id,
        detail=row.detail,
        retry_at=row.retry_at,
        duplicate=duplicate,
        in_doubt=in_doubt,
    )


def _record_attempt(
    session: Session,
    row: CommunicationLog,
    *,
    outcome: str,
    now: datetime,
    detail: str = "",
    provider: str = "",
) -> None:
    session.add(
        ProviderAttempt(
            org_id=row.org_id,
            idempotency_key=row.idempotency_key,
            channel=row.channel,
            provider=provider or row.provider,
            attempt=row.attempts,
            outcome=outcome,
            detail=detail or row.detail,
            at=now,
        )
    )
