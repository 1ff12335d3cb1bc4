"""Privacy requests: every erasure and export of a customer's data, audited

Revision ID: 0040_privacy
Revises: 0030
Create Date: 2026-11-30 17:00:00

One row per request (who asked, when, what was erased or exported, by table).
On PostgreSQL the table gets the organisation row-level security of 0003.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0040_privacy"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("counts", JSON_DOCUMENT, nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_privacy_requests_customer", "privacy_requests", ["org_id", "customer_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    op.drop_index("ix_privacy_requests_customer", table_name="privacy_requests")
    op.drop_table("privacy_requests")
