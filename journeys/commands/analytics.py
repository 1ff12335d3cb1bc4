"""``journeys report JOURNEY``: a journey's analytics from the store."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from journeys.analytics.queries import MAX_RANGE, ReportRequest, requested_report
from journeys.analytics.report_text import render_report
from journeys.catalog.configured import configured_catalog
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.errors import InvalidInputError
from journeys.store import Store

DEFAULT_DAYS = 30


def register(subparsers: Any) -> None:
    """Add the analytics subcommands."""
    report = subparsers.add_parser(
        "report", help="a journey's funnel, outcomes, sends and decisions over a time range"
    )
    report.add_argument("journey", help="a journey id of the catalog")
    report.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
    report.add_argument("--version", type=int, default=None, help="one version (all)")
    report.add_argument("--days", type=int, default=None, help=f"the last N days ({DEFAULT_DAYS})")
    report.add_argument("--since", help="start of the range (ISO 8601 with a time zone)")
    report.add_argument("--until", help="end of the range, exclusive (default now)")
    report.add_argument("--experiment", help="with --arm: only customers in that arm")
    report.add_argument("--arm", help="with --experiment: the arm")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(handler=_report)


def parse_time(option: str, value: str) -> datetime:
    """An ISO 8601 time with a time zone (``Z`` allowed).

    Raises:
        InvalidInputError: naming ``option``, when it is not one.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError(option, f"{value!r} is not an ISO 8601 time") from err
    if parsed.tzinfo is None:
        raise InvalidInputError(option, "needs a time zone (e.g. 2026-11-01T00:00:00Z)")
    return parsed


def time_range(days: int | None, since: str | None, until: str | None) -> tuple[datetime, datetime]:
    """The range of ``--days`` / ``--since`` / ``--until`` (default: the last 30 days)."""
    if days is not None and since is not None:
        raise InvalidInputError("--days", "give --days or --since, not both")
    if days is not None and not 1 <= days <= MAX_RANGE.days:
        raise InvalidInputError("--days", f"must be between 1 and {MAX_RANGE.days}")
    end = parse_time("--until", until) if until else datetime.now(UTC)
    start = parse_time("--since", since) if since else end - timedelta(days=days or DEFAULT_DAYS)
    return start, end


def _report(arguments: argparse.Namespace) -> int:
    if arguments.version is not None and arguments.version < 1:
        raise InvalidInputError("--version", "must be at least 1")
    settings = load_settings()
    since, until = time_range(arguments.days, arguments.since, arguments.until)
    request = ReportRequest(
        org_id=arguments.org or settings.default_org,
        journey_id=arguments.journey,
        since=since,
        until=until,
        version=arguments.version,
        experiment=arguments.experiment,
        arm=arguments.arm,
    )
    store = Store.from_settings(settings)
    try:
        report = requested_report(store, configured_catalog(settings), request)
    finally:
        store.dispose()
    print(report.model_dump_json(indent=2) if arguments.json else render_report(report))
    return EXIT_OK
