"""``journeys customer export`` and ``journeys customer erase``: privacy requests from the CLI."""

from __future__ import annotations

import argparse
import json
import re

from journeys.client import ID_PATTERN
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.ingress import _emit, _org, _with_client
from journeys.errors import InvalidInputError
from journeys.privacy import erase_customer_data, export_customer_data

REQUESTED_BY = "cli"
"""Who the audit records as having asked (the CLI runs with the store's own rights)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``customer export`` and ``customer erase``."""
    customer = subparsers.add_parser("customer", help="export or erase a customer's data")
    actions = customer.add_subparsers(dest="customer_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="print everything held on a customer (JSON)")
    export.add_argument("--org", help="organisation id (default: JOURNEYS_DEFAULT_ORG)")
    export.add_argument("--customer", required=True, help="customer id")
    export.set_defaults(handler=run_export)
    erase = actions.add_parser(
        "erase",
        help="end a customer's enrollments and erase their data",
        description="Keeps consent and suppressions (with a global opt-out) so the customer"
        " is never contacted again; redacts the communication log.",
    )
    erase.add_argument("--org", help="organisation id (default: JOURNEYS_DEFAULT_ORG)")
    erase.add_argument("--customer", required=True, help="customer id")
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    erase.set_defaults(handler=run_erase)


def _customer(arguments: argparse.Namespace) -> str:
    customer_id = str(arguments.customer)
    if not re.fullmatch(ID_PATTERN, customer_id):
        raise InvalidInputError(
            "--customer", "letters, digits and _.@:+- only, at most 128 characters"
        )
    return customer_id


def run_export(arguments: argparse.Namespace) -> int:
    """``journeys customer export``."""
    org, customer_id = _org(arguments), _customer(arguments)
    exported, code = _with_client(
        arguments,
        lambda client: export_customer_data(client, org, customer_id, requested_by=REQUESTED_BY),
    )
    if exported is None:
        return code
    print(json.dumps(exported.model_dump(mode="json"), indent=2, default=str))
    return EXIT_OK


def run_erase(arguments: argparse.Namespace) -> int:
    """``journeys customer erase``."""
    org, customer_id = _org(arguments), _customer(arguments)
    if not arguments.yes:
        raise InvalidInputError("--yes", "erasure cannot be undone: confirm with --yes")
    erased, code = _with_client(
        arguments,
        lambda client: erase_customer_data(client, org, customer_id, requested_by=REQUESTED_BY),
    )
    if erased is None:
        return code
    counts = ", ".join(f"{table} {rows}" for table, rows in erased.erased.items() if rows)
    _emit(
        arguments,
        erased,
        f"erased {customer_id} of {org}: {counts or 'nothing held'};"
        f" {len(erased.exited)} enrollment(s) ended",
    )
    return EXIT_OK
