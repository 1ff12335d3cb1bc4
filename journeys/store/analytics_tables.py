"""Store tables of measurement: step visits (interpreter revision 2) and health alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.models import Base, utcnow


class StepVisitRow(Base):
    """One visit of a step by one enrollment, stored once per (enrollment, step, visit)."""

    __tablename__ = "step_visits"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step", "visit", name="uq_step_visits_visit"),
        Index("ix_step_visits_journey_time", "org_id", "journey_id", "entered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    enrollment_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    step: Mapped[str] = mapped_column(String(64))
    visit: Mapped[int]
    entered_at: Mapped[datetime]
    experiment: Mapped[str | None] = mapped_column(String(64), default=None)
    arm: Mapped[str | None] = mapped_column(String(64), default=None)


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
