"""Rollout revisions (concurrent changes refused), running enrollments of a version by index

Revision ID: 0061
Revises: 0050
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0061"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journey_rollouts",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "journey_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")
    op.create_index(
        "ix_enrollments_version_ended",
        "enrollments",
        ["org_id", "journey_id", "journey_version", "ended_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_enrollments_version_ended", table_name="enrollments")
    op.drop_table("journey_rollouts")
