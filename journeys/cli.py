"""The ``journeys`` command line.

Each area of the engine registers its subcommands from its own module (see
:data:`COMMAND_MODULES`); every command validates its input, prints a clear
error naming the problem, and exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from journeys.commands.exit_codes import EXIT_INTERRUPTED, exit_code_of
from journeys.errors import JourneyError

COMMAND_MODULES: tuple[str, ...] = (
    "journeys.commands.runtime",
    "journeys.commands.ingress",
    "journeys.commands.decisioning",
    "journeys.commands.journey_tools",
)
"""Modules with a ``register(subparsers)`` function adding their subcommands."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="journeys", description="Customer-journey orchestration on Temporal."
    )
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
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
