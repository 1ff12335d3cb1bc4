"""SQLAlchemy models of the store. Every row carries ``org_id`` (multi-tenant)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware (store code only; never in workflows)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's models."""

    type_annotation_map = {dict[str, Any]: JSONDocument, datetime: UTCDateTime()}


class Organization(Base):
    """A tenant."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    """A customer's profile: attributes, time zone and lifecycle stage."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("org_id", "customer_id", name="uq_customers_org_customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    lifecycle_stage: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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


class Enrollment(Base):
    """One enrollment of a customer in a journey version (one workflow chain)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        Index("ix_enrollments_customer_journey", "org_id", "customer_id", "journey_id"),
        Index("ix_enrollments_journey_started", "org_id", "journey_id", "started_at"),
        Index("ix_enrollments_journey_ended", "org_id", "journey_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    workflow_id: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(200), default=None)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Analytics columns (migration 0030, journeys/store/step_visits.py).
    experiment_arms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    final_step: Mapped[str | None] = mapped_column(String(64), default=None)


class CommunicationLog(Base):
    """Every send: reserved under its idempotency key before the provider is called."""

    __tablename__ = "communication_log"
    __table_args__ = (
        Index("ix_communication_log_customer_time", "org_id", "customer_id", "created_at"),
        Index("ix_communication_log_customer_slot", "org_id", "customer_id", "slot_at"),
        Index("ix_communication_log_journey_time", "org_id", "journey_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    journey_version: Mapped[int]
    workflow_id: Mapped[str] = mapped_column(String(400))
    enrollment_id: Mapped[str] = mapped_column(String(64))
    step_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Delivery columns (migration 0006, journeys/store/send_slots.py).
    slot_at: Mapped[datetime | None] = mapped_column(default=None)
    retry_at: Mapped[datetime | None] = mapped_column(default=None)
    links: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    content_source: Mapped[str] = mapped_column(String(16), default="")
    provider: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    clicked_at: Mapped[datetime | None] = mapped_column(default=None)


class Consent(Base):
    """A customer's consent on one channel, with its source and time."""

    __tablename__ = "consent"
    __table_args__ = (
        UniqueConstraint("org_id", "customer_id", "channel", name="uq_consent_customer_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
