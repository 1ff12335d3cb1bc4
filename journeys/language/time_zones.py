"""The one rule for customers' time zones: an IANA time zone name, checked where it enters."""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

from journeys.errors import InvalidTimeZoneError


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # Read from the system's time zone database once per process.
    return frozenset(available_timezones()) | {"UTC"}


def validate_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone name (``Europe/Paris``, ``UTC``).

    Raises:
        InvalidTimeZoneError: it is not (the field is ``timezone``).
    """
    if name not in _known_time_zones():
        raise InvalidTimeZoneError(
            "timezone", f"unknown IANA time zone {name!r} (e.g. Europe/Paris)"
        )
    return name
