"""Deadlines of the calendar waits, in the customer's time zone.

Pure functions of their inputs; the workflow gets their results through an
activity (time zone data is read from the system), so replays are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from journeys.language.time_zones import validate_time_zone

DEFAULT_TIME_ZONE = "UTC"
"""The zone of a customer who never gave one (the store's default)."""


def customer_zone(name: str | None) -> ZoneInfo:
    """The customer's time zone (:data:`DEFAULT_TIME_ZONE` when none is given).

    Raises:
        InvalidTimeZoneError: ``name`` is not an IANA time zone name.
    """
    return ZoneInfo(validate_time_zone(name or DEFAULT_TIME_ZONE))


def next_local_time(now: datetime, at: time, weekdays: Sequence[int], zone: ZoneInfo) -> datetime:
    """The first moment after ``now`` that is ``at`` local time on an allowed weekday (UTC)."""
    local_now = now.astimezone(zone)
    for days_ahead in range(8):
        day = local_now.date() + timedelta(days=days_ahead)
        if day.weekday() not in weekdays:
            continue
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate > local_now:
            return candidate.astimezone(UTC)
    raise ValueError("weekdays must not be empty")


def date_attribute_deadline(value: object, offset: timedelta, zone: ZoneInfo) -> datetime | None:
    """The moment a date attribute (ISO date or datetime) plus ``offset`` falls on, in UTC.

    A plain date means midnight in the customer's time zone; None when unreadable.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(value), time(0), tzinfo=zone)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return (moment + offset).astimezone(UTC)
