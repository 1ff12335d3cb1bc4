"""Step visits and experiment arms of enrollments (interpreter revision 2).

Written by the enrollment bookkeeping activities where an enrollment starts (from
revision 3, its first step's visit), rests and ends: one row per (enrollment,
step, visit), so a retried activity records nothing twice.
Each arm is also written to the decision audit, once per enrollment and experiment.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from journeys.contracts.activities import EnrollmentRecord
from journeys.store.database import dialect_insert, insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, StepVisitRow

ARM_DECISION = "experiment_arm"
"""The ``decision`` of an arm assignment in the decision audit."""

ARM_MODEL = "experiment_bucket"
"""The ``model_name`` of an arm assignment: a stable hash of journey, experiment and customer."""


def record_step_visits(session: Session, record: EnrollmentRecord) -> None:
    """Store the record's step visits and arms (each idempotent); its end sets the final step."""
    if record.visits:
        # One executemany, not a statement per visit: the rest of an enrollment's
        # bookkeeping transaction is a handful of statements.
        session.execute(
            _visits_statement(session.get_bind().dialect.name),
            [
                {
                    "org_id": record.org_id,
                    "enrollment_id": record.enrollment_id,
                    "customer_id": record.customer_id,
                    "journey_id": record.journey_id,
                    "journey_version": record.journey_version,
                    "step": visit.step,
                    "visit": visit.visit,
                    "entered_at": visit.entered_at,
                    "experiment": visit.experiment,
                    "arm": visit.arm,
                }
                for visit in record.visits
            ],
        )
    if record.experiment_arms:
        session.execute(
            update(Enrollment)
            .where(Enrollment.enrollment_id == record.enrollment_id)
            .values(experiment_arms=dict(record.experiment_arms))
            .execution_options(synchronize_session=False)
        )
    for experiment, arm in record.experiment_arms.items():
        insert_if_absent(
            session,
            DecisionAudit.__table__,  # type: ignore[arg-type]
            {
                "org_id": record.org_id,
                "customer_id": record.customer_id,
                "journey_id": record.journey_id,
                "workflow_id": record.workflow_id,
                "enrollment_id": record.enrollment_id,
                "step_key": f"experiment:{experiment}",
                "decision": ARM_DECISION,
                "model_name": ARM_MODEL,
                "model_version": "sha256",
                "inputs": {"experiment": experiment},
                "candidates": [],
                "choice": arm,
                "rationale": f"bucket of {record.journey_id}:{experiment}:{record.customer_id}",
                "decided_at": record.at,
                "recorded_at": utcnow(),
            },
        )


@functools.cache
def _visits_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` of step visits, built once per dialect."""
    return dialect_insert(dialect)(StepVisitRow.__table__).on_conflict_do_nothing()
