"""``journeys validate FILE``, ``journeys graph JOURNEY`` and ``journeys simulate JOURNEY``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from journeys.catalog import Catalog
from journeys.catalog.configured import configured_catalog
from journeys.devtools.simulation import print_progress, simulate_on_temporal
from journeys.errors import InvalidInputError
from journeys.language import (
    BranchStep,
    DecideStep,
    ExitStep,
    ExperimentStep,
    HumanTaskStep,
    JourneyDefinition,
    SendStep,
    TransitionStep,
    WaitForEventStep,
)
from journeys.language.loading import load_definition
from journeys.language.steps import Step
from journeys.routing.journey_controls import set_journey_paused
from journeys.settings import JourneySettings
from journeys.simulation.activities import DeliveryRules
from journeys.simulation.backtest import backtest
from journeys.simulation.chart import chart_html
from journeys.simulation.engine import (
    SimulationSettings,
    default_workers,
    simulate_population,
    synthetic_population,
)
from journeys.simulation.population import load_profiles
from journeys.simulation.progress import ProgressBar
from journeys.simulation.report import render_comparison
from journeys.store import Store
from journeys.structured_logs import configure_logging
from journeys.temporal_connection import connect_temporal

EXIT_OK = 0
MAX_REASON = 200

SIMULATOR_ENGINE = "simulator"
TEMPORAL_ENGINE = "temporal"
DEFINITION_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
"""A journey argument with one of these suffixes is a definition file."""


def register(subparsers: Any) -> None:
    """Add the journey tool subcommands."""
    validate = subparsers.add_parser(
        "validate", help="validate a journey definition file (YAML or JSON)"
    )
    validate.add_argument("file", type=Path, help="the definition file")
    validate.set_defaults(handler=_validate)

    graph = subparsers.add_parser("graph", help="print a journey as a Mermaid flowchart")
    graph.add_argument("journey", help="a journey id of the catalog, or a definition file")
    graph.add_argument("--version", type=int, default=None, help="catalog version (newest)")
    graph.set_defaults(handler=_graph)

    sim = subparsers.add_parser(
        "simulate",
        help="simulate customers through a journey version on a virtual clock",
        description="Run synthetic customers (or, with --from-store, the stored event streams"
        " of real customers) through a journey version on the simulator's virtual clock:"
        " nothing is sent and nothing is written.",
    )
    sim.add_argument(
        "journey",
        nargs="?",
        help="JOURNEY or JOURNEY@VERSION of the catalog, or a definition file (a draft)",
    )
    sim.add_argument("--customers", type=int, default=1000, help="synthetic customers (1000)")
    sim.add_argument("--days", type=int, default=30, help="journey days to simulate (30)")
    sim.add_argument("--seed", type=int, default=7, help="random seed of the population (7)")
    sim.add_argument(
        "--profiles", type=Path, default=None, help="behaviour profiles file (the shipped ones)"
    )
    sim.add_argument(
        "--engine",
        choices=[SIMULATOR_ENGINE, TEMPORAL_ENGINE],
        default=SIMULATOR_ENGINE,
        help="simulator (virtual clock, default) or temporal (the time-skipping server,"
        " full fidelity, slow)",
    )
    sim.add_argument(
        "--compare",
        nargs=2,
        metavar=("JOURNEY@A", "JOURNEY@B"),
        help="run the same population through two versions and show them side by side",
    )
    sim.add_argument(
        "--from-store",
        action="store_true",
        help="replay the stored events of real customers (with --since and --org)",
    )
    sim.add_argument("--since", help="with --from-store: the first day replayed (YYYY-MM-DD)")
    sim.add_argument("--org", help="with --from-store: the organisation whose customers replay")
    sim.add_argument("--json", action="store_true", help="print the report as JSON")
    sim.add_argument("--chart", type=Path, help="write an HTML chart of funnel and sends per day")
    sim.add_argument(
        "--workers", type=int, default=None, help="processes for large populations (one per core)"
    )
    sim.set_defaults(handler=_simulate)

    for name, paused in (("pause", True), ("resume", False)):
        command = subparsers.add_parser(
            name, help=f"{name} a whole journey (running enrollments hold before their next send)"
        )
        command.add_argument("journey", help="a journey id of the catalog")
        command.add_argument("--reason", default="", help="why (kept with the status)")
        command.set_defaults(handler=_set_paused, paused=paused)


def _validate(arguments: argparse.Namespace) -> int:
    definition = load_definition(arguments.file)
    configured_catalog(JourneySettings()).check(definition)
    print(f"ok: {definition.key} ({len(definition.steps)} steps) is valid")
    return EXIT_OK


def _resolve(name: str, version: int | None) -> JourneyDefinition:
    path = Path(name)
    if path.suffix in DEFINITION_SUFFIXES:
        return load_definition(path)
    return configured_catalog(JourneySettings()).get(name, version)


def _graph(arguments: argparse.Namespace) -> int:
    print(mermaid(_resolve(arguments.journey, arguments.version)))
    return EXIT_OK


def _simulate(arguments: argparse.Namespace) -> int:
    _check_simulation_arguments(arguments)
    settings = JourneySettings(log_level="warning")
    configure_logging(settings)
    catalog = configured_catalog(settings)
    if arguments.engine == TEMPORAL_ENGINE:
        return _simulate_on_temporal(arguments, catalog)
    specs = arguments.compare or [arguments.journey]
    definitions = [resolve_version(spec, catalog) for spec in specs]
    simulation = SimulationSettings(
        rules=DeliveryRules(settings.delivery_frequency_caps, settings.delivery_quiet_hours),
        journeys=frozenset(journey.id for journey in catalog.current_versions()),
        max_signals_per_run=settings.max_signals_per_run,
    )
    if arguments.from_store:
        since = _since(arguments.since)
        store = Store.from_settings(settings)
        try:
            reports = [
                backtest(
                    definition,
                    store,
                    arguments.org,
                    since,
                    arguments.days,
                    simulation,
                    progress=ProgressBar(),
                )
                for definition in definitions
            ]
        finally:
            store.dispose()
    else:
        population = synthetic_population(
            arguments.customers,
            seed=arguments.seed,
            profiles_file=str(arguments.profiles) if arguments.profiles else None,
        )
        workers = arguments.workers or default_workers(arguments.customers)
        reports = [
            simulate_population(
                definition,
                population,
                arguments.days,
                simulation,
                workers=workers,
                progress=ProgressBar(),
            )
            for definition in definitions
        ]
    if arguments.chart is not None:
        arguments.chart.write_text(chart_html(reports), encoding="utf-8")
    if arguments.json:
        documents = [report.to_dict() for report in reports]
        print(json.dumps({"compare": documents} if arguments.compare else documents[0], indent=2))
    elif arguments.compare:
        print(render_comparison(reports[0], reports[1]))
    else:
        print(reports[0].render())
    if arguments.chart is not None:
        print(f"chart written to {arguments.chart}", file=sys.stderr)
    return EXIT_OK


def _check_simulation_arguments(arguments: argparse.Namespace) -> None:
    """Refuse contradictory or out-of-range options, naming the option."""
    if arguments.customers < 1:
        raise InvalidInputError("--customers", f"must be at least 1, not {arguments.customers}")
    if arguments.days < 1:
        raise InvalidInputError("--days", f"must be at least 1, not {arguments.days}")
    if arguments.workers is not None and arguments.workers < 1:
        raise InvalidInputError("--workers", f"must be at least 1, not {arguments.workers}")
    if arguments.compare and arguments.journey:
        raise InvalidInputError("journey", "give either a journey or --compare A B, not both")
    if not arguments.compare and not arguments.journey:
        raise InvalidInputError("journey", "name a journey (or --compare A B)")
    if arguments.from_store and (not arguments.since or not arguments.org):
        raise InvalidInputError("--from-store", "needs --since DATE and --org ORG")
    if not arguments.from_store and (arguments.since or arguments.org):
        raise InvalidInputError("--since/--org", "only with --from-store")
    if arguments.engine == TEMPORAL_ENGINE:
        for option, given in (
            ("--compare", arguments.compare),
            ("--from-store", arguments.from_store),
            ("--chart", arguments.chart),
            ("--json", arguments.json),
        ):
            if given:
                raise InvalidInputError(
                    option, "needs the simulator engine (not --engine temporal)"
                )


def _since(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError("--since", f"must be a date YYYY-MM-DD, not {value!r}") from err


def resolve_version(spec: str, catalog: Catalog) -> JourneyDefinition:
    """A journey version from ``JOURNEY``, ``JOURNEY@VERSION`` or a definition file (a draft).

    Raises:
        InvalidInputError: the version after ``@`` is not a number.
        UnknownJourneyError: no such journey or version in the catalog.
        JourneyDefinitionError: the draft is invalid or references unknown things.
    """
    path = Path(spec)
    if path.suffix in DEFINITION_SUFFIXES:
        draft = load_definition(path)
        catalog.check(draft)
        return draft
    journey_id, at, version = spec.partition("@")
    if not at:
        return catalog.get(journey_id)
    if not version.isdigit():
        raise InvalidInputError("journey", f"the version in {spec!r} must be a number")
    return catalog.get(journey_id, int(version))


def _simulate_on_temporal(arguments: argparse.Namespace, catalog: Catalog) -> int:
    """The full-fidelity run: the real workflow on the time-skipping server."""
    definition = resolve_version(arguments.journey, catalog)
    report = asyncio.run(
        simulate_on_temporal(
            definition,
            arguments.customers,
            arguments.days,
            seed=arguments.seed,
            progress=print_progress(),
            catalog=catalog,
            profiles=load_profiles(arguments.profiles),
        )
    )
    print(report.render())
    return EXIT_OK


def _set_paused(arguments: argparse.Namespace) -> int:
    if len(arguments.reason) > MAX_REASON:
        raise InvalidInputError("--reason", f"at most {MAX_REASON} characters")
    settings = JourneySettings()
    catalog = configured_catalog(settings)
    catalog.get(arguments.journey)

    async def run() -> int:
        temporal = await connect_temporal(settings)
        store = Store.from_settings(settings)
        try:
            return await set_journey_paused(
                temporal,
                store,
                catalog,
                arguments.journey,
                paused=arguments.paused,
                reason=arguments.reason,
            )
        finally:
            store.dispose()

    told = asyncio.run(run())
    state = "paused" if arguments.paused else "resumed"
    print(f"{arguments.journey} {state}; {told} running enrollments told")
    return EXIT_OK


def _label(name: str, step: Step) -> str:
    match step:
        case SendStep():
            detail = f"send {step.template} via {'/'.join(c.value for c in step.channels)}"
        case DecideStep():
            detail = f"decide by {step.scorer}"
        case BranchStep():
            detail = "branch"
        case ExperimentStep():
            detail = f"experiment {step.experiment}"
        case WaitForEventStep():
            detail = f"wait for {' or '.join(step.events)}"
        case HumanTaskStep():
            detail = f"task {step.kind}"
        case TransitionStep():
            detail = f"to {step.journey}"
        case ExitStep():
            detail = f"exit {step.outcome}"
        case _:
            detail = step.description or step.type.replace("_", " ")
    return f"{name}: {detail}".replace('"', "'")


def _edges(step: Step) -> list[tuple[str, str]]:
    """(label, target) of every edge leaving a step."""
    edges: list[tuple[str, str]]
    match step:
        case BranchStep():
            edges = [(str(case.when.kind), case.next) for case in step.cases]
            return [*edges, ("otherwise", step.otherwise)]
        case DecideStep():
            edges = [(f"tier {tier}", target) for tier, target in step.tiers.items()]
            for band in step.bands:
                bound = f"> {band.above:g}" if band.above is not None else f">= {band.at_least:g}"
                edges.append((bound, band.next))
            return [*edges, ("otherwise", step.otherwise)]
        case ExperimentStep():
            return [(f"{arm.name} {arm.weight}%", arm.next) for arm in step.arms]
        case WaitForEventStep():
            return [*step.events.items(), ("timeout", step.on_timeout)]
        case HumanTaskStep():
            edges = list(step.outcomes.items())
            if step.on_timeout is not None:
                edges.append(("timeout", step.on_timeout))
            if step.next is not None:
                edges.append(("", step.next))
            return edges
        case TransitionStep() | ExitStep():
            return []
        case _:
            return [("", step.next)]


def _shape(step: Step) -> tuple[str, str]:
    if isinstance(step, BranchStep | DecideStep | ExperimentStep):
        return '{"', '"}'
    if isinstance(step, ExitStep | TransitionStep):
        return '(["', '"])'
    return '["', '"]'


def mermaid(definition: JourneyDefinition) -> str:
    """The journey's step graph as a Mermaid flowchart."""
    ids = {name: f"s{index}" for index, name in enumerate(definition.steps)}
    lines = ["flowchart TD", f'    start(["{definition.key}"]) --> {ids[definition.start]}']
    for name, step in definition.steps.items():
        opening, closing = _shape(step)
        lines.append(f"    {ids[name]}{opening}{_label(name, step)}{closing}")
    for name, step in definition.steps.items():
        for label, target in _edges(step):
            arrow = f"-->|{label}|" if label else "-->"
            lines.append(f"    {ids[name]} {arrow} {ids[target]}")
    return "\n".join(lines)
