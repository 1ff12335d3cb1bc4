"""Quiet hours: no sends at night in the customer's own time zone (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from journeys.language.delivery_rules import QuietHours


def quiet_hours_end(quiet: QuietHours, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None when ``now`` is not quiet.

    The window runs from ``quiet.start`` (inclusive) to ``quiet.end`` (exclusive)
    in local wall-clock time and may span midnight. The end is computed on the
    local calendar, so a daylight-saving change during the night is honoured.
    """
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet.start == quiet.end:
        return None
    spans_midnight = quiet.start > quiet.end
    if spans_midnight:
        quiet_now = clock >= quiet.start or clock < quiet.end
    else:
        quiet_now = quiet.start <= clock < quiet.end
    if not quiet_now:
        return None
    end_day = local.date()
    if spans_midnight and clock >= quiet.start:
        end_day += timedelta(days=1)
    end_local = datetime.combine(end_day, quiet.end, tzinfo=zone)
    return end_local.astimezone(UTC)
