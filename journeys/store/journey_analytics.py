"""The queries behind journey analytics (all SQL of :mod:`journeys.analytics`).

Two populations, each read through an index on (org, journey, time):

- the *cohort*: enrollments that started in the range (entered, steps reached,
  outcomes, durations, arms), optionally of one version and one experiment arm;
- the *activity*: sends and decisions made in the range by the journey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, and_, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, StepVisitRow
from journeys.store.tables.events import Event
from journeys.store.tables.journeys import ExperimentPromotion


@dataclass(frozen=True)
class CohortFilter:
    """Which enrollments and activity a report covers.

    Attributes:
        experiment: With ``arm``: only enrollments bucketed into that arm.
    """

    org_id: str
    journey_id: str
    since: datetime
    until: datetime
    version: int | None = None
    experiment: str | None = None
    arm: str | None = None

    def cohort(self, *, arm: bool = True) -> ColumnElement[bool]:
        """The condition selecting the cohort's enrollment rows (without the arm if not ``arm``)."""
        conditions = [
            Enrollment.org_id == self.org_id,
            Enrollment.journey_id == self.journey_id,
            Enrollment.started_at >= self.since,
            Enrollment.started_at < self.until,
        ]
        if self.version is not None:
            conditions.append(Enrollment.journey_version == self.version)
        in_arm = self.in_arm()
        if arm and in_arm is not None:
            conditions.append(in_arm)
        return and_(*conditions)

    def in_arm(self) -> ColumnElement[bool] | None:
        """Whether an enrollment row is in the chosen arm (None when no arm is chosen).

        Queries joining enrollments to other rows group by it rather than filter
        on it: PostgreSQL cannot estimate how many rows a JSON key selects, guesses
        a handful, and would probe an index once per enrollment of the arm.
        """
        if self.experiment is None or self.arm is None:
            return None
        chosen: ColumnElement[bool] = (
            Enrollment.experiment_arms[self.experiment].as_string() == self.arm
        )
        return chosen

    @property
    def narrowed(self) -> bool:
        """Whether activity must be joined to the cohort (a version or an arm is chosen)."""
        return self.version is not None or self.arm is not None


@dataclass(frozen=True)
class EndingCount:
    """Enrollments of the cohort grouped by how (and where) they ended."""

    status: str
    outcome: str | None
    final_step: str | None
    count: int


def ending_counts(session: Session, where: CohortFilter) -> list[EndingCount]:
    """The cohort counted by status, outcome and final step."""
    rows = session.execute(
        select(Enrollment.status, Enrollment.outcome, Enrollment.final_step, func.count())
        .where(where.cohort())
        .group_by(Enrollment.status, Enrollment.outcome, Enrollment.final_step)
    ).all()
    return [EndingCount(status, outcome, step, count) for status, outcome, step, count in rows]


def arm_counts(
    session: Session, where: CohortFilter
) -> list[tuple[dict[str, Any], str, str | None, int]]:
    """The cohort counted by experiment arms, status and outcome."""
    rows = session.execute(
        select(Enrollment.experiment_arms, Enrollment.status, Enrollment.outcome, func.count())
        .where(where.cohort())
        .group_by(Enrollment.experiment_arms, Enrollment.status, Enrollment.outcome)
    ).all()
    return [(arms or {}, status, outcome, count) for arms, status, outcome, count in rows]


def steps_reached(session: Session, where: CohortFilter) -> dict[str, int]:
    """Step -> enrollments of the cohort that visited it at least once.

    Visits are numbered from 1 per enrollment and step (across runs and
    migrations), so each enrollment's first visit is counted once without a
    DISTINCT; and no visit of the cohort entered before it started.
    """
    query = (
        select(StepVisitRow.step, func.count())
        .join(Enrollment, Enrollment.enrollment_id == StepVisitRow.enrollment_id)
        .where(
            where.cohort(arm=False),
            StepVisitRow.visit == 1,
            StepVisitRow.org_id == where.org_id,
            StepVisitRow.journey_id == where.journey_id,
            StepVisitRow.entered_at >= where.since,
        )
        .group_by(StepVisitRow.step)
    )
    return {step: count for step, count in _in_arm_only(session, where, query)}


_DURATION_SQL = {
    "postgresql": "EXTRACT(EPOCH FROM enrollments.ended_at - enrollments.started_at)",
    "sqlite": "(julianday(enrollments.ended_at) - julianday(enrollments.started_at)) * 86400.0",
}
"""An enrollment's start to end in seconds, computed in the store.

Reading both timestamps instead made a report of 25,000 endings spend most of
its time turning them into datetimes (SQLite stores text).
"""


def durations_seconds(
    session: Session, where: CohortFilter, *, status: str, outcome: str
) -> tuple[list[float], list[float]]:
    """Durations (seconds) of ended enrollments of the cohort: with ``status``; with ``outcome``.

    One read of the cohort gives both lists (an enrollment may be in both).
    """
    seconds_taken = literal_column(_DURATION_SQL[session.get_bind().dialect.name], Float)
    query = select(Enrollment.status, Enrollment.outcome, seconds_taken).where(
        where.cohort(),
        Enrollment.ended_at.is_not(None),
        or_(Enrollment.status == status, Enrollment.outcome == outcome),
    )
    with_status: list[float] = []
    with_outcome: list[float] = []
    for row_status, row_outcome, seconds in session.execute(query):
        if row_status == status:
            with_status.append(seconds)
        if row_outcome == outcome:
            with_outcome.append(seconds)
    return with_status, with_outcome


def _activity(where: CohortFilter, table: Any, time_column: Any) -> list[ColumnElement[bool]]:
    """Conditions selecting the journey's activity (sends, decisions) in the range."""
    return [
        table.org_id == where.org_id,
        table.journey_id == where.journey_id,
        time_column >= where.since,
        time_column < where.until,
    ]


def _cohort_join(where: CohortFilter, table: Any) -> ColumnElement[bool]:
    """The join of activity rows to their enrollment, narrowed to the version and arm."""
    conditions = [Enrollment.enrollment_id == table.enrollment_id]
    if where.version is not None:
        conditions.append(Enrollment.journey_version == where.version)
    return and_(*conditions)


def _in_arm_only(
    session: Session, where: CohortFilter, query: Select[*tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The rows of a grouped query over enrollments, of the chosen arm only.

    The arm is a last grouping column, dropped from the rows returned (see
    :meth:`CohortFilter.in_arm`).
    """
    in_arm = where.in_arm()
    if in_arm is None:
        return [tuple(row) for row in session.execute(query)]
    grouped = query.add_columns(in_arm.label("in_arm")).group_by(in_arm)
    return [tuple(row)[:-1] for row in session.execute(grouped) if row[-1]]


def send_counts(session: Session, where: CohortFilter) -> list[tuple[str, str, int]]:
    """(channel, status, sends) of the journey's sends made in the range."""
    query = (
        select(CommunicationLog.channel, CommunicationLog.status, func.count())
        .where(*_activity(where, CommunicationLog, CommunicationLog.created_at))
        .group_by(CommunicationLog.channel, CommunicationLog.status)
    )
    if where.narrowed:
        query = query.join(Enrollment, _cohort_join(where, CommunicationLog))
    rows = _in_arm_only(session, where, query)
    return [(channel, status, count) for channel, status, count in rows]


@dataclass(frozen=True)
class DecisionTally:
    """Decisions of one kind, choice and model version, counted in the store.

    Attributes:
        scored: How many of them have a confidence (see :func:`chosen_confidence`).
        confidence_sum: The sum of those confidences.
    """

    decision: str
    choice: str
    model_version: str
    count: int
    scored: int
    confidence_sum: float


_CONFIDENCE_SQL = {
    # The first candidate named like the choice whose score is a number in 0..1 (lax
    # jsonpath: a non-number score or a candidates value that is no list matches nothing).
    "postgresql": (
        "(jsonb_path_query_first(decision_audit.candidates,"
        " '$[*] ? (@.name == $choice && @.score >= 0 && @.score <= 1).score',"
        " jsonb_build_object('choice', decision_audit.choice)) #>> '{}')::float"
    ),
    "sqlite": (
        "(SELECT json_extract(candidate.value, '$.score')"
        " FROM json_each(decision_audit.candidates) AS candidate"
        " WHERE json_extract(candidate.value, '$.name') = decision_audit.choice"
        " AND json_type(candidate.value, '$.score') IN ('integer', 'real')"
        " AND json_extract(candidate.value, '$.score') BETWEEN 0 AND 1"
        " ORDER BY candidate.key LIMIT 1)"
    ),
}


def chosen_confidence(session: Session) -> ColumnElement[float]:
    """A decision's confidence: its chosen candidate's score when that is a probability (0..1).

    Next best action and channel selection record such scores; a decision
    without one (a score band, a failed scorer) has NULL. Computed in the
    store, so a report reads one row per choice, not every decision's candidates.
    """
    return literal_column(_CONFIDENCE_SQL[session.get_bind().dialect.name], Float)


def _decision_tallies(
    session: Session,
    conditions: list[ColumnElement[bool]],
    join: ColumnElement[bool] | None = None,
    in_arm: ColumnElement[bool] | None = None,
) -> list[DecisionTally]:
    """Decisions tallied by kind, choice and model version (of the arm ``in_arm`` if given)."""
    scored = select(
        DecisionAudit.decision,
        DecisionAudit.choice,
        DecisionAudit.model_version,
        chosen_confidence(session).label("confidence"),
        (true() if in_arm is None else in_arm).label("in_arm"),
    ).where(*conditions)
    if join is not None:
        scored = scored.join(Enrollment, join)
    inner = scored.subquery()
    keys = (inner.c.decision, inner.c.choice, inner.c.model_version, inner.c.in_arm)
    rows = session.execute(
        select(
            *keys,
            func.count(),
            func.count(inner.c.confidence),
            func.coalesce(func.sum(inner.c.confidence), 0.0),
        ).group_by(*keys)
    ).all()
    # The arm is grouped by, not filtered on: see CohortFilter.in_arm.
    return [
        DecisionTally(d, c, v, n, s, float(total))
        for d, c, v, member, n, s, total in rows
        if member
    ]


def decisions(session: Session, where: CohortFilter, *, excluding: str) -> list[DecisionTally]:
    """The journey's decisions made in the range (but those of kind ``excluding``), tallied."""
    conditions = [
        DecisionAudit.decision != excluding,
        *_activity(where, DecisionAudit, DecisionAudit.decided_at),
    ]
    if not where.narrowed:
        return _decision_tallies(session, conditions)
    return _decision_tallies(
        session, conditions, _cohort_join(where, DecisionAudit), where.in_arm()
    )


def journey_versions(session: Session, org_id: str, journey_id: str) -> list[int]:
    """The versions of a journey that have enrollments, newest first."""
    return list(
        session.scalars(
            select(Enrollment.journey_version)
            .where(Enrollment.org_id == org_id, Enrollment.journey_id == journey_id)
            .group_by(Enrollment.journey_version)
            .order_by(Enrollment.journey_version.desc())
        )
    )


def live_counts(session: Session, org_id: str) -> list[tuple[str, str, str | None, int]]:
    """(journey, status, outcome, enrollments) of every journey of the organisation."""
    rows = session.execute(
        select(Enrollment.journey_id, Enrollment.status, Enrollment.outcome, func.count())
        .where(Enrollment.org_id == org_id)
        .group_by(Enrollment.journey_id, Enrollment.status, Enrollment.outcome)
    ).all()
    return [(journey, status, outcome, count) for journey, status, outcome, count in rows]


def arm_sample(
    session: Session, *, org_id: str, journey_id: str, experiment: str, arm: str, size: int
) -> tuple[int, list[tuple[str, str | None]]]:
    """An arm's enrollments: how many entered, and (status, outcome) of the first ``size``."""
    in_arm = and_(
        Enrollment.org_id == org_id,
        Enrollment.journey_id == journey_id,
        Enrollment.experiment_arms[experiment].as_string() == arm,
    )
    entered = session.scalar(select(func.count()).select_from(Enrollment).where(in_arm)) or 0
    first = session.execute(
        select(Enrollment.status, Enrollment.outcome)
        .where(in_arm)
        .order_by(Enrollment.started_at, Enrollment.id)
        .limit(size)
    ).all()
    return entered, [(status, outcome) for status, outcome in first]


def record_promotion(
    session: Session,
    *,
    org_id: str,
    journey_id: str,
    journey_version: int,
    experiment: str,
    arm: str,
    evidence: dict[str, Any],
    promoted_by: str,
) -> None:
    """Store a promoted arm with its evidence (the audit of experiment decisions)."""
    session.add(
        ExperimentPromotion(
            org_id=org_id,
            journey_id=journey_id,
            journey_version=journey_version,
            experiment=experiment,
            arm=arm,
            evidence=evidence,
            promoted_by=promoted_by,
        )
    )


def promotions(session: Session, *, org_id: str, journey_id: str) -> list[ExperimentPromotion]:
    """The journey's promotions, newest first."""
    return list(
        session.scalars(
            select(ExperimentPromotion)
            .where(
                ExperimentPromotion.org_id == org_id, ExperimentPromotion.journey_id == journey_id
            )
            .order_by(ExperimentPromotion.promoted_at.desc(), ExperimentPromotion.id.desc())
        )
    )


def events_received(session: Session, org_id: str, since: datetime, until: datetime) -> int:
    """Behaviour events the organisation's product sent in the range."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.org_id == org_id, Event.received_at >= since, Event.received_at < until)
        )
        or 0
    )


def org_send_counts(
    session: Session, org_id: str, since: datetime, until: datetime
) -> list[tuple[str, str, int]]:
    """(channel, status, sends) of every journey of the organisation in the range."""
    rows = session.execute(
        select(CommunicationLog.channel, CommunicationLog.status, func.count())
        .where(
            CommunicationLog.org_id == org_id,
            CommunicationLog.created_at >= since,
            CommunicationLog.created_at < until,
        )
        .group_by(CommunicationLog.channel, CommunicationLog.status)
    ).all()
    return [(channel, status, count) for channel, status, count in rows]


def org_decisions(
    session: Session, org_id: str, decision: str, since: datetime, until: datetime
) -> list[DecisionTally]:
    """The organisation's decisions of one kind in the range, tallied."""
    conditions = [
        DecisionAudit.org_id == org_id,
        DecisionAudit.decision == decision,
        DecisionAudit.decided_at >= since,
        DecisionAudit.decided_at < until,
    ]
    return _decision_tallies(session, conditions, None)


def customer_paths(
    session: Session, org_id: str, customer_id: str
) -> list[tuple[str, int, str, str | None, list[str]]]:
    """(journey, version, status, outcome, steps visited in order) of a customer's enrollments."""
    enrollments = session.execute(
        select(
            Enrollment.enrollment_id,
            Enrollment.journey_id,
            Enrollment.journey_version,
            Enrollment.status,
            Enrollment.outcome,
        )
        .where(Enrollment.org_id == org_id, Enrollment.customer_id == customer_id)
        .order_by(Enrollment.started_at.desc())
    ).all()
    # By enrollment id, not customer: the visit's unique key leads with it, so
    # this reads the customer's rows by index instead of scanning the table.
    customers_enrollments = select(Enrollment.enrollment_id).where(
        Enrollment.org_id == org_id, Enrollment.customer_id == customer_id
    )
    visits = session.execute(
        select(StepVisitRow.enrollment_id, StepVisitRow.step)
        .where(StepVisitRow.enrollment_id.in_(customers_enrollments))
        .order_by(StepVisitRow.entered_at, StepVisitRow.id)
    ).all()
    steps: dict[str, list[str]] = {}
    for enrollment_id, step in visits:
        steps.setdefault(enrollment_id, []).append(step)
    return [
        (journey, version, status, outcome, steps.get(enrollment_id, []))
        for enrollment_id, journey, version, status, outcome in enrollments
    ]
