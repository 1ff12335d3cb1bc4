"""``journeys dashboard``: seed 001's live view in the terminal (``--web``: the web dashboard)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.dashboard.live_view import live_view, render_live_view
from journeys.store import Store


def register(subparsers: Any) -> None:
    """Add ``journeys dashboard``."""
    dashboard = subparsers.add_parser(
        "dashboard", help="the live orchestration view of an organisation"
    )
    dashboard.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
    dashboard.add_argument("--json", action="store_true", help="print JSON")
    dashboard.set_defaults(handler=_dashboard)


def _dashboard(arguments: argparse.Namespace) -> int:
    settings = load_settings()
    store = Store.from_settings(settings)
    try:
        view = live_view(store, arguments.org or settings.default_org, datetime.now(UTC))
    finally:
        store.dispose()
    print(view.model_dump_json(indent=2) if arguments.json else render_live_view(view))
    return EXIT_OK
