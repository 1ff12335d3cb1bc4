"""journey_onboarding_v2 (seed 000 template 1): every documented branch, Day 0 to Day 30,
on the time-skipping server and, identically, on the simulator."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from journeys.catalog.onboarding import DAY_1_ACTIONS, ONBOARDING_V2_2
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.differential import simulated_trace
from tests.support.journey_scenarios import (
    Scenario,
    check,
    fresh_time_skipping_env,
    run_scenario,
)
from tests.support.network import new_customer_id
from tests.support.onboarding_scenarios import (
    SCENARIOS,
)
from tests.support.temporal import finished, journey_client, running_worker


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
async def test_onboarding_branch(
    settings: JourneySettings, store: Store, scenario: Scenario
) -> None:
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, scenario)
    check(run, scenario)
    # The differential test: the same customer on the simulator's virtual clock.
    assert simulated_trace(scenario, run) == run.trace


@pytest.mark.parametrize(
    ("scenario_name", "primary"),
    [
        # Core workflow done on Day 0: "Great Start!" (the advanced-features action).
        ("engagement_51_high_then_activated", "advanced_features_email"),
        # Active without the core workflow: moderate adoption and pricing views rank it first too.
        ("v2_success_76_power_user", "advanced_features_email"),
    ],
)
async def test_day_1_is_the_next_best_action_engines_primary_action(
    settings: JourneySettings, store: Store, scenario_name: str, primary: str
) -> None:
    scenario = next(s for s in SCENARIOS if s.name == scenario_name)
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, scenario)
    assert run.definition.version == ONBOARDING_V2_2.version
    day_1 = [d for d in run.trace.decisions if d[0] == "next_best_action"]
    assert [choice for _, choice, _, _ in day_1] == [primary]
    assert run.sends[2] == DAY_1_ACTIONS[primary]


async def test_day_1_without_activity_sends_the_getting_started_guide(
    settings: JourneySettings, store: Store
) -> None:
    quiet = Scenario(
        name="v2_no_activity",
        journey="journey_onboarding_v2",
        sends=[],
        outcome="poorly_activated",
    )
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, quiet)
    day_1 = [d for d in run.trace.decisions if d[0] == "next_best_action"]
    assert [choice for _, choice, _, _ in day_1] == ["getting_started_guide"]
    assert run.sends[2:4] == ["getting_started_guide", "first_analysis_push"]


async def test_day_1_falls_back_to_the_seeds_rule_when_the_engine_cannot_decide(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    # No profile in the store: the engine refuses an unknown customer, no action is executable.
    customer = new_customer_id()
    client = journey_client(time_skipping_env.client, store, settings)
    async with running_worker(time_skipping_env.client, settings, store):
        started = await client.enroll("acme", customer, ONBOARDING_V2_2.id)
        result = await finished(time_skipping_env, started.workflow_id)
    steps = result.path
    assert steps[steps.index("day_1") :][:5] == [
        "day_1",
        "day_1_next_best_action",
        "day_1_seed_rule",
        "getting_started_email",
        "first_analysis_push",
    ]
