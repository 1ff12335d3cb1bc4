"""Validated report requests: what the CLI, the API and the dashboard ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from journeys.analytics.journey_report import JourneyReport, journey_report
from journeys.catalog import Catalog
from journeys.errors import InvalidInputError
from journeys.language import JourneyDefinition
from journeys.store import Store
from journeys.store.journey_analytics import CohortFilter

MAX_RANGE = timedelta(days=366)
"""The longest range one report covers."""


@dataclass(frozen=True)
class ReportRequest:
    """A journey report asked for: journey, range, and optionally a version and an arm."""

    org_id: str
    journey_id: str
    since: datetime
    until: datetime
    version: int | None = None
    experiment: str | None = None
    arm: str | None = None


def report_filter(
    catalog: Catalog, request: ReportRequest
) -> tuple[CohortFilter, JourneyDefinition]:
    """Check a report request and return its filter and the journey it reads.

    Raises:
        UnknownJourneyError: the journey (or version) is not in the catalog.
        InvalidInputError: naming the field: a naive or reversed range, a range
            over :data:`MAX_RANGE`, an arm without its experiment or the reverse.
    """
    definition = catalog.get(request.journey_id, request.version)
    for field, value in (("since", request.since), ("until", request.until)):
        if value.tzinfo is None:
            raise InvalidInputError(field, "needs a time zone (e.g. 2026-11-01T00:00:00Z)")
    if request.until <= request.since:
        raise InvalidInputError("until", "must be after since")
    if request.until - request.since > MAX_RANGE:
        raise InvalidInputError("since", f"the range may cover at most {MAX_RANGE.days} days")
    if (request.experiment is None) != (request.arm is None):
        missing = "arm" if request.arm is None else "experiment"
        raise InvalidInputError(missing, "give experiment and arm together")
    where = CohortFilter(
        org_id=request.org_id,
        journey_id=request.journey_id,
        since=request.since,
        until=request.until,
        version=request.version,
        experiment=request.experiment,
        arm=request.arm,
    )
    return where, definition


def requested_report(store: Store, catalog: Catalog, request: ReportRequest) -> JourneyReport:
    """The report of a request checked by :func:`report_filter`."""
    where, definition = report_filter(catalog, request)
    return journey_report(store, where, list(definition.steps))
