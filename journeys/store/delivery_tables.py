"""Tables of the delivery guarantees: send locks, suppression, inbox, attempts, human tasks.

Created by migration 0006, which also adds the delivery columns of the
communication log (slot time, retry time, links, content source, provider,
attempts and feedback times); migration 0020 adds the received feedback events
and the claim and overdue-alert columns of human tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.models import Base, JSONDocument, utcnow


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


class Suppression(Base):
    """A customer on a suppression list for a channel (or ``all``).

    ``reason`` is ``opt_out``, ``bounce`` or ``complaint``.
    """

    __tablename__ = "suppressions"
    __table_args__ = (
        UniqueConstraint(
            "org_id", "customer_id", "channel", "reason", name="uq_suppressions_entry"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class HumanTask(Base):
    """A task for a person (CSM call, manual review) with an owner and a due time."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "task_key", name="uq_human_tasks_step_visit"),
        Index("ix_human_tasks_owner_status", "org_id", "owner", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    journey_id: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(400))
    enrollment_id: Mapped[str] = mapped_column(String(64))
    task_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(default=None)


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
