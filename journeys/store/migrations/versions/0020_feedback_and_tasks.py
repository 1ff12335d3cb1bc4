"""Delivery feedback events received once; human tasks claimed and alerted when overdue

Revision ID: 0020_feedback_and_tasks
Revises: 0010
Create Date: 2026-11-30 16:40:00

``delivery_feedback_events`` holds every provider event and tracking hit applied,
unique per source and source event id, so a replay is refused. Human tasks gain
who claimed them, when, and when their overdue alert went out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_feedback_and_tasks"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_feedback_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_event_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_event_id", name="uq_delivery_feedback_source_event"),
    )
    op.create_index(
        "ix_delivery_feedback_send",
        "delivery_feedback_events",
        ["org_id", "idempotency_key"],
    )
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("claimed_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("overdue_alerted_at", TIMESTAMP, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_column("overdue_alerted_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
    op.drop_index("ix_delivery_feedback_send", table_name="delivery_feedback_events")
    op.drop_table("delivery_feedback_events")
