"""``journeys experiment show|promote JOURNEY EXPERIMENT``: verdicts and promotions."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from journeys.analytics.experiments import (
    PRIMARY_METRICS,
    ExperimentResult,
    experiment_arms,
    experiment_result,
)
from journeys.catalog.configured import configured_catalog
from journeys.client import JourneyClient
from journeys.commands.exit_codes import EXIT_OK
from journeys.commands.ingress import _with_client
from journeys.commands.runtime import load_settings
from journeys.errors import (
    InvalidInputError,
    JourneyDefinitionError,
    RolloutRefusedError,
)
from journeys.routing.experiment_promotion import Promotion, PromotionRequest, promote_experiment
from journeys.routing.rollout_control import RolloutControl
from journeys.settings import JourneySettings
from journeys.store import Store


def register(subparsers: Any) -> None:
    """Add ``journeys experiment``."""
    experiment = subparsers.add_parser("experiment", help="experiment verdicts and promotions")
    actions = experiment.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (
        ("show", "per-arm results, the test and the verdict"),
        (
            "promote",
            "promote the winner: publish the version carrying it at 100%% (a rollout change),"
            " or write that version as a draft to ship first",
        ),
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
    promote = actions.choices["promote"]
    promote.add_argument(
        "--output", type=Path, help="write the draft next version here (YAML) when none is shipped"
    )
    promote.add_argument("--arm", help="the arm expected to win (refused if it is not)")
    promote.add_argument(
        "--force", action="store_true", help="promote --arm whatever the verdict (audited)"
    )
    promote.add_argument("--reason", default="", help="why (kept in the rollout's audit trail)")
    promote.add_argument("--actor", help="who (default: cli:<login>)")


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
    # Checked before connecting to Temporal, so a typo fails fast.
    experiment_arms(definition, arguments.experiment)
    if arguments.force and arguments.arm is None:
        raise InvalidInputError("--force", "needs --arm (the arm to promote)")
    request = PromotionRequest(
        org_id=org_id,
        journey_id=definition.id,
        version=arguments.version,
        experiment=arguments.experiment,
        min_sample_per_arm=settings.experiment_min_sample_per_arm,
        alpha=settings.experiment_alpha,
        metric=arguments.metric,
        arm=arguments.arm,
        force=arguments.force,
        actor=str(arguments.actor or f"cli:{getpass.getuser()}"),
        reason=arguments.reason,
    )

    async def run(client: JourneyClient) -> Promotion:
        control = RolloutControl(client.temporal, client.store, client.versions)
        try:
            return await promote_experiment(control, request)
        except JourneyDefinitionError as err:
            raise RolloutRefusedError(str(err)) from err

    promotion, code = _with_client(arguments, run)
    if promotion is None:
        return code
    text = promotion.draft_yaml
    if text is not None and arguments.output is not None:
        arguments.output.write_text(text)
    if arguments.json:
        print(promotion.model_dump_json(indent=2))
        return code
    print(render_result(promotion.evidence))
    forced = " (forced)" if promotion.forced else ""
    if promotion.published is not None:
        weights = ", ".join(
            f"v{v.version} {v.state.value} {v.weight}%"
            for v in promotion.published.rollout.versions
        )
        print(f"Promoted {promotion.arm}{forced}: published as a rollout change ({weights}).")
        return code
    if text is None:
        return code
    where = f"written to {arguments.output}" if arguments.output else "below"
    print(
        f"{promotion.arm}{forced} wins, but no version of {promotion.journey_id} sends"
        f" everyone there yet: ship the draft version {promotion.draft_version} ({where}) in"
        " the catalog and run promote again to publish it. Nothing was changed."
    )
    if arguments.output is None:
        print(text)
    return code
