"""Analytics: step visits, arms and final step of enrollments, health alerts, promotions

Revision ID: 0030
Revises: 0020_feedback_and_tasks
Create Date: 2026-11-30 16:40:00

Adds the indexes the journey analytics read by (journey and time range) on
enrollments, the communication log and the decision audit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0020_feedback_and_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "experiment_arms", JSON_DOCUMENT, nullable=False, server_default=sa.text("'{}'")
            )
        )
        batch_op.add_column(sa.Column("final_step", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_enrollments_journey_started", ["org_id", "journey_id", "started_at"]
        )
        batch_op.create_index("ix_enrollments_journey_ended", ["org_id", "journey_id", "ended_at"])
    op.create_index(
        "ix_communication_log_journey_time",
        "communication_log",
        ["org_id", "journey_id", "created_at"],
    )
    op.create_index(
        "ix_decision_audit_journey_time", "decision_audit", ["org_id", "journey_id", "decided_at"]
    )
    op.create_table(
        "step_visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("enrollment_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("journey_version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("entered_at", TIMESTAMP, nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=True),
        sa.Column("arm", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "step", "visit", name="uq_step_visits_visit"),
    )
    op.create_index(
        "ix_step_visits_journey_time", "step_visits", ["org_id", "journey_id", "entered_at"]
    )
    op.create_table(
        "health_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("journey_version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("raised_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("delivered", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_health_alerts_journey", "health_alerts", ["org_id", "journey_id", "rule", "raised_at"]
    )
    op.create_table(
        "experiment_promotions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("journey_version", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=64), nullable=False),
        sa.Column("evidence", JSON_DOCUMENT, nullable=False),
        sa.Column("promoted_by", sa.String(length=200), nullable=False),
        sa.Column("promoted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_experiment_promotions_journey", "experiment_promotions", ["org_id", "journey_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    op.drop_index("ix_experiment_promotions_journey", table_name="experiment_promotions")
    op.drop_table("experiment_promotions")
    op.drop_index("ix_health_alerts_journey", table_name="health_alerts")
    op.drop_table("health_alerts")
    op.drop_index("ix_step_visits_journey_time", table_name="step_visits")
    op.drop_table("step_visits")
    op.drop_index("ix_decision_audit_journey_time", table_name="decision_audit")
    op.drop_index("ix_communication_log_journey_time", table_name="communication_log")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_journey_ended")
        batch_op.drop_index("ix_enrollments_journey_started")
        batch_op.drop_column("final_step")
        batch_op.drop_column("experiment_arms")
