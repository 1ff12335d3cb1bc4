"""``journeys experiment show|promote JOURNEY EXPERIMENT``: verdicts and promotions."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from journeys.analytics.experiments import (
    PRIMARY_METRICS,
    ExperimentResult,
    experiment_result,
    promote_winner,
)
from journeys.catalog.configured import configured_catalog
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.errors import InvalidInputError
from journeys.language.loading import dump_definition
from journeys.settings import JourneySettings
from journeys.store import Store


def register(subparsers: Any) -> None:
    """Add ``journeys experiment``."""
    experiment = subparsers.add_parser("experiment", help="experiment verdicts and promotions")
    actions = experiment.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (
        ("show", "per-arm results, the test and the verdict"),
        ("promote", "promote the winner: record it and write the journey's next version"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("journey", help="a journey id of the catalog")
        action.add_argument("experiment", help="the experiment's name (or 'holdout')")
        action.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
        action.add_argument("--version", type=int, default=None, help="journey version (newest)")
        action.add_argument(
            "--metric", choices=PRIMARY_METRICS, help="primary metric (the journey's declared one)"
        )
        action.add_argument("--json", action="store_true", help="print JSON")
        action.set_defaults(handler=_show if name == "show" else _promote)
    actions.choices["promote"].add_argument(
        "--output", type=Path, help="write the next version's definition here (YAML)"
    )


def render_result(result: ExperimentResult) -> str:
    """The experiment's arms, tests and verdict as text."""
    lines = [
        f"EXPERIMENT {result.journey_id} / {result.experiment} — {result.metric}",
        f"Method: {result.method}; first {result.min_sample_per_arm} per arm, "
        f"alpha {result.alpha:g}",
    ]
    for arm in result.arms:
        rate = "n/a" if arm.rate is None else f"{arm.rate:.1%}"
        label = f"{arm.arm} (control)" if arm.control else arm.arm
        lines.append(
            f"  {label}: entered {arm.entered:,}, sample {arm.sample:,} "
            f"({arm.ended:,} ended), conversions {arm.conversions:,} = {rate}"
        )
    for comparison in result.comparisons:
        test = comparison.test
        lines.append(
            f"  {comparison.arm} vs {comparison.control}: {test.difference:+.1%}, "
            f"z={test.z:.2f}, p={test.p_value:.4f}"
            f"{' (significant)' if comparison.significant else ''}"
        )
    lines.append(
        f"Verdict: {result.verdict.value}" + (f" — {result.winner}" if result.winner else "")
    )
    lines.append(f"Why: {result.reason}")
    return "\n".join(lines)


def _context(arguments: argparse.Namespace) -> tuple[JourneySettings, Any, str]:
    if arguments.version is not None and arguments.version < 1:
        raise InvalidInputError("--version", "must be at least 1")
    settings = load_settings()
    definition = configured_catalog(settings).get(arguments.journey, arguments.version)
    return settings, definition, arguments.org or settings.default_org


def _show(arguments: argparse.Namespace) -> int:
    settings, definition, org_id = _context(arguments)
    store = Store.from_settings(settings)
    try:
        result = experiment_result(
            store,
            definition,
            org_id=org_id,
            experiment=arguments.experiment,
            min_sample_per_arm=settings.experiment_min_sample_per_arm,
            alpha=settings.experiment_alpha,
            metric=arguments.metric,
        )
    finally:
        store.dispose()
    print(result.model_dump_json(indent=2) if arguments.json else render_result(result))
    return EXIT_OK


def _promote(arguments: argparse.Namespace) -> int:
    settings, definition, org_id = _context(arguments)
    store = Store.from_settings(settings)
    try:
        promotion = promote_winner(
            store,
            definition,
            org_id=org_id,
            experiment=arguments.experiment,
            min_sample_per_arm=settings.experiment_min_sample_per_arm,
            alpha=settings.experiment_alpha,
            promoted_by=getpass.getuser(),
            metric=arguments.metric,
        )
    finally:
        store.dispose()
    text = dump_definition(promotion.next_definition)
    if arguments.output is not None:
        arguments.output.write_text(text)
    if arguments.json:
        print(promotion.model_dump_json(indent=2))
    else:
        print(render_result(promotion.evidence))
        where = f" to {arguments.output}" if arguments.output else ""
        print(
            f"Promoted {promotion.arm}; the next version "
            f"{promotion.next_definition.key} sends everyone there (written{where or ' below'})."
        )
        if arguments.output is None:
            print(text)
    return EXIT_OK
