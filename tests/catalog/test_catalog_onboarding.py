"""journey_onboarding_v2 (seed 000 template 1): every documented branch, Day 0 to Day 30,
on the time-skipping server and, identically, on the simulator."""

from __future__ import annotations

import pytest

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
from tests.support.onboarding_scenarios import (
    SCENARIOS,
)


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
