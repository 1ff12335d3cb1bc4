"""Delivery rules a journey declares: frequency caps, quiet hours, what to do when capped."""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from journeys.language.channels import Channel


class FrequencyCap(BaseModel):
    """At most ``limit`` sends per rolling ``window``, on one channel or on all (None).

    Seed 001's blueprint: email 2/week, push 3/week, SMS 1/week, in-app 5/week,
    total 8/week.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel | None = None
    limit: int = Field(ge=1)
    window: timedelta = timedelta(days=7)

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value


class QuietHours(BaseModel):
    """No sends between ``start`` and ``end`` in the customer's local time (may span midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time = time(21, 0)
    end: time = time(8, 0)


class CappedPolicy(StrEnum):
    """What a send step does when a frequency cap is reached."""

    SKIP = "skip"
    DEFER = "defer"
    FALLBACK = "fallback"
