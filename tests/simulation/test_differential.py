"""The differential test beyond the catalog's path scenarios: caps, quiet hours,
continue-as-new, experiments and decision steps, on the time-skipping server and on the
simulator, with identical paths, sends, held-back sends, decisions and outcomes.

(Every catalog path scenario is compared too, in tests/catalog/.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from journeys.catalog import default_catalog
from journeys.language import CappedPolicy
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.step_visits import ARM_DECISION
from tests.support.catalog_scenarios import BLUEPRINT, BLUEPRINT_SCENARIOS, at
from tests.support.differential import simulated_run
from tests.support.interpreter_journeys import CATALOG, INTERPRETER, capped
from tests.support.journey_scenarios import Scenario, fresh_time_skipping_env, run_scenario

CAPPED_SENDS = {
    CappedPolicy.SKIP: [("email", "welcome", 0)],
    CappedPolicy.DEFER: [("email", "welcome", 0), ("email", "great_start", 7)],
    CappedPolicy.FALLBACK: [("email", "welcome", 0), ("in_app", "great_start", 1)],
}
"""Email capped at 1 a week, the second email a day after the first."""


@pytest.mark.parametrize("policy", list(CappedPolicy), ids=str)
async def test_frequency_caps(
    settings: JourneySettings, store: Store, policy: CappedPolicy
) -> None:
    journey = capped(policy)
    scenario = Scenario(name=f"capped_{policy.value}", journey=journey.id, outcome="", sends=[])
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, scenario, catalog=CATALOG)
    simulated, _ = simulated_run(scenario, run)
    assert simulated == run.trace
    assert run.trace.sends == CAPPED_SENDS[policy]
    assert ("email", "great_start", "capped") in run.trace.held_back


def zone_at_night(now: datetime) -> str:
    """An IANA zone where ``now`` is 23:00-23:59 local time (inside 21:00-08:00 quiet hours)."""
    offset = (23 - now.astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    # Etc/GMT zones are named with the sign inverted: Etc/GMT-5 is UTC+5.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


async def test_quiet_hours_and_consent(settings: JourneySettings, store: Store) -> None:
    """JRN-ACT-RET-001 with its own caps and quiet hours, enrolled at 23:00 local time.

    Its low-engagement path: sends deferred to 08:00, the SMS suppressed (no opt-in).
    """
    catalog = default_catalog()
    async with fresh_time_skipping_env() as env:
        zone = zone_at_night(await env.get_current_time())
        scenario = Scenario(
            name="blueprint_at_night",
            journey=BLUEPRINT,
            outcome="",
            sends=[],
            behaviour=BLUEPRINT_SCENARIOS[3].behaviour,
            timezone=zone,
        )
        run = await run_scenario(env, store, settings, scenario, catalog=catalog)
    simulated, _ = simulated_run(scenario, run)
    assert simulated == run.trace
    statuses = {status for _, _, status in run.trace.held_back}
    assert {"deferred", "suppressed"} <= statuses


async def test_continue_as_new(settings: JourneySettings, store: Store) -> None:
    """One signal per run: every routed event makes the run continue as new."""
    scenario = BLUEPRINT_SCENARIOS[0]
    async with fresh_time_skipping_env() as env:
        run = await run_scenario(env, store, settings, scenario, max_signals_per_run=1)
        latest = await env.client.get_workflow_handle(run.workflow_id).describe()
    simulated, enrollment = simulated_run(scenario, run, max_signals_per_run=1)
    assert simulated == run.trace
    assert latest.run_id != run.enrollment_id
    assert enrollment.runs == 1 + sum(1 for event in scenario.behaviour if event.routed)


async def test_experiment_decision_and_calendar_waits(
    settings: JourneySettings, store: Store
) -> None:
    """The interpreter test journey: decide, experiment split, local-time and date waits."""
    async with fresh_time_skipping_env() as env:
        now = await env.get_current_time()
        renewal: date = (now + timedelta(days=10)).date()
        scenario = Scenario(
            name="interpreter",
            journey=INTERPRETER.id,
            outcome="",
            sends=[],
            profile={"renewal_date": renewal.isoformat()},
            timezone="Asia/Tokyo",
            behaviour=[at("csm_call_completed", 9.5)],
        )
        run = await run_scenario(env, store, settings, scenario, catalog=CATALOG)
    simulated, _ = simulated_run(scenario, run)
    assert simulated == run.trace
    assert "split" in run.trace.path
    assert [step for step, *_ in run.trace.decisions] == ["score", ARM_DECISION]
