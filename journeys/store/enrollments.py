"""Enrollment rows: one per enrollment, written by the workflow at start and end."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.store.database import insert_if_absent
from journeys.store.tables.enrollments import Enrollment


def upsert_enrollment(session: Session, record: EnrollmentRecord) -> None:
    """Record an enrollment's start (idempotent) or its end."""
    insert_if_absent(
        session,
        Enrollment.__table__,  # type: ignore[arg-type]
        {
            "enrollment_id": record.enrollment_id,
            "org_id": record.org_id,
            "customer_id": record.customer_id,
            "journey_id": record.journey_id,
            "journey_version": record.journey_version,
            "workflow_id": record.workflow_id,
            "status": EnrollmentStatus.ACTIVE.value,
            "started_at": record.at,
        },
    )
    if record.status is not EnrollmentStatus.ACTIVE:
        session.execute(
            update(Enrollment)
            .where(Enrollment.enrollment_id == record.enrollment_id)
            .values(
                status=record.status.value,
                outcome=record.outcome,
                ended_at=record.at,
                # A migrated enrollment ends on the version it moved to.
                journey_version=record.journey_version,
                final_step=record.final_step,
            )
            .execution_options(synchronize_session=False)
        )


def latest_enrollment(
    session: Session, *, org_id: str, customer_id: str, journey_id: str
) -> Enrollment | None:
    """The customer's most recent enrollment in the journey, or None."""
    return session.scalars(
        select(Enrollment)
        .where(
            Enrollment.org_id == org_id,
            Enrollment.customer_id == customer_id,
            Enrollment.journey_id == journey_id,
        )
        .order_by(Enrollment.started_at.desc(), Enrollment.id.desc())
        .limit(1)
    ).one_or_none()


def running_enrollment_workflow_ids(
    session: Session, *, org_id: str, customer_id: str
) -> list[str]:
    """Workflow ids of the customer's enrollments the store has not seen end."""
    return list(
        session.scalars(
            select(Enrollment.workflow_id).where(
                Enrollment.org_id == org_id,
                Enrollment.customer_id == customer_id,
                Enrollment.ended_at.is_(None),
            )
        )
    )


def has_running_enrollments(
    session: Session, *, org_id: str, journey_id: str, version: int
) -> bool:
    """Whether the store holds an enrollment of the journey version that has not ended.

    A migrated enrollment counts for the version it started on until it ends (its
    workflow id is that version's).
    """
    return (
        session.scalar(
            select(Enrollment.id)
            .where(
                Enrollment.org_id == org_id,
                Enrollment.journey_id == journey_id,
                Enrollment.journey_version == version,
                Enrollment.ended_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )
