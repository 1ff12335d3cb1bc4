"""Decisioning: client journey events and scores (seed 003), decision audit trail

Revision ID: 0005
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
STAGES = (
    "'lead', 'qualified_lead', 'onboarding', 'active_project', "
    "'awaiting_feedback', 'billing', 'retention', 'upsell_candidate', 'churn_risk'"
)


def upgrade() -> None:
    op.create_table(
        "client_journey_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(f"stage IN ({STAGES})", name="client_journey_events_stage_check"),
    )
    op.create_index(
        "ix_client_journey_events_client_time",
        "client_journey_events",
        ["org_id", "client_id", "occurred_at"],
    )
    op.create_index(
        "ix_client_journey_events_org_stage",
        "client_journey_events",
        ["org_id", "stage", "occurred_at"],
    )
    op.create_table(
        "client_journey_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("recommended_actions", JSON_DOCUMENT, nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(
            "risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')",
            name="client_journey_scores_risk_check",
        ),
    )
    op.create_index(
        "ix_client_journey_scores_client_time",
        "client_journey_scores",
        ["org_id", "client_id", "generated_at"],
    )
    op.create_index(
        "ix_client_journey_scores_org_risk",
        "client_journey_scores",
        ["org_id", "risk_level", "generated_at"],
    )
    op.create_table(
        "decision_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=True),
        sa.Column("workflow_id", sa.String(length=400), nullable=True),
        sa.Column("enrollment_id", sa.String(length=64), nullable=True),
        sa.Column("step_key", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("inputs", JSON_DOCUMENT, nullable=False),
        sa.Column("candidates", JSON_DOCUMENT, nullable=False),
        sa.Column("choice", sa.String(length=128), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "org_id", "enrollment_id", "step_key", "decision", name="uq_decision_audit_step"
        ),
    )
    op.create_index(
        "ix_decision_audit_customer_time",
        "decision_audit",
        ["org_id", "customer_id", "decided_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_decision_audit_customer_time", table_name="decision_audit")
    op.drop_table("decision_audit")
    op.drop_index("ix_client_journey_scores_org_risk", table_name="client_journey_scores")
    op.drop_index("ix_client_journey_scores_client_time", table_name="client_journey_scores")
    op.drop_table("client_journey_scores")
    op.drop_index("ix_client_journey_events_org_stage", table_name="client_journey_events")
    op.drop_index("ix_client_journey_events_client_time", table_name="client_journey_events")
    op.drop_table("client_journey_events")
