"""Enrollments of customers in journeys, the steps they visit and the human tasks they create."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow


class Enrollment(Base):
    """One enrollment of a customer in a journey version (one workflow chain)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        Index("ix_enrollments_customer_journey", "org_id", "customer_id", "journey_id"),
        Index("ix_enrollments_journey_started", "org_id", "journey_id", "started_at"),
        Index("ix_enrollments_journey_ended", "org_id", "journey_id", "ended_at"),
        # Running enrollments of a version: routing, rollout status (migration 0061).
        Index(
            "ix_enrollments_version_ended", "org_id", "journey_id", "journey_version", "ended_at"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    workflow_id: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(200), default=None)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Analytics columns (migration 0030, journeys/store/step_visits.py).
    experiment_arms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    final_step: Mapped[str | None] = mapped_column(String(64), default=None)


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


class HumanTask(Base):
    """A task for a person (CSM call, manual review) with an owner and a due time."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "task_key", name="uq_human_tasks_step_visit"),
        Index("ix_human_tasks_owner_status", "org_id", "owner", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(400))
    enrollment_id: Mapped[str] = mapped_column(String(64))
    task_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Claims and overdue alerts (migration 0020).
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(default=None)
