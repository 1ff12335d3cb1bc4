"""Customers: profiles, consent per channel, suppressions and privacy requests.

Every row carries ``org_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from journeys.store.tables.base import Base, utcnow


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


class PrivacyRequest(Base):
    """One export or erasure of a customer's data: who asked, when, and how many rows."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_customer", "org_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
