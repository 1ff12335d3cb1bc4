"""``journeys validate FILE``, ``graph JOURNEY``, ``simulate JOURNEY``, ``preview TEMPLATE``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from journeys.catalog import Catalog
from journeys.catalog.configured import configured_catalog
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.delivery.templates import RenderedMessage, render_message
from journeys.devtools.simulation import print_progress, simulate_on_temporal
from journeys.errors import InvalidInputError
from journeys.language import (
    BestChannelSendStep,
    BranchStep,
    Channel,
    DecideStep,
    ExitStep,
    ExperimentStep,
    HumanTaskStep,
    JourneyDefinition,
    OfferStep,
    SendStep,
    TransitionStep,
    WaitForEventStep,
)
from journeys.language.loading import load_definition
from journeys.language.steps import (
    AttributeCondition,
    Condition,
    EventCountCondition,
    LifecycleStageCondition,
    ScoreCondition,
    Step,
    WaitStep,
    WaitUntilDateStep,
    WaitUntilTimeStep,
)
from journeys.routing.journey_controls import set_journey_paused
from journeys.settings import JourneySettings
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
from journeys.store.customers import find_customer
from journeys.structured_logs import configure_logging
from journeys.temporal_connection import connect_temporal

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

    pause_help = {
        "pause": "pause a whole journey (running enrollments hold before their next send)",
        "resume": "resume a paused journey (held enrollments send again)",
    }
    preview = subparsers.add_parser(
        "preview",
        help="render a template of the catalog with a customer's data",
        description="Render TEMPLATE (from the configured catalog, JOURNEYS_CATALOG) with the"
        " stored profile of --customer, as a send would: personalised, else segment, else"
        " generic content.",
    )
    preview.add_argument("template", help="a template id the catalog carries")
    preview.add_argument("--customer", required=True, help="customer id")
    preview.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
    preview.add_argument(
        "--data", action="append", default=[], help="KEY=VALUE personalisation (repeatable)"
    )
    preview.add_argument(
        "--send-to",
        metavar="ADDRESS",
        help="also send it as a test email to ADDRESS through the configured email provider"
        " (not logged as a journey send)",
    )
    preview.set_defaults(handler=_preview)

    for name, paused in (("pause", True), ("resume", False)):
        command = subparsers.add_parser(name, help=pause_help[name])
        command.add_argument("journey", help="a journey id of the catalog")
        command.add_argument("--reason", default="", help="why (kept with the status)")
        command.set_defaults(handler=_set_paused, paused=paused)


def _definition_file(path: Path, option: str) -> JourneyDefinition:
    """The definition in ``path``; a missing file is named as such, not as a bad journey."""
    if not path.is_file():
        raise InvalidInputError(option, f"{path} is not a file")
    return load_definition(path)


def _preview(arguments: argparse.Namespace) -> int:
    data: dict[str, str] = {}
    for item in arguments.data:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInputError("--data", f"{item!r} is not KEY=VALUE")
        data[key] = value
    settings = load_settings()
    catalog = configured_catalog(settings)
    org_id = arguments.org or settings.default_org
    store = Store.from_settings(settings)
    try:
        with store.transaction() as session:
            customer = find_customer(session, org_id=org_id, customer_id=arguments.customer)
            profile = dict(customer.attributes) if customer else None
    finally:
        store.dispose()
    if profile is None:
        raise InvalidInputError(
            "--customer", f"no customer {arguments.customer!r} in organisation {org_id!r}"
        )
    message = render_message(arguments.template, {**profile, **data}, catalog.templates)
    print(f"Subject: {message.subject}\n\n{message.body}\n")
    print(f"(content: {message.source.value}; links: {', '.join(message.links) or 'none'})")
    if arguments.send_to is not None:
        _send_test_email(settings, org_id, arguments, message)
    return EXIT_OK


def _send_test_email(
    settings: JourneySettings, org_id: str, arguments: argparse.Namespace, message: RenderedMessage
) -> None:
    """Send a preview to a named address through the configured email provider."""
    from activities.providers import OutgoingMessage
    from activities.providers.smtp_email import EMAIL_ADDRESS
    from workers.journey_worker import build_providers

    if not EMAIL_ADDRESS.match(arguments.send_to):
        raise InvalidInputError("--send-to", f"{arguments.send_to!r} is not an email address")
    store = Store.from_settings(settings)
    try:
        provider = build_providers(settings, store)[Channel.EMAIL]
        receipt = provider.deliver(
            OutgoingMessage(
                org_id=org_id,
                customer_id=arguments.customer,
                channel=Channel.EMAIL,
                template=arguments.template,
                subject=message.subject,
                body=message.body,
                idempotency_key=f"preview-{uuid.uuid4().hex}",
                to=arguments.send_to,
                links=message.links,
            )
        )
    finally:
        store.dispose()
    print(f"test email sent to {arguments.send_to} via {receipt.provider}")


def _validate(arguments: argparse.Namespace) -> int:
    definition = _definition_file(arguments.file, "file")
    configured_catalog(load_settings()).check(definition)
    print(f"ok: {definition.key} ({len(definition.steps)} steps) is valid")
    return EXIT_OK


def _resolve(name: str, version: int | None) -> JourneyDefinition:
    path = Path(name)
    if path.suffix in DEFINITION_SUFFIXES:
        return _definition_file(path, "journey")
    return configured_catalog(load_settings()).get(name, version)


def _graph(arguments: argparse.Namespace) -> int:
    print(mermaid(_resolve(arguments.journey, arguments.version)))
    return EXIT_OK


def _simulate(arguments: argparse.Namespace) -> int:
    _check_simulation_arguments(arguments)
    settings = load_settings(log_level="warning")
    configure_logging(settings)
    catalog = configured_catalog(settings)
    if arguments.engine == TEMPORAL_ENGINE:
        return _simulate_on_temporal(arguments, catalog)
    specs = arguments.compare or [arguments.journey]
    definitions = [resolve_version(spec, catalog) for spec in specs]
    simulation = SimulationSettings.of_catalog(catalog, settings)
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


def _check_simulation_arguments(arguments: argparse.Namespace) -> None:  # noqa: C901 - one check per option
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


OPERATOR_SYMBOLS = {
    "eq": "=",
    "ne": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "in": "in",
}
"""How the graph writes the comparison operators of the journey language."""

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def duration_text(value: timedelta) -> str:
    """A duration as the graph writes it: ``3d``, ``1d 12h``, ``45s``, ``90ms``."""
    total = value // timedelta(milliseconds=1)
    if total < 1000:
        return f"{total}ms"
    parts = []
    seconds = total // 1000
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def condition_text(condition: Condition) -> str:  # noqa: C901 - one case per condition type
    """A branch condition as it reads: ``engagement >= 70``, ``clicked within 2d``."""
    match condition:
        case EventCountCondition():
            text = condition.event or f"any of {', '.join(sorted(condition.counted))}"
            if condition.at_most == 0:
                text = f"no {text.removeprefix('any of ')}"
            elif condition.at_most is not None:
                text += f" {condition.at_least}-{condition.at_most} times"
            elif condition.at_least != 1:
                text += f" >= {condition.at_least} times"
            if condition.within is not None:
                return f"{text} within {duration_text(condition.within)}"
            return f"{text} since enrollment"
        case AttributeCondition():
            if condition.op == "exists":
                return f"{condition.attribute} exists"
            value = condition.value
            shown = (
                "[" + ", ".join(str(v) for v in value) + "]"
                if isinstance(value, list)
                else str(value)
            )
            return f"{condition.attribute} {OPERATOR_SYMBOLS[condition.op]} {shown}"
        case LifecycleStageCondition():
            if len(condition.stages) == 1:
                return f"stage = {condition.stages[0]}"
            return f"stage in [{', '.join(condition.stages)}]"
        case ScoreCondition():
            return f"{condition.scorer} {OPERATOR_SYMBOLS[condition.op]} {condition.value:g}"
    return str(condition.kind)


def _label(name: str, step: Step) -> str:  # noqa: C901 - one case per step type
    match step:
        case SendStep():
            detail = f"send {step.template} via {'/'.join(c.value for c in step.channels)}"
        case WaitStep():
            if step.duration is not None:
                detail = f"wait {duration_text(step.duration)}"
            else:
                detail = f"wait until day {step.day}"
        case WaitUntilTimeStep():
            days = (
                ""
                if len(step.weekdays) == 7
                else " " + "/".join(WEEKDAY_NAMES[day] for day in step.weekdays)
            )
            detail = f"wait until {step.at:%H:%M}{days} (local time)"
        case WaitUntilDateStep():
            offset = ""
            if step.offset:
                sign = "-" if step.offset < timedelta(0) else "+"
                offset = f" {sign} {duration_text(abs(step.offset))}"
            detail = f"wait until {step.attribute}{offset}"
        case BestChannelSendStep():
            detail = (
                f"send {step.template} via the best of {'/'.join(c.value for c in step.channels)}"
            )
        case OfferStep():
            detail = "retention offer by expected value"
        case DecideStep():
            detail = f"decide by {step.scorer}"
        case BranchStep():
            detail = "branch"
        case ExperimentStep():
            detail = f"experiment {step.experiment}"
        case WaitForEventStep():
            detail = f"wait up to {duration_text(step.timeout)} for {' or '.join(step.events)}"
        case HumanTaskStep():
            detail = f"task {step.kind}, due in {duration_text(step.due_in)}"
        case TransitionStep():
            detail = f"to {step.journey}"
        case ExitStep():
            detail = f"exit {step.outcome}"
        case _:
            detail = step.description or step.type.replace("_", " ")
    return f"{name}: {detail}"


def _edges(step: Step) -> list[tuple[str, str]]:  # noqa: C901 - one case per step type
    """(label, target) of every edge leaving a step."""
    edges: list[tuple[str, str]]
    match step:
        case BranchStep():
            edges = [
                (" and ".join(condition_text(c) for c in case.conditions), case.next)
                for case in step.cases
            ]
            return [*edges, ("otherwise", step.otherwise)]
        case DecideStep():
            edges = [(f"{step.scorer} tier {tier}", target) for tier, target in step.tiers.items()]
            for band in step.bands:
                bounds = []
                if band.above is not None:
                    bounds.append(f"{step.scorer} > {band.above:g}")
                if band.at_least is not None:
                    bounds.append(f"{step.scorer} >= {band.at_least:g}")
                edges.append((" and ".join(bounds) or "any score", band.next))
            return [*edges, ("otherwise", step.otherwise)]
        case ExperimentStep():
            return [(f"{arm.name} {arm.weight}%", arm.next) for arm in step.arms]
        case WaitForEventStep():
            return [
                *step.events.items(),
                (f"no event in {duration_text(step.timeout)}", step.on_timeout),
            ]
        case HumanTaskStep():
            edges = list(step.outcomes.items())
            if step.on_timeout is not None and step.timeout is not None:
                edges.append((f"no outcome in {duration_text(step.timeout)}", step.on_timeout))
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


def _quoted(text: str) -> str:
    """Text safe inside a quoted Mermaid label (Mermaid has no escape for ``"``)."""
    return text.replace('"', "'")


def mermaid(definition: JourneyDefinition) -> str:
    """The journey's step graph as a Mermaid flowchart.

    Nodes say what a step does (``wait 3d``, ``send welcome via email``); edges
    leaving a branch or a decision carry their condition (``engagement >= 70``,
    ``clicked within 2d``), and timeouts their duration.
    """
    ids = {name: f"s{index}" for index, name in enumerate(definition.steps)}
    lines = ["flowchart TD", f'    start(["{definition.key}"]) --> {ids[definition.start]}']
    for name, step in definition.steps.items():
        opening, closing = _shape(step)
        lines.append(f"    {ids[name]}{opening}{_quoted(_label(name, step))}{closing}")
    for name, step in definition.steps.items():
        for label, target in _edges(step):
            arrow = f'-->|"{_quoted(label)}"|' if label else "-->"
            lines.append(f"    {ids[name]} {arrow} {ids[target]}")
    return "\n".join(lines)
