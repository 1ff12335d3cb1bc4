"""Request and response bodies of the HTTP API (pydantic; they make the OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from journeys.client import ID_PATTERN, EnrollmentSummary, TrackResult
from journeys.contracts.accepted_values import (
    LIFECYCLE_STAGE_MAX_CHARS,
    AwareDatetime,
    EventProperties,
    JsonObject,
    Text,
)
from journeys.contracts.enrollment import ORG_ID_PATTERN
from journeys.errors import InvalidTimeZoneError
from journeys.language.definition import JOURNEY_ID_PATTERN
from journeys.language.steps import EVENT_NAME_PATTERN
from journeys.language.time_zones import validate_time_zone
from journeys.store.consent import ConsentStatus
from journeys.store.inbox import InboxEntry

MAX_ATTRIBUTES = 100


class TrackRequest(BaseModel):
    """A behaviour event. The organisation is the API key's.

    Attributes:
        org_id: Optional; when given it must be the API key's organisation (else 403).
        event_id: Unique per organisation; a repeated id answers ``stored: false``
            (and is routed then only if no earlier attempt routed it).
        occurred_at: Timezone-aware; at most a few minutes in the future.
        properties: At most 50 scalar values; ``lifecycle_stage`` moves the customer's stage.
    """

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(pattern=ID_PATTERN, examples=["cust-1"])
    name: str = Field(pattern=EVENT_NAME_PATTERN, examples=["account_created"])
    event_id: str | None = Field(default=None, pattern=ID_PATTERN)
    occurred_at: AwareDatetime | None = None
    properties: EventProperties = Field(default_factory=dict)
    org_id: str | None = Field(default=None, pattern=ORG_ID_PATTERN)


class BatchRequest(BaseModel):
    """Several events, validated all together before any is stored."""

    model_config = ConfigDict(extra="forbid")

    events: list[TrackRequest] = Field(min_length=1)


class BatchResponse(BaseModel):
    """The result of each event of a batch, in order."""

    stored: int
    duplicates: int
    results: list[TrackResult]


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_time_zone(value)
    except InvalidTimeZoneError as err:
        raise ValueError(err.problem) from None


class IdentifyRequest(BaseModel):
    """Create or update a customer's profile."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(pattern=ID_PATTERN)
    attributes: JsonObject = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    timezone: str | None = Field(default=None, examples=["Europe/Paris"])
    lifecycle_stage: Text | None = Field(
        default=None, min_length=1, max_length=LIFECYCLE_STAGE_MAX_CHARS
    )
    org_id: str | None = Field(default=None, pattern=ORG_ID_PATTERN)

    _timezone = field_validator("timezone")(_check_timezone)


class CustomerProfile(BaseModel):
    """A customer's profile."""

    customer_id: str
    attributes: dict[str, Any]
    timezone: str
    lifecycle_stage: str | None
    created_at: datetime
    updated_at: datetime


class EnrollRequest(BaseModel):
    """Enroll a customer in a journey (API-triggered entry)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(pattern=ID_PATTERN)
    journey_id: str = Field(pattern=JOURNEY_ID_PATTERN)
    version: StrictInt | None = Field(default=None, ge=1)


class ExitRequestBody(BaseModel):
    """Why the enrollment is being ended."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(default="api", min_length=1, max_length=200)


class ExitResponse(BaseModel):
    """The enrollment asked to end."""

    workflow_id: str


class EnrollmentList(BaseModel):
    """Enrollments from Temporal's visibility store (eventually consistent)."""

    enrollments: list[EnrollmentSummary]


class ConsentRequest(BaseModel):
    """A consent decision for one channel, or ``all``."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(examples=["email", "all"])
    status: ConsentStatus
    source: Text = Field(default="api", min_length=1, max_length=200)


class ConsentEntry(BaseModel):
    """A recorded consent decision."""

    channel: str
    status: str
    source: str
    recorded_at: datetime


class ConsentResponse(BaseModel):
    """A customer's consent decisions; ``exited`` lists enrollments ended by an opt-out."""

    customer_id: str
    consent: list[ConsentEntry]
    exited: list[str] = Field(default_factory=list)


class Inbox(BaseModel):
    """A customer's in-app messages, newest first."""

    customer_id: str
    messages: list[InboxEntry]


class Health(BaseModel):
    """Liveness or readiness."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
