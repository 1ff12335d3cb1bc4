"""Journey version states, rollout weights and their audit trail, per organisation.

Definitions ship as code (the catalog); which version takes what share of new
entries is data here, changed by ``journeys rollout`` and the API, read by every
process (through :class:`journeys.routing.live_versions.LiveVersions`'s short cache).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from journeys.contracts.enrollment import (
    GOAL_REACHED_OUTCOME,
    SUPERSEDED_OUTCOME,
    InflightPolicy,
)
from journeys.errors import RolloutConflictError
from journeys.routing.rollouts import JourneyRollout, RolloutAction, VersionRollout, VersionState
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import Base, utcnow
from journeys.store.tables.enrollments import Enrollment


class JourneyVersionRow(Base):
    """One journey version's state and weight in an organisation."""

    __tablename__ = "journey_versions"

    org_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    weight: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[str] = mapped_column(String(16), default=InflightPolicy.PIN.value)
    migrate_to: Mapped[int | None] = mapped_column(Integer, default=None)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneyRolloutRow(Base):
    """How many changes a journey's rollout has had in an organisation.

    A change is planned from the rollout read with its revision and saved only if
    the revision is still the same, so two changes at once cannot overwrite each other.
    """

    __tablename__ = "journey_rollouts"

    org_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


class RolloutChangeRow(Base):
    """One change of a journey's rollout: who, when, why, and the states after it."""

    __tablename__ = "journey_rollout_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    journey_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200), default="")
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RolloutChangeRecord(BaseModel):
    """A change in a rollout's audit trail."""

    journey_id: str
    action: RolloutAction
    policy: InflightPolicy
    actor: str
    reason: str
    versions: list[VersionRollout]
    changed_at: datetime


def stored_version(
    session: Session, org_id: str, journey_id: str, version: int
) -> VersionRollout | None:
    """One version's stored state (None until its journey's rollout is first changed)."""
    row = session.get(JourneyVersionRow, (org_id, journey_id, version))
    if row is None:
        return None
    return VersionRollout(
        version=row.version,
        state=VersionState(row.state),
        weight=row.weight,
        policy=InflightPolicy(row.policy),
        migrate_to=row.migrate_to,
    )


def stored_versions(session: Session, org_id: str) -> dict[str, dict[int, VersionRollout]]:
    """Journey id -> version -> its stored state, for every journey an operator changed."""
    found: dict[str, dict[int, VersionRollout]] = defaultdict(dict)
    for row in session.scalars(select(JourneyVersionRow).where(JourneyVersionRow.org_id == org_id)):
        found[row.journey_id][row.version] = VersionRollout(
            version=row.version,
            state=VersionState(row.state),
            weight=row.weight,
            policy=InflightPolicy(row.policy),
            migrate_to=row.migrate_to,
        )
    return dict(found)


def save_rollout(
    session: Session,
    org_id: str,
    rollout: JourneyRollout,
    *,
    action: RolloutAction,
    policy: InflightPolicy,
    actor: str,
    reason: str,
    revision: int,
) -> None:
    """Replace the journey's stored states with ``rollout`` and audit the change.

    ``revision`` is the :func:`rollout_revision` read with the rollout the change
    was planned from.

    Raises:
        RolloutConflictError: another change was saved since that read (nothing is written).
    """
    # The first statement of the transaction: SQLite takes its write lock here, before
    # reading anything, and PostgreSQL makes a concurrent change wait for this one.
    _claim_revision(session, org_id, rollout.journey_id, revision)
    now = utcnow()
    session.execute(
        delete(JourneyVersionRow).where(
            JourneyVersionRow.org_id == org_id, JourneyVersionRow.journey_id == rollout.journey_id
        )
    )
    for entry in rollout.versions:
        session.add(
            JourneyVersionRow(
                org_id=org_id,
                journey_id=rollout.journey_id,
                version=entry.version,
                state=entry.state.value,
                weight=entry.weight,
                policy=entry.policy.value,
                migrate_to=entry.migrate_to,
                changed_at=now,
            )
        )
    session.add(
        RolloutChangeRow(
            org_id=org_id,
            journey_id=rollout.journey_id,
            action=action.value,
            policy=policy.value,
            actor=actor,
            reason=reason,
            versions=[entry.model_dump(mode="json") for entry in rollout.versions],
            changed_at=now,
        )
    )


def rollout_revision(session: Session, org_id: str, journey_id: str) -> int:
    """How many changes the journey's rollout has had (0: never changed since revisions)."""
    revision = session.scalar(
        select(JourneyRolloutRow.revision).where(
            JourneyRolloutRow.org_id == org_id, JourneyRolloutRow.journey_id == journey_id
        )
    )
    return revision or 0


def _claim_revision(session: Session, org_id: str, journey_id: str, revision: int) -> None:
    if revision == 0:
        claimed = insert_if_absent(
            session,
            JourneyRolloutRow.__table__,  # type: ignore[arg-type]
            {"org_id": org_id, "journey_id": journey_id, "revision": 1},
        )
    else:
        result = session.execute(
            update(JourneyRolloutRow)
            .where(
                JourneyRolloutRow.org_id == org_id,
                JourneyRolloutRow.journey_id == journey_id,
                JourneyRolloutRow.revision == revision,
            )
            .values(revision=revision + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = result.rowcount == 1  # type: ignore[attr-defined]
    if not claimed:
        raise RolloutConflictError(
            f"the rollout of {journey_id} was changed by another change at the same time;"
            " nothing changed: check `rollout status` and repeat the change if it still applies"
        )


def rollout_changed_at(session: Session, org_id: str, journey_id: str) -> datetime | None:
    """When the journey's rollout was last changed in the organisation (None: never)."""
    return session.scalar(
        select(func.max(JourneyVersionRow.changed_at)).where(
            JourneyVersionRow.org_id == org_id, JourneyVersionRow.journey_id == journey_id
        )
    )


def rollout_changes(
    session: Session, org_id: str, journey_id: str, limit: int = 20
) -> list[RolloutChangeRecord]:
    """The journey's latest rollout changes, newest first."""
    rows = session.scalars(
        select(RolloutChangeRow)
        .where(RolloutChangeRow.org_id == org_id, RolloutChangeRow.journey_id == journey_id)
        .order_by(RolloutChangeRow.id.desc())
        .limit(limit)
    )
    return [
        RolloutChangeRecord(
            journey_id=row.journey_id,
            action=RolloutAction(row.action),
            policy=InflightPolicy(row.policy),
            actor=row.actor,
            reason=row.reason,
            versions=[VersionRollout.model_validate(v) for v in row.versions],
            changed_at=row.changed_at,
        )
        for row in rows
    ]


def running_workflow_ids(session: Session, org_id: str, journey_id: str, version: int) -> list[str]:
    """Workflow ids of the version's enrollments that have not ended, per their rows.

    An enrollment's row is written by its first workflow task; one migrated to
    another version keeps its starting version here until it ends.
    """
    return list(
        session.scalars(
            select(Enrollment.workflow_id).where(
                Enrollment.org_id == org_id,
                Enrollment.journey_id == journey_id,
                Enrollment.journey_version == version,
                Enrollment.ended_at.is_(None),
            )
        )
    )


def ended_enrollments(session: Session, org_id: str, journey_id: str) -> dict[int, dict[str, int]]:
    """Version -> {``completed``, ``exited``, ``converted``, ``superseded``} counts.

    Converted enrollments reached a goal event (:data:`GOAL_REACHED_OUTCOME`).
    """
    rows = session.execute(
        select(Enrollment.journey_version, Enrollment.status, Enrollment.outcome, func.count())
        .where(
            Enrollment.org_id == org_id,
            Enrollment.journey_id == journey_id,
            Enrollment.ended_at.is_not(None),
        )
        .group_by(Enrollment.journey_version, Enrollment.status, Enrollment.outcome)
    )
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"completed": 0, "exited": 0, "converted": 0, "superseded": 0}
    )
    for version, status, outcome, count in rows:
        tally = counts[version]
        tally[status] = tally.get(status, 0) + count
        if outcome == GOAL_REACHED_OUTCOME:
            tally["converted"] += count
        if outcome == SUPERSEDED_OUTCOME:
            tally["superseded"] += count
    return dict(counts)
