"""Journey version states, rollout weights and their audit trail

Revision ID: 0050
Revises: 0040_api_login
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | None = "0040_api_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journey_versions",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("migrate_to", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "journey_id", "version"),
    )
    op.create_table(
        "journey_rollout_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_journey_rollout_changes_org_id", "journey_rollout_changes", ["org_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    op.drop_index("ix_journey_rollout_changes_org_id", table_name="journey_rollout_changes")
    op.drop_table("journey_rollout_changes")
    op.drop_table("journey_versions")
