"""The behaviour event product code sends, validated before anything is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from journeys.contracts.accepted_values import (
    LIFECYCLE_STAGE_PROPERTY,
    MAX_EVENT_PROPERTIES,
    AwareDatetime,
    EventProperties,
)
from journeys.contracts.enrollment import ID_PATTERN, ORG_ID_PATTERN
from journeys.language.steps import EVENT_NAME_PATTERN

__all__ = [
    "LIFECYCLE_STAGE_PROPERTY",
    "MAX_EVENT_PROPERTIES",
    "AwareDatetime",
    "EventProperties",
    "TrackedEvent",
]


class TrackedEvent(BaseModel):
    """A behaviour event sent by product code.

    Attributes:
        org_id: The organisation.
        customer_id: The customer's id within the organisation.
        name: Event name (``account_created``).
        event_id: Unique id of the event; a repeated id is stored and routed once.
        occurred_at: When it happened (timezone-aware; defaults to now).
        properties: A few small properties (at most 50).
    """

    model_config = ConfigDict(extra="forbid")

    org_id: str = Field(pattern=ORG_ID_PATTERN)
    customer_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(pattern=EVENT_NAME_PATTERN)
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=ID_PATTERN)
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    properties: EventProperties = Field(default_factory=dict)
