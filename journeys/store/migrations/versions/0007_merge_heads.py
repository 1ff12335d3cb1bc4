"""Merge the tenancy, journey status, decisioning and delivery heads; cover every table with RLS

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
Create Date: 2026-11-22 01:10:00

The four revisions were developed side by side on top of 0001. This merge makes
the history linear again (later revisions revise 0007) and, on PostgreSQL,
applies the organisation row-level security of 0003 to every table that has an
``org_id`` column, now that all of them exist.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    """Nothing to undo: 0003's downgrade removes the policies."""
