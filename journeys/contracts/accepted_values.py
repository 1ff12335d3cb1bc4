"""What the engine accepts from callers as text, timestamps, event properties and attributes.

Every value is checked before anything is written, so that nothing the store or
Temporal cannot encode is half-stored: text holds no NUL character and no lone
surrogate (both break PostgreSQL and the JSON payloads of signals), numbers are
finite and fit 64 bits, timestamps stay in range once converted to UTC, and
sizes are bounded.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

MAX_EVENT_PROPERTIES = 50
"""Properties one event may carry."""

MAX_PROPERTY_KEY_CHARS = 64
MAX_PROPERTY_TEXT_CHARS = 1_000
"""Longest text value of one event property (properties are small; payloads go elsewhere)."""

MAX_ATTRIBUTE_VALUE_BYTES = 8_192
"""Largest JSON encoding of one profile attribute or metadata value."""

MAX_NESTING_DEPTH = 8
"""Deepest nesting of lists and objects inside an attribute or metadata value."""

LARGEST_INTEGER = 2**63 - 1
"""Integers must fit a signed 64-bit column and a JSON number every reader parses."""

LIFECYCLE_STAGE_PROPERTY = "lifecycle_stage"
"""An event property that moves the customer to that lifecycle stage when the event is stored."""

LIFECYCLE_STAGE_MAX_CHARS = 64
"""Longest lifecycle stage name (the profile column's size)."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode)"
    return None


def check_text(value: str) -> str:
    """``value`` if it can be stored as text.

    Raises:
        ValueError: it holds a NUL character or a lone surrogate.
    """
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def json_value_problem(value: Any, depth: int = 0) -> tuple[str, str] | None:  # noqa: C901 - one case per JSON type
    """Where (a dotted path, empty for ``value`` itself) and why a JSON value is refused."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) > LARGEST_INTEGER:
            return "", "is an integer beyond 64 bits"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else ("", "is not a finite number")
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else ("", problem)
    if depth >= MAX_NESTING_DEPTH:
        return "", f"nests deeper than {MAX_NESTING_DEPTH} levels"
    if isinstance(value, list):
        items: list[tuple[str, Any]] = [(f"[{index}]", item) for index, item in enumerate(value)]
    elif isinstance(value, dict):
        items = []
        for key, item in value.items():
            problem = text_problem(key) if isinstance(key, str) else "is not a text key"
            if problem is not None:
                return "", f"has a key that {problem}"
            items.append((f".{key}", item))
    else:
        return "", f"is not a JSON value ({type(value).__name__})"
    for where, item in items:
        found = json_value_problem(item, depth + 1)
        if found is not None:
            return where + found[0], found[1]
    return None


def json_object_problem(value: dict[str, Any]) -> str | None:
    """Why an attribute or metadata object is refused (naming the key), or None."""
    for key, item in value.items():
        problem = text_problem(key)
        if problem is not None:
            return f"key {key.encode('utf-8', 'backslashreplace').decode()!r} {problem}"
        found = json_value_problem(item)
        if found is not None:
            return f"{key}{found[0]}: {found[1]}"
        size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        if size > MAX_ATTRIBUTE_VALUE_BYTES:
            return f"{key}: is larger than {MAX_ATTRIBUTE_VALUE_BYTES} bytes"
    return None


def check_json_object(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if every key and value can be stored (see :func:`json_object_problem`).

    Raises:
        ValueError: naming the key at fault and the problem.
    """
    problem = json_object_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def lifecycle_stage_problem(value: str) -> str | None:
    """Why ``value`` cannot be a lifecycle stage, or None."""
    if not 1 <= len(value) <= LIFECYCLE_STAGE_MAX_CHARS:
        return f"must be 1 to {LIFECYCLE_STAGE_MAX_CHARS} characters"
    return text_problem(value)


def _check_stage_property(properties: dict[str, Any]) -> dict[str, Any]:
    stage = properties.get(LIFECYCLE_STAGE_PROPERTY)
    if stage is None:
        return properties
    problem = (
        lifecycle_stage_problem(stage) if isinstance(stage, str) else "must be text (a stage name)"
    )
    if problem is not None:
        raise ValueError(f"{LIFECYCLE_STAGE_PROPERTY}: {problem}")
    return properties


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-01-01T09:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


AwareDatetime = Annotated[datetime, AfterValidator(_utc)]
"""A timezone-aware timestamp, converted to UTC (naive or out-of-range values are refused)."""

Text = Annotated[str, AfterValidator(check_text)]
"""Free text a caller gives (a reason, a source): no NUL, no lone surrogate."""

JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_object)]
"""Profile attributes or metadata: finite numbers, storable text, bounded size and depth."""

PropertyKey = Annotated[
    str, Field(min_length=1, max_length=MAX_PROPERTY_KEY_CHARS), AfterValidator(check_text)
]


def _check_property_value(
    value: str | int | float | bool | None,
) -> str | int | float | bool | None:
    if isinstance(value, str) and len(value) > MAX_PROPERTY_TEXT_CHARS:
        raise ValueError(f"is longer than {MAX_PROPERTY_TEXT_CHARS} characters")
    found = json_value_problem(value)
    if found is not None:
        raise ValueError(found[1])
    return value


PropertyValue = Annotated[str | int | float | bool | None, AfterValidator(_check_property_value)]
"""One event property value: a bounded scalar (finite, 64-bit, storable text)."""

EventProperties = Annotated[
    dict[PropertyKey, PropertyValue],
    Field(max_length=MAX_EVENT_PROPERTIES),
    AfterValidator(_check_stage_property),
]
"""An event's properties: at most 50 bounded scalars; ``lifecycle_stage`` must be a stage name."""
