"""The behaviour event product code sends, validated before anything is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from journeys.contracts.enrollment import ID_PATTERN, EventPropertyValue
from journeys.language.steps import EVENT_NAME_PATTERN

MAX_EVENT_PROPERTIES = 50

LIFECYCLE_STAGE_PROPERTY = "lifecycle_stage"
"""An event property that moves the customer to that lifecycle stage when the event is stored."""


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-01-01T09:00:00Z)")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
"""A timezone-aware datetime, converted to UTC (a naive one is refused)."""


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

    org_id: str = Field(pattern=ID_PATTERN)
    customer_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(pattern=EVENT_NAME_PATTERN)
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=ID_PATTERN)
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    properties: dict[str, EventPropertyValue] = Field(
        default_factory=dict, max_length=MAX_EVENT_PROPERTIES
    )
