"""Consent per customer and channel; ``all`` stands for every channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.store.database import insert_if_absent
from journeys.store.models import Consent

ALL_CHANNELS = "all"
"""The consent channel that stands for every channel (a global opt-out)."""


class ConsentStatus(StrEnum):
    """A consent decision."""

    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


def record_consent(
    session: Session,
    *,
    org_id: str,
    customer_id: str,
    channel: str,
    status: ConsentStatus,
    source: str,
    at: datetime,
) -> None:
    """Record the newest consent decision for a channel (or ``all``)."""
    values = {
        "org_id": org_id,
        "customer_id": customer_id,
        "channel": channel,
        "status": status.value,
        "source": source,
        "recorded_at": at,
    }
    if not insert_if_absent(session, Consent.__table__, values):  # type: ignore[arg-type]
        row = session.scalars(
            select(Consent).where(
                Consent.org_id == org_id,
                Consent.customer_id == customer_id,
                Consent.channel == channel,
            )
        ).one()
        row.status, row.source, row.recorded_at = status.value, source, at


def is_opted_out(session: Session, *, org_id: str, customer_id: str, channel: str) -> bool:
    """Whether the customer opted out of ``channel`` or of every channel."""
    rows = session.scalars(
        select(Consent.status).where(
            Consent.org_id == org_id,
            Consent.customer_id == customer_id,
            Consent.channel.in_([channel, ALL_CHANNELS]),
        )
    ).all()
    return ConsentStatus.OPTED_OUT.value in rows
