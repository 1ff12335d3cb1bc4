"""Behaviour events the product reports, stored once per (org, event id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow


class Event(Base):
    """A behaviour event, stored once per (org, event id)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("org_id", "event_id", name="uq_events_org_event"),
        Index("ix_events_customer_name_time", "org_id", "customer_id", "name", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
