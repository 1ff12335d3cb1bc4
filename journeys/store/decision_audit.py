"""The decision audit trail: one row per decision, written once per journey step visit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.contracts.activities import DecisionRecord
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.decisions import DecisionAudit


def record_decision(session: Session, record: DecisionRecord) -> bool:
    """Store the decision; False when this step visit's decision was already stored."""
    return insert_if_absent(
        session,
        DecisionAudit.__table__,  # type: ignore[arg-type]
        {
            "org_id": record.org_id,
            "customer_id": record.customer_id,
            "journey_id": record.journey_id,
            "workflow_id": record.workflow_id,
            "enrollment_id": record.enrollment_id,
            "step_key": record.step_key,
            "decision": record.decision,
            "model_name": record.model_name,
            "model_version": record.model_version,
            "inputs": record.inputs,
            "candidates": [candidate.model_dump() for candidate in record.candidates],
            "choice": record.choice,
            "rationale": record.rationale,
            "decided_at": record.decided_at,
            "recorded_at": utcnow(),
        },
    )


def customer_decisions(
    session: Session, *, org_id: str, customer_id: str
) -> Sequence[DecisionAudit]:
    """The customer's decisions, oldest first."""
    return session.scalars(
        select(DecisionAudit)
        .where(DecisionAudit.org_id == org_id, DecisionAudit.customer_id == customer_id)
        .order_by(DecisionAudit.decided_at, DecisionAudit.id)
    ).all()
