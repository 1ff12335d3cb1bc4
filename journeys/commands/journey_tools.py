"""``journeys validate FILE``, ``journeys graph JOURNEY`` and ``journeys simulate JOURNEY``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from journeys.catalog.configured import configured_catalog
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.devtools.simulation import print_progress, simulate
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
from journeys.store import Store
from journeys.structured_logs import configure_logging
from journeys.temporal_connection import connect_temporal

MAX_REASON = 200


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
        "simulate", help="simulate synthetic customers through a journey (time-skipping)"
    )
    sim.add_argument("journey", help="a journey id of the catalog")
    sim.add_argument("--customers", type=int, default=100, help="synthetic customers (100)")
    sim.add_argument("--days", type=int, default=30, help="journey days to simulate (30)")
    sim.add_argument("--seed", type=int, default=7, help="random seed of the population")
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
    configured_catalog(load_settings()).check(definition)
    print(f"ok: {definition.key} ({len(definition.steps)} steps) is valid")
    return EXIT_OK


def _resolve(name: str, version: int | None) -> JourneyDefinition:
    path = Path(name)
    if path.suffix in {".yaml", ".yml", ".json"}:
        return load_definition(path)
    return configured_catalog(load_settings()).get(name, version)


def _graph(arguments: argparse.Namespace) -> int:
    print(mermaid(_resolve(arguments.journey, arguments.version)))
    return EXIT_OK


def _simulate(arguments: argparse.Namespace) -> int:
    if arguments.customers < 1:
        raise InvalidInputError("--customers", "must be at least 1")
    if arguments.days < 1:
        raise InvalidInputError("--days", "must be at least 1")
    settings = load_settings(log_level="warning")
    configure_logging(settings)
    report = asyncio.run(
        simulate(
            arguments.journey,
            arguments.customers,
            arguments.days,
            seed=arguments.seed,
            progress=print_progress(),
            catalog=configured_catalog(settings),
        )
    )
    print(report.render())
    return EXIT_OK


def _set_paused(arguments: argparse.Namespace) -> int:
    if len(arguments.reason) > MAX_REASON:
        raise InvalidInputError("--reason", f"at most {MAX_REASON} characters")
    settings = load_settings()
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
