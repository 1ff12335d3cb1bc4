"""The one time-zone rule: IANA names only, refused with a named error."""

from __future__ import annotations

import pytest

from journeys.errors import InvalidInputError, InvalidTimeZoneError
from journeys.language.time_zones import validate_time_zone


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_iana_names_pass_unchanged(name: str) -> None:
    assert validate_time_zone(name) == name


@pytest.mark.parametrize(
    "name", ["", "utc", "Europe", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "+02:00"]
)
def test_anything_else_is_an_invalid_time_zone_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidTimeZoneError) as raised:
        validate_time_zone(name)
    assert isinstance(raised.value, InvalidInputError)
    assert (raised.value.field, raised.value.problem) == (
        "timezone",
        f"unknown IANA time zone {name!r} (e.g. Europe/Paris)",
    )
