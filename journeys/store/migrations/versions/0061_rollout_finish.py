"""Running enrollments of a journey version found by index

Revision ID: 0061
Revises: 0050
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0061"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_enrollments_version_ended",
        "enrollments",
        ["org_id", "journey_id", "journey_version", "ended_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_enrollments_version_ended", table_name="enrollments")
