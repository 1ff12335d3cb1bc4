"""Delivery: send locks, suppression lists, inbox, provider attempts, human tasks

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-22 00:10:00

Also adds the delivery columns of the communication log: the cap slot time,
the retry time of capped/deferred sends, links, content source, provider,
attempt count and the delivery feedback times.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("communication_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("retry_at", TIMESTAMP, nullable=True))
        batch_op.add_column(
            sa.Column("links", JSON_DOCUMENT, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("content_source", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("provider", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("delivered_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("opened_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("clicked_at", TIMESTAMP, nullable=True))
        batch_op.create_index(
            "ix_communication_log_customer_slot", ["org_id", "customer_id", "slot_at"]
        )

    op.create_table(
        "send_locks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "customer_id", name="uq_send_locks_customer"),
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "org_id", "customer_id", "channel", "reason", name="uq_suppressions_entry"
        ),
    )
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("template", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("links", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("read_at", TIMESTAMP, nullable=True),
        sa.Column("acknowledged_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_inbox_messages_customer", "inbox_messages", ["org_id", "customer_id", "created_at"]
    )
    op.create_table(
        "provider_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_provider_attempts_key", "provider_attempts", ["idempotency_key"])
    op.create_table(
        "human_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=400), nullable=False),
        sa.Column("enrollment_id", sa.String(length=64), nullable=False),
        sa.Column("task_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "task_key", name="uq_human_tasks_step_visit"),
    )
    op.create_index("ix_human_tasks_owner_status", "human_tasks", ["org_id", "owner", "status"])


def downgrade() -> None:
    op.drop_index("ix_human_tasks_owner_status", table_name="human_tasks")
    op.drop_table("human_tasks")
    op.drop_index("ix_provider_attempts_key", table_name="provider_attempts")
    op.drop_table("provider_attempts")
    op.drop_index("ix_inbox_messages_customer", table_name="inbox_messages")
    op.drop_table("inbox_messages")
    op.drop_table("suppressions")
    op.drop_table("send_locks")
    with op.batch_alter_table("communication_log", schema=None) as batch_op:
        batch_op.drop_index("ix_communication_log_customer_slot")
        for column in (
            "clicked_at",
            "opened_at",
            "delivered_at",
            "attempts",
            "provider",
            "content_source",
            "links",
            "retry_at",
            "slot_at",
        ):
            batch_op.drop_column(column)
