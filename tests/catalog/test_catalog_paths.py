"""Trial conversion, churn prevention, JRN-ACT-RET-001 and the transition targets:
every documented branch with the seeds' numbers, on the time-skipping server."""

from __future__ import annotations

import pytest

from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.catalog_scenarios import (
    BLUEPRINT_SCENARIOS,
    CHURN_SCENARIOS,
    CHURN_V2_SCENARIOS,
    CHURN_V3_SCENARIOS,
    FOLLOW_UP_SCENARIOS,
    TRIAL_SCENARIOS,
)
from tests.support.differential import simulated_trace
from tests.support.journey_scenarios import (
    Scenario,
    check,
    fresh_time_skipping_env,
    run_scenario,
)


@pytest.mark.parametrize(
    "scenario",
    TRIAL_SCENARIOS
    + CHURN_SCENARIOS
    + CHURN_V2_SCENARIOS
    + CHURN_V3_SCENARIOS
    + BLUEPRINT_SCENARIOS
    + FOLLOW_UP_SCENARIOS,
    ids=str,
)
async def test_journey_branch(settings: JourneySettings, store: Store, scenario: Scenario) -> None:
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, scenario)
    check(run, scenario)
    # The differential test: the same customer on the simulator's virtual clock.
    assert simulated_trace(scenario, run) == run.trace
