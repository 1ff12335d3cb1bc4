"""Operational status of journeys (paused for a compliance review, or active)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from journeys.store.models import Base, utcnow

ACTIVE = "active"
PAUSED = "paused"


class JourneyStatusRow(Base):
    """A journey's status; no row means active. New enrollments read it when they start."""

    __tablename__ = "journey_status"

    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def set_journey_status(session: Session, journey_id: str, *, paused: bool, reason: str) -> None:
    """Mark a journey paused or active."""
    row = session.get(JourneyStatusRow, journey_id)
    if row is None:
        row = JourneyStatusRow(journey_id=journey_id, status=ACTIVE)
        session.add(row)
    row.status = PAUSED if paused else ACTIVE
    row.reason = reason
    row.changed_at = utcnow()


def journey_pause(session: Session, journey_id: str) -> tuple[bool, str]:
    """(paused, reason) of a journey."""
    row = session.scalars(
        select(JourneyStatusRow).where(JourneyStatusRow.journey_id == journey_id)
    ).one_or_none()
    if row is None:
        return False, ""
    return row.status == PAUSED, row.reason
