"""Health alert rows: raised once per (org, journey, rule) until resolved; their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from journeys.contracts.enrollment import GOAL_REACHED_OUTCOME, EnrollmentStatus
from journeys.contracts.scoring import UNAVAILABLE_MODEL_VERSION
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment
from journeys.store.tables.journeys import HealthAlert


def organisations_with_activity(session: Session) -> list[str]:
    """Every organisation that has enrollments or decisions."""
    orgs = set(session.scalars(select(Enrollment.org_id).distinct()))
    orgs.update(session.scalars(select(DecisionAudit.org_id).distinct()))
    return sorted(orgs)


def endings_between(
    session: Session, org_id: str, journey_id: str, since: datetime, until: datetime
) -> tuple[int, int, int]:
    """(ended, completed, dropped) of the journey's enrollments that ended in the range."""
    rows = session.execute(
        select(Enrollment.status, Enrollment.outcome, func.count())
        .where(
            Enrollment.org_id == org_id,
            Enrollment.journey_id == journey_id,
            Enrollment.ended_at >= since,
            Enrollment.ended_at < until,
        )
        .group_by(Enrollment.status, Enrollment.outcome)
    ).all()
    ended = completed = dropped = 0
    for status, outcome, count in rows:
        ended += count
        if status == EnrollmentStatus.COMPLETED.value:
            completed += count
        elif status == EnrollmentStatus.EXITED.value and outcome != GOAL_REACHED_OUTCOME:
            dropped += count
    return ended, completed, dropped


def decision_errors_between(
    session: Session,
    org_id: str,
    journey_id: str,
    since: datetime,
    until: datetime,
    excluding: str,
) -> tuple[int, int]:
    """(decisions, failed decisions) of the journey in the range (but kind ``excluding``)."""
    failed = func.sum(
        func.cast(DecisionAudit.model_version == UNAVAILABLE_MODEL_VERSION, type_=Integer)
    )
    total, errors = session.execute(
        select(func.count(), failed).where(
            DecisionAudit.org_id == org_id,
            DecisionAudit.journey_id == journey_id,
            DecisionAudit.decided_at >= since,
            DecisionAudit.decided_at < until,
            DecisionAudit.decision != excluding,
        )
    ).one()
    return int(total or 0), int(errors or 0)


def open_alert(session: Session, org_id: str, journey_id: str, rule: str) -> HealthAlert | None:
    """The rule's unresolved alert for the journey, if any."""
    return session.scalars(
        select(HealthAlert)
        .where(
            HealthAlert.org_id == org_id,
            HealthAlert.journey_id == journey_id,
            HealthAlert.rule == rule,
            HealthAlert.resolved_at.is_(None),
        )
        .limit(1)
    ).one_or_none()


def open_alerts(session: Session, org_id: str, journey_id: str) -> list[HealthAlert]:
    """Every unresolved alert of the journey."""
    return list(
        session.scalars(
            select(HealthAlert).where(
                HealthAlert.org_id == org_id,
                HealthAlert.journey_id == journey_id,
                HealthAlert.resolved_at.is_(None),
            )
        )
    )


def alert_history(
    session: Session,
    org_id: str,
    *,
    journey_id: str | None = None,
    active_only: bool = False,
    limit: int = 100,
) -> list[HealthAlert]:
    """The organisation's alerts, newest first."""
    query = select(HealthAlert).where(HealthAlert.org_id == org_id)
    if journey_id is not None:
        query = query.where(HealthAlert.journey_id == journey_id)
    if active_only:
        query = query.where(HealthAlert.resolved_at.is_(None))
    return list(
        session.scalars(
            query.order_by(HealthAlert.raised_at.desc(), HealthAlert.id.desc()).limit(limit)
        )
    )


def undelivered(session: Session) -> list[HealthAlert]:
    """Alerts whose raising or resolution has not reached every destination yet."""
    return list(
        session.scalars(
            select(HealthAlert).where(
                (HealthAlert.delivered == "")
                | (
                    HealthAlert.resolved_at.is_not(None)
                    & ~HealthAlert.delivered.contains("resolved")
                )
            )
        )
    )


def open_alert_counts(session: Session) -> dict[str, int]:
    """Rule -> unresolved alerts, over every organisation."""
    rows = session.execute(
        select(HealthAlert.rule, func.count())
        .where(HealthAlert.resolved_at.is_(None))
        .group_by(HealthAlert.rule)
    ).all()
    return {rule: count for rule, count in rows}
