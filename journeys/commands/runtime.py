"""Running the engine: ``journeys dev``, ``worker``, ``migrate`` and ``temporal-setup``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from journeys.commands.exit_codes import EXIT_OK, exit_code_of
from journeys.errors import ConfigurationError, InvalidInputError
from journeys.settings import JourneySettings

TEMPORAL_SETUP_WAIT_SECONDS = 120.0
"""How long ``journeys temporal-setup`` waits for the server by default (compose starts both)."""

MAX_TEMPORAL_SETUP_WAIT_SECONDS = 3600.0

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop ``journeys dev`` and ``journeys worker`` cleanly (SIGHUP: the terminal
closed)."""

OPTION_OF_SETTING = {"temporal_ui_port": "--ui-port"}
"""Command-line options whose name is not the setting's name with dashes."""


def load_settings(**overrides: Any) -> JourneySettings:
    """Settings from the environment, with the command-line options given (None = not given).

    Raises:
        InvalidInputError: a setting is invalid; names the setting and its variable.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return JourneySettings(**given)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        if name in given:
            origin = OPTION_OF_SETTING.get(name, f"--{name.replace('_', '-')}")
        else:
            origin = f"JOURNEYS_{name.upper()}"
        raise InvalidInputError(f"{name} ({origin})", first["msg"]) from None


ONE_SHOT_LOG_LEVEL = "warning"
"""Log level of commands that print an answer and exit, unless JOURNEYS_LOG_LEVEL is set."""


def one_shot_log_settings(settings: JourneySettings) -> JourneySettings:
    """The settings a one-shot command (track, enroll, list...) configures logging with.

    Its answer is its output: the client's info lines (``enrolled``...) would only
    interleave with it, so they are left out unless ``JOURNEYS_LOG_LEVEL`` asks.
    """
    if "log_level" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"log_level": ONE_SHOT_LOG_LEVEL})


def entry_point_settings() -> JourneySettings:
    """Settings for a ``python -m`` entry point: a bad setting ends the process, named.

    Prints ``error: <setting> (JOURNEYS_<SETTING>): <problem>`` and exits with
    the invalid-input code, instead of a pydantic traceback.
    """
    try:
        return load_settings()
    except InvalidInputError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(exit_code_of(err)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dev``, ``worker``, ``migrate`` and ``temporal-setup``."""
    dev = subparsers.add_parser(
        "dev",
        help="run the embedded stack: Temporal dev server + UI, store, worker, API, demo",
        description="Start the Temporal dev server (UI included), migrate the store, run a"
        " worker and the HTTP API in this process, and enroll demo customers. Ctrl-C stops"
        " everything; the data folder keeps everything for the next start.",
    )
    dev.add_argument("--data-dir", type=Path, help="data folder (JOURNEYS_DATA_DIR)")
    dev.add_argument(
        "--temporal-port", type=int, help="Temporal gRPC port (JOURNEYS_TEMPORAL_PORT)"
    )
    dev.add_argument("--ui-port", type=int, help="Temporal UI port (JOURNEYS_TEMPORAL_UI_PORT)")
    dev.add_argument("--api-port", type=int, help="HTTP API port (JOURNEYS_API_PORT)")
    dev.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="enroll demo customers (JOURNEYS_DEMO, on by default)",
    )
    # The dict fills up as the other command modules register; read when the command runs.
    dev.set_defaults(handler=run_dev, cli_commands=subparsers.choices)

    worker = subparsers.add_parser(
        "worker",
        help="run a journey worker against the configured Temporal server",
        description="Migrate the store, connect to JOURNEYS_TEMPORAL_ADDRESS and run the"
        " journey workflow and activities until SIGINT/SIGTERM.",
    )
    worker.set_defaults(handler=run_worker_command)

    migrate = subparsers.add_parser(
        "migrate",
        help="create or upgrade the store's schema",
        description="Apply every Alembic migration to the store (idempotent).",
    )
    migrate.add_argument(
        "--database-url", help="SQLAlchemy URL of the store (JOURNEYS_DATABASE_URL)"
    )
    migrate.set_defaults(handler=run_migrate)

    setup = subparsers.add_parser(
        "temporal-setup",
        help="register the engine's search attributes on a Temporal server",
        description="Wait for JOURNEYS_TEMPORAL_ADDRESS to answer, then register the custom"
        " search attributes enrollments write (idempotent). `journeys dev` does this itself.",
    )
    setup.add_argument(
        "--wait",
        type=float,
        default=TEMPORAL_SETUP_WAIT_SECONDS,
        help=f"seconds to wait for the server (default {TEMPORAL_SETUP_WAIT_SECONDS:g})",
    )
    setup.set_defaults(handler=run_temporal_setup)


def run_dev(arguments: argparse.Namespace) -> int:
    """``journeys dev``: run the embedded stack until SIGINT/SIGTERM."""
    from journeys.devtools.dev_stack import engine_log_path, run_dev_stack
    from journeys.structured_logs import configure_logging

    settings = load_settings(
        data_dir=arguments.data_dir,
        temporal_port=arguments.temporal_port,
        temporal_ui_port=arguments.ui_port,
        api_port=arguments.api_port,
        demo=arguments.demo,
    )
    commands: Iterable[str] = list(arguments.cli_commands)
    log_path = engine_log_path(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The worker's, the API's and the demo's log lines go to a file: the terminal
    # keeps the startup progress and the banner (which says where the log is).
    with log_path.open("a", encoding="utf-8", buffering=1) as log_file:
        configure_logging(settings, log_file)
        asyncio.run(_until_stopped(run_dev_stack(settings, cli_commands=commands)))
    print("journeys dev: stopped", flush=True)
    return EXIT_OK


def run_worker_command(arguments: argparse.Namespace) -> int:
    """``journeys worker``: run a worker until SIGINT/SIGTERM."""
    from journeys.structured_logs import configure_logging
    from workers.journey_worker import run_worker

    settings = load_settings()
    configure_logging(settings)
    try:
        asyncio.run(_until_stopped(run_worker(settings)))
    except RuntimeError as err:
        if "client connect" not in str(err):
            raise
        raise ConfigurationError(
            f"cannot reach Temporal at {settings.temporal_address}"
            f" (JOURNEYS_TEMPORAL_ADDRESS): {err}"
        ) from None
    return EXIT_OK


def run_migrate(arguments: argparse.Namespace) -> int:
    """``journeys migrate``: bring the store's schema up to date."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from journeys.devtools.dev_stack import display_url
    from journeys.store import Store

    settings = load_settings(database_url=arguments.database_url)
    url = settings.resolved_database_url
    try:
        store = Store.from_settings(settings)
    except ArgumentError as err:
        raise InvalidInputError("database_url", f"not a database URL: {err}") from None
    try:
        store.migrate()
    except SQLAlchemyError as err:
        raise ConfigurationError(f"cannot migrate {display_url(url)}: {err}") from None
    finally:
        store.dispose()
    print(f"store migrated: {display_url(url)}")
    return EXIT_OK


def run_temporal_setup(arguments: argparse.Namespace) -> int:
    """``journeys temporal-setup``: register the search attributes once the server answers."""
    if not 0 < arguments.wait <= MAX_TEMPORAL_SETUP_WAIT_SECONDS:
        raise InvalidInputError(
            "--wait", f"must be more than 0 and at most {MAX_TEMPORAL_SETUP_WAIT_SECONDS:g} seconds"
        )
    settings = load_settings()
    asyncio.run(_register_search_attributes(settings, arguments.wait))
    print(
        f"search attributes registered on {settings.temporal_address}"
        f" (namespace {settings.temporal_namespace})"
    )
    return EXIT_OK


async def _register_search_attributes(settings: JourneySettings, wait: float) -> None:
    from journeys.temporal_connection import connect_temporal, register_search_attributes

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            client = await connect_temporal(settings)
            break
        except RuntimeError as err:
            if loop.time() >= deadline:
                raise ConfigurationError(
                    f"cannot reach Temporal at {settings.temporal_address}"
                    f" (JOURNEYS_TEMPORAL_ADDRESS) within {wait:g}s: {err}"
                ) from None
            await asyncio.sleep(1.0)
    await register_search_attributes(client, settings.temporal_namespace)


async def _until_stopped(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` until it ends, or cancel it on SIGINT/SIGTERM and let it clean up."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
    finally:
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
