"""Journeys as operated: a journey's status (paused for a compliance review, or active)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow


class JourneyStatusRow(Base):
    """A journey's status; no row means active. New enrollments read it when they start."""

    __tablename__ = "journey_status"

    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
