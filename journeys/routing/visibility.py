"""Visibility queries over enrollments: the one place they are written.

Temporal's visibility store lists workflows by their search attributes
(:mod:`journeys.contracts.search_attributes`). Values are ids restricted to
:data:`~journeys.contracts.enrollment.ID_PATTERN`, so a quoted value cannot
escape its quotes.
"""

from __future__ import annotations

import re

from journeys.contracts import search_attributes
from journeys.contracts.enrollment import ID_PATTERN, EnrollmentStatus
from journeys.errors import InvalidInputError


def enrollment_query(
    *,
    org_id: str | None = None,
    customer_id: str | None = None,
    journey_id: str | None = None,
    status: EnrollmentStatus | None = None,
    version: int | None = None,
    running: bool = False,
) -> str:
    """The visibility query of the enrollments that match every given filter.

    Args:
        org_id: Enrollments of this organisation.
        customer_id: Of this customer.
        journey_id: In this journey.
        status: With this engine status (the ``JourneyStatus`` search attribute).
        version: Running (or ended) on this journey version.
        running: Only workflows Temporal runs now.

    Raises:
        InvalidInputError: an id is not one, or ``version`` is below 1 (the field names it).
    """
    clauses: list[str] = []
    for key, field, value in (
        (search_attributes.ORG_ID, "org_id", org_id),
        (search_attributes.CUSTOMER_ID, "customer_id", customer_id),
        (search_attributes.JOURNEY_ID, "journey_id", journey_id),
    ):
        if value is not None:
            clauses.append(f"{key.name} = {_quoted(field, value)}")
    if status is not None:
        clauses.append(f"{search_attributes.STATUS.name} = '{status.value}'")
    if version is not None:
        if version < 1:
            raise InvalidInputError("version", "must be at least 1")
        clauses.append(f"{search_attributes.JOURNEY_VERSION.name} = {int(version)}")
    if running:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


def _quoted(field: str, value: str) -> str:
    if not re.fullmatch(ID_PATTERN, value):
        raise InvalidInputError(field, "letters, digits and _.@:+- only, at most 128 characters")
    return f"'{value}'"
