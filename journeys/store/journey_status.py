"""Operational status of journeys (paused for a compliance review, or active)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.store.tables.base import utcnow
from journeys.store.tables.journeys import JourneyStatusRow

ACTIVE = "active"
PAUSED = "paused"


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
