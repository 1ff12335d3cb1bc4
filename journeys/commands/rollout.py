"""``journeys rollout publish|ramp|rollback|retire|status``: ship a new journey version.

Every subcommand takes ``--json``. Exit codes (as the ingress commands): 0
success, 1 failure (Temporal or the store unreachable), 2 invalid input (weights
not summing to 100, a bad policy), 3 unknown journey or version, 4 refused (the
last active version, an incomplete step map, a draft that fails its checks), 6 a
change of the same rollout made at the same time (nothing changed).
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Awaitable, Callable
from typing import Any

from journeys.client import JourneyClient
from journeys.commands.exit_codes import EXIT_INVALID
from journeys.commands.ingress import (
    _emit,
    _fail,
    _json_flag,
    _org,
    _org_flag,
    _with_client,
)
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import InvalidInputError, JourneyDefinitionError, RolloutRefusedError
from journeys.routing.rollout_control import RolloutControl, RolloutResult, RolloutStatus

POLICIES = [policy.value for policy in InflightPolicy]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``journeys rollout`` and its actions."""
    rollout = subparsers.add_parser(
        "rollout",
        help="publish, ramp, roll back and retire journey versions; watch a rollout",
        description="Which versions of a journey take new entries, and with what weight, is"
        " stored per organisation; every process sees a change within"
        " JOURNEYS_ROLLOUT_CACHE_SECONDS. --policy says what running enrollments of a"
        " version that is retired or rolled back do: pin (finish on it), drain (leave at"
        " the next rest point, outcome superseded) or migrate (move to the new version"
        " through its declared step map).",
    )
    actions = rollout.add_subparsers(dest="rollout_command", metavar="ACTION", required=True)

    publish = actions.add_parser("publish", help="let a draft version take new entries")
    _journey(publish)
    publish.add_argument("version", type=int, help="the version to publish")
    publish.add_argument(
        "--weight",
        type=int,
        default=100,
        help="percent of new entries (100: the other active versions are retired;"
        " below 100 the one other active version keeps the rest)",
    )
    _change_flags(publish, with_policy=True)
    publish.set_defaults(handler=run_publish)

    ramp = actions.add_parser("ramp", help="set the share of new entries of each version")
    _journey(ramp)
    ramp.add_argument(
        "weights",
        nargs="+",
        metavar="VERSION=PERCENT",
        help="e.g. 2=50 1=50; must sum to 100; active versions not listed get 0",
    )
    _change_flags(ramp, with_policy=False)
    ramp.set_defaults(handler=run_ramp)

    rollback = actions.add_parser(
        "rollback", help="retire the newest active version and give its entries back"
    )
    _journey(rollback)
    rollback.add_argument("--version", type=int, help="version to roll back (newest active)")
    rollback.add_argument("--to", type=int, help="version that takes its entries (next older)")
    _change_flags(rollback, with_policy=True)
    rollback.set_defaults(handler=run_rollback)

    retire = actions.add_parser("retire", help="stop a version taking new entries")
    _journey(retire)
    retire.add_argument("version", type=int, help="the version to retire")
    _change_flags(retire, with_policy=True)
    retire.set_defaults(handler=run_retire)

    status = actions.add_parser(
        "status", help="per version: state, weight, running by step, completed, converted"
    )
    _journey(status)
    _org_flag(status)
    _json_flag(status)
    status.set_defaults(handler=run_status)


def _journey(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journey", help="a journey id of the catalog")


def _change_flags(parser: argparse.ArgumentParser, *, with_policy: bool) -> None:
    _org_flag(parser)
    if with_policy:
        parser.add_argument(
            "--policy",
            default=InflightPolicy.PIN.value,
            help=f"what running enrollments of a retired version do: {', '.join(POLICIES)} (pin)",
        )
    parser.add_argument("--reason", default="", help="why (kept in the audit trail)")
    parser.add_argument("--actor", help="who (default: cli:<login>)")
    _json_flag(parser)


def _policy(arguments: argparse.Namespace) -> InflightPolicy:
    try:
        return InflightPolicy(arguments.policy)
    except ValueError:
        raise InvalidInputError(
            "--policy", f"{arguments.policy!r} is not one of {', '.join(POLICIES)}"
        ) from None


def _actor(arguments: argparse.Namespace) -> str:
    return str(arguments.actor or f"cli:{getpass.getuser()}")


def parse_weight_pairs(pairs: list[str]) -> dict[int, int]:
    """``["2=10", "1=90"]`` -> ``{2: 10, 1: 90}``.

    Raises:
        InvalidInputError: a pair that is not VERSION=PERCENT, or a version given twice.
    """
    weights: dict[int, int] = {}
    for pair in pairs:
        version, separator, percent = pair.partition("=")
        if not separator or not version.strip().isdigit() or not percent.strip().isdigit():
            raise InvalidInputError("weights", f"{pair!r} is not VERSION=PERCENT (e.g. 2=10)")
        if int(version) in weights:
            raise InvalidInputError("weights", f"version {int(version)} is given twice")
        weights[int(version)] = int(percent)
    return weights


ChangeCall = Callable[[RolloutControl, str, dict[str, Any]], Awaitable[RolloutResult]]
"""Makes one change: (control, organisation, the options every change's flags give)."""


def _control(client: JourneyClient) -> RolloutControl:
    return RolloutControl(client.temporal, client.store, client.versions)


def _options(arguments: argparse.Namespace) -> dict[str, Any]:
    """Actor and reason of every change, its policy or weights where the action takes them.

    Raises:
        InvalidInputError: a bad ``--policy`` or weight pair.
    """
    options: dict[str, Any] = {"actor": _actor(arguments), "reason": arguments.reason}
    given = vars(arguments)
    if "policy" in given:
        options["policy"] = _policy(arguments)
    if "weights" in given:
        options["weights"] = parse_weight_pairs(arguments.weights)
    return options


def _change(arguments: argparse.Namespace, call: ChangeCall) -> int:
    """Check the flags before connecting, make the change, and print what it did."""
    try:
        options = _options(arguments)
    except InvalidInputError as err:
        return _fail(arguments, EXIT_INVALID, str(err))
    org = _org(arguments)

    async def run(client: JourneyClient) -> RolloutResult:
        try:
            return await call(_control(client), org, options)
        except JourneyDefinitionError as err:
            # A draft that fails its checks, or an incomplete step map: the change is refused.
            raise RolloutRefusedError(str(err)) from err

    result, code = _with_client(arguments, run)
    if result is not None:
        weights = ", ".join(
            f"v{v.version} {v.state.value} {v.weight}%" for v in result.rollout.versions
        )
        _emit(
            arguments,
            result,
            f"{arguments.journey}: {result.action.value} done ({weights});"
            f" {result.told} running enrollments told to {result.policy.value}",
        )
    return code


def run_publish(arguments: argparse.Namespace) -> int:
    """``journeys rollout publish``."""
    return _change(
        arguments,
        lambda control, org, options: control.publish(
            org, arguments.journey, arguments.version, weight=arguments.weight, **options
        ),
    )


def run_ramp(arguments: argparse.Namespace) -> int:
    """``journeys rollout ramp``."""
    return _change(
        arguments, lambda control, org, options: control.ramp(org, arguments.journey, **options)
    )


def run_rollback(arguments: argparse.Namespace) -> int:
    """``journeys rollout rollback``."""
    return _change(
        arguments,
        lambda control, org, options: control.rollback(
            org, arguments.journey, version=arguments.version, to=arguments.to, **options
        ),
    )


def run_retire(arguments: argparse.Namespace) -> int:
    """``journeys rollout retire``."""
    return _change(
        arguments,
        lambda control, org, options: control.retire(
            org, arguments.journey, arguments.version, **options
        ),
    )


def render_status(status: RolloutStatus) -> str:
    """``rollout status`` as text: one block per version, then the latest changes."""
    lines = [f"{status.journey_id} (org {status.org_id})"]
    for v in status.versions:
        head = f"  v{v.version}  {v.state.value:<8} {v.weight:>3}%"
        if v.state.value == "retired":
            head += f"  policy {v.policy.value}"
            if v.migrate_to is not None:
                head += f" -> v{v.migrate_to}"
        lines.append(
            f"{head}  running {v.running}  completed {v.completed}  exited {v.exited}"
            f"  converted {v.converted}  superseded {v.superseded}"
        )
        for step, count in v.running_by_step.items():
            lines.append(f"        {step:<28} {count}")
    for change in status.changes[:5]:
        lines.append(
            f"  {change.changed_at:%Y-%m-%d %H:%M:%S} {change.action.value} by {change.actor}"
            f" ({change.policy.value}){': ' + change.reason if change.reason else ''}"
        )
    return "\n".join(lines)


def run_status(arguments: argparse.Namespace) -> int:
    """``journeys rollout status``."""
    org = _org(arguments)

    async def run(client: JourneyClient) -> RolloutStatus:
        return await _control(client).status(org, arguments.journey)

    result, code = _with_client(arguments, run)
    if result is not None:
        _emit(arguments, result, render_status(result))
    return code
