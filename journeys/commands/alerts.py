"""``journeys alerts list|check|schedule``: seed 000's journey health alerts."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from activities.health_checks import HealthCheckActivities
from journeys.analytics.health_schedule import ensure_health_schedule
from journeys.catalog.configured import configured_catalog
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.errors import InvalidInputError
from journeys.store import Store
from journeys.store.health_alerts import alert_history
from journeys.temporal_connection import connect_temporal

MAX_LISTED = 1_000


def register(subparsers: Any) -> None:
    """Add ``journeys alerts``."""
    alerts = subparsers.add_parser("alerts", help="journey health alerts")
    actions = alerts.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="active alerts (or all, with --all), newest first")
    listing.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
    listing.add_argument("--journey", help="only this journey")
    listing.add_argument("--all", action="store_true", help="include resolved alerts")
    listing.add_argument("--limit", type=int, default=100, help="most alerts listed (100)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    check = actions.add_parser("check", help="evaluate the alerts now and deliver changes")
    check.set_defaults(handler=_check)
    schedule = actions.add_parser("schedule", help="create or update the Temporal Schedule")
    schedule.set_defaults(handler=_schedule)


def _list(arguments: argparse.Namespace) -> int:
    if not 1 <= arguments.limit <= MAX_LISTED:
        raise InvalidInputError("--limit", f"must be between 1 and {MAX_LISTED}")
    settings = load_settings()
    store = Store.from_settings(settings)
    try:
        with store.transaction() as session:
            rows = [
                {
                    "id": row.id,
                    "journey_id": row.journey_id,
                    "rule": row.rule,
                    "severity": row.severity,
                    "message": row.message,
                    "action": row.action,
                    "raised_at": row.raised_at.isoformat(),
                    "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
                }
                for row in alert_history(
                    session,
                    arguments.org or settings.default_org,
                    journey_id=arguments.journey,
                    active_only=not arguments.all,
                    limit=arguments.limit,
                )
            ]
    finally:
        store.dispose()
    if arguments.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no alerts")
    for row in rows:
        state = f"resolved {row['resolved_at']}" if row["resolved_at"] else "ACTIVE"
        print(
            f"[{str(row['severity']).upper()}] {row['journey_id']}: {row['message']}"
            f" — {row['action']} (raised {row['raised_at']}, {state})"
        )
    return EXIT_OK


def _check(arguments: argparse.Namespace) -> int:
    settings = load_settings()
    store = Store.from_settings(settings)
    try:
        result = HealthCheckActivities(store, configured_catalog(settings), settings).check(
            datetime.now(UTC)
        )
    finally:
        store.dispose()
    for change in result.changes:
        print(f"{change.change}: [{change.severity}] {change.journey_id}: {change.message}")
    print(f"{result.firing} alerts firing; {result.delivery_failures} deliveries failed")
    return EXIT_OK


def _schedule(arguments: argparse.Namespace) -> int:
    settings = load_settings()

    async def run() -> str:
        return await ensure_health_schedule(await connect_temporal(settings), settings)

    print(f"schedule {asyncio.run(run())} runs every {settings.alert_check_interval_minutes} min")
    return EXIT_OK
