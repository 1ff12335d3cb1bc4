"""Delivery feedback from providers, applied to the communication log, consent and suppression.

Feedback events: delivered, opened, clicked, bounced, complained, unsubscribed.

Provider webhooks and tracking URLs (``journeys.api.delivery_feedback``) are
verified, then applied here by :func:`record_delivery_feedback`, in one
transaction: the send is found by its idempotency key, the event is recorded
once (a replay changes nothing), and :func:`apply_delivery_feedback` updates consent,
suppression and the send's row. The API stores the matching behaviour event
(``email_opened``...) in the same transaction, unrouted, then routes it to the
journeys waiting for it (seed 000: "IF customer engaged (email open, ...)").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.delivery.feedback_events import FeedbackEvent, ProviderFeedback
from journeys.errors import FeedbackRefusedError, InvalidInputError
from journeys.language.channels import Channel
from journeys.store.consent import (
    ALL_CHANNELS,
    CONSENT_CHANNELS,
    ConsentStatus,
    SuppressionReason,
    record_consent,
    suppress,
)
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.communication import CommunicationLog, FeedbackReceipt

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


class AppliedFeedback(BaseModel):
    """Feedback recorded against a send: whose it was and what changed.

    Attributes:
        replayed: The event was received before (a provider's retry): nothing changed.
    """

    customer_id: str
    channel: str
    journey_id: str
    effect: FeedbackEffect
    replayed: bool = False


def record_delivery_feedback(session: Session, feedback: ProviderFeedback) -> AppliedFeedback:
    """Apply one verified feedback event to its send, once; a replay changes nothing.

    Raises:
        FeedbackRefusedError: 404 no send with that key in the organisation.
    """
    row = session.scalars(
        select(CommunicationLog).where(
            CommunicationLog.idempotency_key == feedback.idempotency_key,
            CommunicationLog.org_id == feedback.org_id,
        )
    ).one_or_none()
    if row is None:
        raise FeedbackRefusedError(
            404, "send", f"no send {feedback.idempotency_key!r} in organisation {feedback.org_id!r}"
        )
    fresh = insert_if_absent(
        session,
        FeedbackReceipt.__table__,  # type: ignore[arg-type]
        {
            "org_id": feedback.org_id,
            "source": feedback.source,
            "source_event_id": feedback.source_event_id,
            "idempotency_key": feedback.idempotency_key,
            "event": feedback.event.value,
            "channel": row.channel,
            "occurred_at": feedback.occurred_at,
            "received_at": utcnow(),
        },
    )
    if not fresh:
        return AppliedFeedback(
            customer_id=row.customer_id,
            channel=row.channel,
            journey_id=row.journey_id,
            effect=FeedbackEffect(event=feedback.event, channel=row.channel),
            replayed=True,
        )
    effect = apply_delivery_feedback(
        session,
        feedback.org_id,
        row.customer_id,
        feedback.event.value,
        {
            "channel": row.channel,
            "idempotency_key": feedback.idempotency_key,
            "bounce_type": feedback.bounce_type,
        },
    )
    assert effect is not None  # a FeedbackEvent always has an effect
    return AppliedFeedback(
        customer_id=row.customer_id, channel=row.channel, journey_id=row.journey_id, effect=effect
    )


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
