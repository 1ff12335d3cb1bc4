"""A known population walked through a small measured journey on the time-skipping server.

Seven customers enter ``measured_onboarding``; an experiment splits them into
the ``short`` and ``long`` welcome arms; then, while they wait on Day 0:

- ``goal``: reach the goal event (``core_workflow_completed``): outcome ``goal_reached``;
- ``engaged``: use a feature, wait until Day 3, finish: ``completed_journey``;
- ``quiet``: do nothing, get a nudge on Day 1, wait until Day 3, finish: ``completed_journey``;
- ``closed``: close the account: outcome ``exit_event:account_closed`` (a drop-off).

Customers are chosen so that the arms hold goal/engaged/quiet/closed (short) and
goal/engaged/quiet (long); the figures the tests expect are computed by hand from this.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.enrollment import EnrollmentState
from journeys.language import (
    Channel,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
    WaitStep,
)
from journeys.language.evaluation import experiment_arm, holdout_arm
from journeys.language.steps import ExperimentArm, ExperimentStep
from tests.support.journey_scenarios import ORG
from tests.support.temporal import finished
from tests.support.waiting import eventually

ARMS = [
    ExperimentArm(name="short", weight=50, next="welcome_short"),
    ExperimentArm(name="long", weight=50, next="welcome_long"),
]

MEASURED = JourneyDefinition(
    id="measured_onboarding",
    version=1,
    metadata=JourneyMetadata(name="Measured onboarding", primary_metric="goal_conversion"),
    start="split",
    steps={
        "split": ExperimentStep(experiment="welcome_copy", arms=ARMS, control="short"),
        "welcome_short": SendStep(channels=[Channel.IN_APP], template="tour_done", next="day_0"),
        "welcome_long": SendStep(channels=[Channel.IN_APP], template="tour_done", next="day_0"),
        "day_0": WaitForEventStep(
            events={"feature_used": "day_3"}, timeout=timedelta(days=1), on_timeout="nudge"
        ),
        "nudge": SendStep(channels=[Channel.IN_APP], template="tour_done", next="day_3"),
        "day_3": WaitStep(day=3, next="done"),
        "done": ExitStep(outcome="completed_journey"),
    },
    goal_events=["core_workflow_completed"],
    exit_events=["account_closed"],
    channels=[Channel.IN_APP],
)

HELD_OUT = MEASURED.model_copy(update={"id": "measured_holdout", "holdout_percent": 50})

BEHAVIOUR = {
    "goal": "core_workflow_completed",
    "engaged": "feature_used",
    "quiet": None,
    "closed": "account_closed",
}
"""What each kind of customer does on Day 0."""

POPULATION = {"short": ["goal", "engaged", "quiet", "closed"], "long": ["goal", "engaged", "quiet"]}
"""The kinds of customer in each arm."""


@dataclass(frozen=True)
class Member:
    """One customer of the population."""

    customer_id: str
    arm: str
    kind: str
    workflow_id: str


def customers_in_arm(arm: str, count: int, prefix: str) -> list[str]:
    """``count`` fresh customer ids that the experiment puts in ``arm``."""
    found: list[str] = []
    for index in itertools.count():
        candidate = f"{prefix}-{index}"
        if experiment_arm(ARMS, MEASURED.id, "welcome_copy", candidate).name == arm:
            found.append(candidate)
            if len(found) == count:
                return found
    raise AssertionError("unreachable")


def held_out_customer(arm: str, prefix: str) -> str:
    """A fresh customer id that the holdout of :data:`HELD_OUT` puts in ``arm``."""
    for index in itertools.count():
        candidate = f"{prefix}-{index}"
        if holdout_arm(HELD_OUT.id, HELD_OUT.holdout_percent, candidate) == arm:
            return candidate
    raise AssertionError("unreachable")


async def resting_at(client: JourneyClient, customer_id: str, journey_id: str, step: str) -> None:
    """Wait until the customer's enrollment waits at ``step``."""

    async def rests() -> bool:
        state: EnrollmentState = await client.get_enrollment(ORG, customer_id, journey_id)
        return state.current_step == step and state.wait_until is not None

    await eventually(rests)


async def walk_population(env: WorkflowEnvironment, client: JourneyClient) -> list[Member]:
    """Enroll the population through the public client, play its behaviour, wait for the ends."""
    prefix = f"m{uuid.uuid4().hex[:6]}"
    members: list[Member] = []
    for arm, kinds in POPULATION.items():
        for customer_id, kind in zip(
            customers_in_arm(arm, len(kinds), f"{prefix}-{arm}"), kinds, strict=True
        ):
            started = await client.enroll(ORG, customer_id, MEASURED.id)
            members.append(Member(customer_id, arm, kind, started.workflow_id))
    await asyncio.gather(
        *(resting_at(client, member.customer_id, MEASURED.id, "day_0") for member in members)
    )
    for member in members:
        event = BEHAVIOUR[member.kind]
        if event is not None:
            await client.track(TrackedEvent(org_id=ORG, customer_id=member.customer_id, name=event))
    for member in members:
        await finished(env, member.workflow_id)
    return members


def measured_catalog() -> Catalog:
    """The catalog of the measured journeys."""
    return Catalog([MEASURED, HELD_OUT])


MEASURED_JOURNEYS = [MEASURED, HELD_OUT]
"""The catalog of CLI and API processes (``JOURNEYS_CATALOG=<this module>:MEASURED_JOURNEYS``)."""
