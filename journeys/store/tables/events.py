"""Behaviour events the product reports, stored once per (org, event id), and their routing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow

UNROUTED = "routed_at IS NULL"
"""The rows of ``events`` still to be routed (the partial index ``ix_events_unrouted``)."""


class Event(Base):
    """A behaviour event, stored once per (org, event id), with its routing state.

    ``routed_at`` is empty while the event still has to reach the enrollments
    that listen to it: written in the transaction that stores the event, set once
    it has been routed (migration 0010, :mod:`journeys.store.events`).
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("org_id", "event_id", name="uq_events_org_event"),
        Index("ix_events_customer_name_time", "org_id", "customer_id", "name", "occurred_at"),
        Index(
            "ix_events_unrouted",
            "received_at",
            "id",
            sqlite_where=text(UNROUTED),
            postgresql_where=text(UNROUTED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    routed_at: Mapped[datetime | None] = mapped_column(default=None)
