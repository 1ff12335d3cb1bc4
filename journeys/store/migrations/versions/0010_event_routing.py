"""Routing state of events: routed_at, and a partial index of the unrouted ones

Revision ID: 0010
Revises: 0007

An event is stored with ``routed_at`` empty when it still has to be routed, and
marked once routed; the worker's sweeper routes what stays empty (Temporal down,
a process killed between the commit and the signal). Events stored before this
revision were routed, or lost, when they arrived: they are marked routed so that
the sweeper does not replay history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNROUTED = "routed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE events SET routed_at = received_at")
    op.create_index(
        "ix_events_unrouted",
        "events",
        ["received_at", "id"],
        unique=False,
        sqlite_where=sa.text(UNROUTED),
        postgresql_where=sa.text(UNROUTED),
    )


def downgrade() -> None:
    op.drop_index("ix_events_unrouted", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("routed_at")
