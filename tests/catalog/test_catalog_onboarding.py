"""journey_onboarding_v2 (seed 000 template 1): every documented branch, Day 0 to Day 30,
on the time-skipping server and, identically, on the simulator."""

from __future__ import annotations

import pytest

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
