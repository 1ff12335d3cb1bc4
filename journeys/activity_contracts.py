"""Inputs and outputs of the engine's activities: pure pydantic models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from journeys.enrollment_contracts import EnrollmentStatus
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours

RECORD_ENROLLMENT_ACTIVITY = "record_enrollment"
"""Activity name: upsert an enrollment's row in the store."""

DELIVER_MESSAGE_ACTIVITY = "deliver_message"
"""Activity name: send one message on one channel, exactly once."""


class EnrollmentRecord(BaseModel):
    """An enrollment's row in the store, written when it starts and when it ends."""

    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int
    workflow_id: str
    enrollment_id: str
    status: EnrollmentStatus
    outcome: str | None = None
    at: datetime


class SendRequest(BaseModel):
    """One message on one channel, for one visit of a send step.

    Attributes:
        step_key: Identifies the step visit independently of attempt and run
            (``welcome_email#1``); with the enrollment and channel it forms the
            send's idempotency key.
    """

    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int
    workflow_id: str
    enrollment_id: str
    step_key: str
    channel: Channel
    template: str
    data: dict[str, str] = Field(default_factory=dict)
    frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None


class SendStatus(StrEnum):
    """What became of a send on one channel.

    ``SENT``: the provider accepted it. ``SUPPRESSED``: consent or a
    suppression list forbids the channel. ``CAPPED``: a frequency cap is
    full (``retry_at`` says when a slot frees). ``DEFERRED``: quiet hours
    (``retry_at`` is when they end). ``FAILED``: permanent failure.
    ``UNKNOWN``: the provider may or may not have delivered it (a crash
    between the call and its recording); never resent unless the provider
    de-duplicates by idempotency key.
    """

    SENT = "sent"
    SUPPRESSED = "suppressed"
    CAPPED = "capped"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SendOutcome(BaseModel):
    """The result of :class:`SendRequest`.

    Attributes:
        duplicate: True when the send had already been recorded by an earlier
            attempt; the provider was not called again.
    """

    status: SendStatus
    channel: Channel
    idempotency_key: str
    message_id: int | None = None
    duplicate: bool = False
    detail: str = ""
    retry_at: datetime | None = None
