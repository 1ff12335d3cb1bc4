"""Journeys as operated: status (paused or active), health alerts, promoted experiment arms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow


class JourneyStatusRow(Base):
    """A journey's status; no row means active. New enrollments read it when they start."""

    __tablename__ = "journey_status"

    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthAlert(Base):
    """One health alert of a journey (seed 000): raised once, resolved once.

    A rule has at most one open alert per journey version (``resolved_at`` is
    NULL); the rows of one rule are its history.
    """

    __tablename__ = "health_alerts"
    __table_args__ = (
        Index("ix_health_alerts_journey", "org_id", "journey_id", "rule", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered: Mapped[str] = mapped_column(String(200), default="")


class ExperimentPromotion(Base):
    """A promoted experiment arm: who promoted which arm, on what evidence, and when."""

    __tablename__ = "experiment_promotions"
    __table_args__ = (Index("ix_experiment_promotions_journey", "org_id", "journey_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    experiment: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    promoted_by: Mapped[str] = mapped_column(String(200), default="")
    promoted_at: Mapped[datetime] = mapped_column(default=utcnow)
