"""Delivery feedback from providers, applied to the communication log, consent and suppression.

Feedback events: delivered, opened, clicked, bounced, complained, unsubscribed.

These arrive as ordinary behaviour events through the event ingest; the client
calls :func:`apply_delivery_feedback` for each event before routing it, so the
same events also reach the journeys waiting for them (seed 000: "IF customer
engaged (email open, ...)").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.errors import InvalidInputError
from journeys.language.channels import Channel
from journeys.store.consent import (
    ALL_CHANNELS,
    CONSENT_CHANNELS,
    ConsentStatus,
    SuppressionReason,
    record_consent,
    suppress,
)
from journeys.store.tables.base import utcnow
from journeys.store.tables.communication import CommunicationLog


class FeedbackEvent(StrEnum):
    """Event names of delivery feedback.

    Properties: ``channel`` (a channel, or ``all`` for an unsubscribe from
    everything; default ``email``), ``idempotency_key`` (the send, to stamp its
    row), ``bounce_type`` (``hard`` or ``soft``; only hard bounces suppress).
    """

    DELIVERED = "message_delivered"
    OPENED = "message_opened"
    CLICKED = "message_clicked"
    BOUNCED = "message_bounced"
    COMPLAINED = "message_complained"
    UNSUBSCRIBED = "message_unsubscribed"


FEEDBACK_SOURCE = "delivery_feedback"
"""The source recorded with consent and suppression changes made by feedback."""


class FeedbackEffect(BaseModel):
    """What a feedback event changed.

    Attributes:
        global_opt_out: The customer unsubscribed from every channel: the
            caller removes them from their active journeys (seed 001).
    """

    event: FeedbackEvent
    channel: str
    suppressed: bool = False
    opted_out: bool = False
    global_opt_out: bool = False
    stamped_send: bool = False


def apply_delivery_feedback(
    session: Session,
    org_id: str,
    customer_id: str,
    event_name: str,
    properties: Mapping[str, Any],
) -> FeedbackEffect | None:
    """Apply one event if it is delivery feedback; None for any other event.

    Raises:
        InvalidInputError: ``properties.channel`` or ``properties.bounce_type``
            has a value that is not allowed.
    """
    try:
        event = FeedbackEvent(event_name)
    except ValueError:
        return None
    channel = str(properties.get("channel") or Channel.EMAIL.value)
    if channel not in CONSENT_CHANNELS:
        raise InvalidInputError("properties.channel", f"must be one of {sorted(CONSENT_CHANNELS)}")
    bounce_type = str(properties.get("bounce_type") or "hard")
    if bounce_type not in ("hard", "soft"):
        raise InvalidInputError("properties.bounce_type", "must be 'hard' or 'soft'")
    now = utcnow()
    effect = FeedbackEffect(event=event, channel=channel)
    match event:
        case FeedbackEvent.UNSUBSCRIBED:
            record_consent(
                session,
                org_id=org_id,
                customer_id=customer_id,
                channel=channel,
                status=ConsentStatus.OPTED_OUT,
                source=FEEDBACK_SOURCE,
                at=now,
            )
            suppress(
                session,
                org_id=org_id,
                customer_id=customer_id,
                channel=channel,
                reason=SuppressionReason.OPT_OUT,
                source=FEEDBACK_SOURCE,
                at=now,
            )
            effect.opted_out = effect.suppressed = True
            effect.global_opt_out = channel == ALL_CHANNELS
        case FeedbackEvent.BOUNCED if bounce_type == "hard":
            effect.suppressed = True
            suppress(
                session,
                org_id=org_id,
                customer_id=customer_id,
                channel=channel,
                reason=SuppressionReason.BOUNCE,
                source=FEEDBACK_SOURCE,
                at=now,
            )
        case FeedbackEvent.COMPLAINED:
            effect.suppressed = True
            suppress(
                session,
                org_id=org_id,
                customer_id=customer_id,
                channel=channel,
                reason=SuppressionReason.COMPLAINT,
                source=FEEDBACK_SOURCE,
                at=now,
            )
        case _:
            pass
    key = properties.get("idempotency_key")
    if key:
        effect.stamped_send = _stamp_send(session, org_id, customer_id, str(key), event, now)
    return effect


def _stamp_send(
    session: Session,
    org_id: str,
    customer_id: str,
    key: str,
    event: FeedbackEvent,
    now: datetime,
) -> bool:
    row = session.scalars(
        select(CommunicationLog).where(
            CommunicationLog.idempotency_key == key,
            CommunicationLog.org_id == org_id,
            CommunicationLog.customer_id == customer_id,
        )
    ).one_or_none()
    if row is None:
        return False
    if event is FeedbackEvent.DELIVERED:
        row.delivered_at = row.delivered_at or now
    elif event is FeedbackEvent.OPENED:
        row.opened_at = row.opened_at or now
    elif event is FeedbackEvent.CLICKED:
        row.clicked_at = row.clicked_at or now
    return True
