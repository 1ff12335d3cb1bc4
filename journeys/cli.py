"""The ``journeys`` command line.

Each area of the engine registers its subcommands from its own module (see
:data:`COMMAND_MODULES`); every command validates its input, prints a clear
error naming the problem, and exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import os
import sys
from collections.abc import Sequence

from journeys.commands.exit_codes import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, exit_code_of
from journeys.errors import JourneyError

COMMAND_MODULES: tuple[str, ...] = (
    "journeys.commands.runtime",
    "journeys.commands.ingress",
    "journeys.commands.decisioning",
    "journeys.commands.journey_tools",
    "journeys.commands.privacy",
    "journeys.commands.analytics",
    "journeys.commands.experiments",
    "journeys.commands.alerts",
    "journeys.commands.dashboards",
    "journeys.commands.rollout",
)
"""Modules with a ``register(subparsers)`` function adding their subcommands."""

DISTRIBUTION = "journeys"
"""The installed package whose metadata gives ``journeys --version``."""


def installed_version() -> str:
    """The version of the installed ``journeys`` package (its metadata, set from pyproject)."""
    return importlib.metadata.version(DISTRIBUTION)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="journeys", description="Customer-journey orchestration on Temporal."
    )
    parser.add_argument("--version", action="version", version=f"journeys {installed_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        code: int = arguments.handler(arguments)
    except JourneyError as err:
        print(f"error: {err}", file=sys.stderr)
        return exit_code_of(err)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return code


def run() -> None:
    """Console-script entry point.

    Ends the process with ``os._exit`` once output is flushed: after the Temporal
    client has been used, the interpreter's finalization can crash
    (``PyGILState_Release``, status 134; an open SDK issue), and that status
    would replace the command's own.

    A reader that stops early (``journeys api-key create | head -1``) ends the
    command quietly with status 141, as a tool killed by SIGPIPE reports.
    """
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Send what is still buffered nowhere, so no later flush raises again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
