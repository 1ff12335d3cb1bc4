"""Consent per customer and channel, suppression lists, and the channel rules of sending.

``all`` stands for every channel. An opt-out or a suppression entry takes effect
for every send decided after it is committed: the send decision reads them in
the same transaction that reserves the send (see ``journeys.store.send_slots``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from journeys.language.channels import Channel
from journeys.store.database import insert_if_absent
from journeys.store.tables.customers import Consent, Suppression

ALL_CHANNELS = "all"
"""The consent channel that stands for every channel (a global opt-out)."""

CONSENT_CHANNELS: tuple[str, ...] = (ALL_CHANNELS, *(channel.value for channel in Channel))
"""Every channel a consent or suppression can name: ``all``, then each channel."""


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
    """Record the newest consent decision for a channel (or ``all``).

    A new opt-in takes the customer off the channel's opt-out suppression list.
    """
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
    if status is ConsentStatus.OPTED_IN:
        lift_suppression(
            session,
            org_id=org_id,
            customer_id=customer_id,
            channel=channel,
            reason=SuppressionReason.OPT_OUT,
        )


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


class SuppressionReason(StrEnum):
    """Why a customer is on a suppression list."""

    OPT_OUT = "opt_out"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"


OPT_IN_REQUIRED_CHANNELS: frozenset[str] = frozenset({Channel.SMS.value})
"""Channels that need an explicit opt-in before anything is sent (SMS)."""


def suppress(
    session: Session,
    *,
    org_id: str,
    customer_id: str,
    channel: str,
    reason: SuppressionReason,
    source: str,
    at: datetime,
) -> bool:
    """Put the customer on a suppression list for ``channel`` (or ``all``); True if new."""
    return insert_if_absent(
        session,
        Suppression.__table__,  # type: ignore[arg-type]
        {
            "org_id": org_id,
            "customer_id": customer_id,
            "channel": channel,
            "reason": reason.value,
            "source": source,
            "created_at": at,
        },
    )


def lift_suppression(
    session: Session, *, org_id: str, customer_id: str, channel: str, reason: SuppressionReason
) -> None:
    """Take the customer off one suppression list (e.g. after a new opt-in)."""
    session.execute(
        delete(Suppression).where(
            Suppression.org_id == org_id,
            Suppression.customer_id == customer_id,
            Suppression.channel == channel,
            Suppression.reason == reason.value,
        )
    )


def send_forbidden_because(
    session: Session, *, org_id: str, customer_id: str, channel: str
) -> str | None:
    """Why a send on ``channel`` is not allowed now, or None when it is.

    Checks, in order: an opt-out of the channel or of every channel, a
    suppression list entry (opt-out, bounce, complaint) for the channel or
    every channel, and the explicit opt-in that some channels require.
    """
    statuses = dict(
        session.execute(
            select(Consent.channel, Consent.status).where(
                Consent.org_id == org_id,
                Consent.customer_id == customer_id,
                Consent.channel.in_([channel, ALL_CHANNELS]),
            )
        ).all()
    )
    reason = session.scalars(
        select(Suppression.reason)
        .where(
            Suppression.org_id == org_id,
            Suppression.customer_id == customer_id,
            Suppression.channel.in_([channel, ALL_CHANNELS]),
        )
        .limit(1)
    ).first()
    return consent_forbids(channel, statuses, reason)


def consent_forbids(
    channel: str, statuses: Mapping[str, str], suppression: str | None
) -> str | None:
    """Why consent forbids a send on ``channel``, or None (the rule, without the store).

    Args:
        channel: The send's channel.
        statuses: The customer's consent status by channel (``all`` included).
        suppression: The reason of a suppression entry for the channel or ``all``, if any.
    """
    if ConsentStatus.OPTED_OUT.value in (statuses.get(channel), statuses.get(ALL_CHANNELS)):
        return "opted out"
    if suppression is not None:
        return f"suppressed: {suppression}"
    if channel in OPT_IN_REQUIRED_CHANNELS and statuses.get(channel) != (
        ConsentStatus.OPTED_IN.value
    ):
        return f"no explicit opt-in for {channel}"
    return None
