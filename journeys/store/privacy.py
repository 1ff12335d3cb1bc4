"""Privacy requests on the store: export everything held on a customer, or erase it.

Erasure deletes the customer's profile, behaviour events, in-app messages,
decision audit rows, human tasks, seed 003 client journey rows and send lock;
it redacts the content of the communication log and of provider attempts
(the rows stay, so frequency caps and delivery statistics stay true); it keeps
consent and suppressions (the proof of an opt-out, and what stops any later
send) and enrollment rows (ids and dates only, for re-entry rules). Every
request is recorded in ``privacy_requests`` in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from journeys.store.tables.base import utcnow
from journeys.store.tables.communication import (
    CommunicationLog,
    InboxMessage,
    ProviderAttempt,
    SendLock,
)
from journeys.store.tables.customers import Consent, Customer, PrivacyRequest, Suppression
from journeys.store.tables.decisions import ClientJourneyEvent, ClientJourneyScore, DecisionAudit
from journeys.store.tables.enrollments import Enrollment, HumanTask
from journeys.store.tables.events import Event

ERASED = "[erased]"
"""What redacted text fields of kept rows hold after an erasure."""


_BY_CUSTOMER: tuple[tuple[str, Any], ...] = (
    ("events", Event),
    ("consent", Consent),
    ("suppressions", Suppression),
    ("enrollments", Enrollment),
    ("communication_log", CommunicationLog),
    ("inbox_messages", InboxMessage),
    ("decision_audit", DecisionAudit),
    ("human_tasks", HumanTask),
)
_BY_CLIENT: tuple[tuple[str, Any], ...] = (
    ("client_journey_events", ClientJourneyEvent),
    ("client_journey_scores", ClientJourneyScore),
)


def _as_dict(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}


def export_customer(
    session: Session, *, org_id: str, customer_id: str, requested_by: str
) -> dict[str, list[dict[str, Any]]]:
    """Every row held on the customer, by table (recorded as an ``export`` request)."""
    held: dict[str, list[dict[str, Any]]] = {
        "profile": [
            _as_dict(row)
            for row in session.scalars(
                select(Customer).where(
                    Customer.org_id == org_id, Customer.customer_id == customer_id
                )
            )
        ]
    }
    for name, model in _BY_CUSTOMER:
        query = select(model).where(model.org_id == org_id, model.customer_id == customer_id)
        held[name] = [_as_dict(row) for row in session.scalars(query.order_by(model.id))]
    for name, model in _BY_CLIENT:
        query = select(model).where(model.org_id == org_id, model.client_id == customer_id)
        held[name] = [_as_dict(row) for row in session.scalars(query.order_by(model.id))]
    keys = [row["idempotency_key"] for row in held["communication_log"]]
    held["provider_attempts"] = [
        _as_dict(row)
        for row in session.scalars(
            select(ProviderAttempt)
            .where(ProviderAttempt.org_id == org_id, ProviderAttempt.idempotency_key.in_(keys))
            .order_by(ProviderAttempt.id)
        )
    ]
    _audit(
        session,
        org_id,
        customer_id,
        "export",
        requested_by,
        {name: len(rows) for name, rows in held.items()},
    )
    return held


def erase_customer(
    session: Session, *, org_id: str, customer_id: str, requested_by: str
) -> dict[str, int]:
    """Erase what is held on the customer (see the module docs); rows affected, by table."""
    counts: dict[str, int] = {}
    keys = list(
        session.scalars(
            select(CommunicationLog.idempotency_key).where(
                CommunicationLog.org_id == org_id, CommunicationLog.customer_id == customer_id
            )
        )
    )
    for name, model in (
        ("profile", Customer),
        ("events", Event),
        ("inbox_messages", InboxMessage),
        ("decision_audit", DecisionAudit),
        ("human_tasks", HumanTask),
        ("send_locks", SendLock),
    ):
        counts[name] = _rows(
            session.execute(
                delete(model).where(model.org_id == org_id, model.customer_id == customer_id)
            )
        )
    for name, model in _BY_CLIENT:
        counts[name] = _rows(
            session.execute(
                delete(model).where(model.org_id == org_id, model.client_id == customer_id)
            )
        )
    counts["communication_log_redacted"] = _rows(
        session.execute(
            update(CommunicationLog)
            .where(CommunicationLog.org_id == org_id, CommunicationLog.customer_id == customer_id)
            .values(subject=ERASED, body=ERASED, links=[], detail=ERASED)
        )
    )
    counts["provider_attempts_redacted"] = _rows(
        session.execute(
            update(ProviderAttempt)
            .where(ProviderAttempt.org_id == org_id, ProviderAttempt.idempotency_key.in_(keys))
            .values(detail=ERASED)
        )
    )
    _audit(session, org_id, customer_id, "erase", requested_by, counts)
    return counts


def privacy_requests(session: Session, *, org_id: str, customer_id: str) -> list[PrivacyRequest]:
    """The customer's recorded privacy requests, oldest first."""
    return list(
        session.scalars(
            select(PrivacyRequest)
            .where(PrivacyRequest.org_id == org_id, PrivacyRequest.customer_id == customer_id)
            .order_by(PrivacyRequest.id)
        )
    )


def _rows(result: Any) -> int:
    return int(result.rowcount or 0)


def _audit(
    session: Session,
    org_id: str,
    customer_id: str,
    kind: str,
    requested_by: str,
    counts: dict[str, int],
) -> None:
    session.add(
        PrivacyRequest(
            org_id=org_id,
            customer_id=customer_id,
            kind=kind,
            requested_by=requested_by,
            counts=counts,
            requested_at=utcnow(),
        )
    )
    session.flush()
