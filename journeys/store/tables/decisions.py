"""Decisions: client journey events and scores (seed 003), the decision audit.

``client_journey_events`` is seed 003's lifecycle stream: each row names the
client's stage explicitly. It is separate from the behavioural ``events``
table (what the product reports), which feeds the predictive models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, JSONDocument, utcnow


class ClientJourneyEvent(Base):
    """One lifecycle event of a client; the stage is one of seed 003's nine."""

    __tablename__ = "client_journey_events"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('lead', 'qualified_lead', 'onboarding', 'active_project', "
            "'awaiting_feedback', 'billing', 'retention', 'upsell_candidate', 'churn_risk')",
            name="client_journey_events_stage_check",
        ),
        Index("ix_client_journey_events_client_time", "org_id", "client_id", "occurred_at"),
        Index("ix_client_journey_events_org_stage", "org_id", "stage", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(128))
    stage: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(128))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientJourneyScore(Base):
    """A journey score computed at ``generated_at`` (seed 003); the newest is current."""

    __tablename__ = "client_journey_scores"
    __table_args__ = (
        CheckConstraint(
            "risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')",
            name="client_journey_scores_risk_check",
        ),
        Index("ix_client_journey_scores_client_time", "org_id", "client_id", "generated_at"),
        Index("ix_client_journey_scores_org_risk", "org_id", "risk_level", "generated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(128))
    score: Mapped[float] = mapped_column(Float, default=0)
    risk_level: Mapped[str] = mapped_column(String(16), default="LOW")
    recommended_actions: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DecisionAudit(Base):
    """One decision: its inputs, model and version, candidates, choice and rationale.

    A decision made by a journey step is stored once per (enrollment, step
    visit, decision kind), so an activity retry never records it twice.
    """

    __tablename__ = "decision_audit"
    __table_args__ = (
        UniqueConstraint(
            "org_id", "enrollment_id", "step_key", "decision", name="uq_decision_audit_step"
        ),
        Index("ix_decision_audit_customer_time", "org_id", "customer_id", "decided_at"),
        Index("ix_decision_audit_journey_time", "org_id", "journey_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str | None] = mapped_column(String(64), default=None)
    workflow_id: Mapped[str | None] = mapped_column(String(400), default=None)
    enrollment_id: Mapped[str | None] = mapped_column(String(64), default=None)
    step_key: Mapped[str | None] = mapped_column(String(200), default=None)
    decision: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    choice: Mapped[str] = mapped_column(String(128))
    rationale: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
