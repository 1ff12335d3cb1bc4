"""Every send and what came of it: communication log, send locks, provider attempts, inbox.

Migration 0006 added the delivery columns of the communication log (slot time,
retry time, links, content source, provider, attempts and feedback times);
migration 0020 adds the received delivery feedback events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, JSONDocument, utcnow


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


class SendLock(Base):
    """One row per customer, locked by every send decision for that customer.

    Sends of different journeys for the same customer serialise on this row
    (the upsert's row lock on PostgreSQL, the database write lock on SQLite),
    so the cap check and the slot reservation are one atomic step.
    """

    __tablename__ = "send_locks"
    __table_args__ = (UniqueConstraint("org_id", "customer_id", name="uq_send_locks_customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    decisions: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderAttempt(Base):
    """One call of a provider for a send, and what came of it."""

    __tablename__ = "provider_attempts"
    __table_args__ = (Index("ix_provider_attempts_key", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxMessage(Base):
    """An in-app message kept for the customer; the app reads and acknowledges it."""

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_customer", "org_id", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    template: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)


class FeedbackReceipt(Base):
    """A delivery feedback event received from a provider or a tracking URL, once.

    The unique ``(source, source_event_id)`` refuses a replayed event in the
    transaction that would apply it a second time.
    """

    __tablename__ = "delivery_feedback_events"
    __table_args__ = (
        UniqueConstraint("source", "source_event_id", name="uq_delivery_feedback_source_event"),
        Index("ix_delivery_feedback_send", "org_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    source_event_id: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
