"""Record the replay gate's workflow histories: one run of every shipped journey version.

Run ``.venv/bin/python -m tests.replay.record_histories`` after adding a journey
version, then commit ``tests/replay/histories/*.json``. Never re-record a
history to make a change to ``workflows/`` pass: a change that breaks replay of
a committed history must be guarded with ``workflow.patched`` instead (see
``tests/replay/README.md``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

from journeys.catalog import SHIPPED_JOURNEYS
from journeys.contracts.enrollment import InflightPolicy
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
from tests.support.journey_scenarios import Scenario, fresh_time_skipping_env, run_scenario
from tests.support.onboarding_scenarios import SCENARIOS as ONBOARDING
from tests.support.rollout_journeys import JOURNEY_ID as ROLLOUT_JOURNEY
from tests.support.rollout_scenarios import retired_at_rest

HISTORIES = Path(__file__).parent / "histories"

RECORDED: list[Scenario] = [
    ONBOARDING[2],
    TRIAL_SCENARIOS[3],
    CHURN_SCENARIOS[2],
    CHURN_V2_SCENARIOS[0],
    CHURN_V3_SCENARIOS[0],
    BLUEPRINT_SCENARIOS[0],
    *(
        s
        for s in FOLLOW_UP_SCENARIOS
        if s.name
        in {
            "nurture",
            "power_user_referral",
            "feature_adoption_adopted",
            "at_risk_call_completed",
            "winback_won_back",
            "celebration",
        }
    ),
    Scenario(name="welcome", journey="journey_welcome", outcome="guided", sends=[]),
    Scenario(name="demo_tour", journey="demo_tour", outcome="no_click", sends=[]),
]
"""One scenario per shipped journey version, walking its most eventful documented path."""

RECORDED_POLICIES = (InflightPolicy.DRAIN, InflightPolicy.MIGRATE)
"""In-flight policies whose histories the gate replays: a v1 enrollment of the rollout
test journey, resting at a wait when v2 replaces v1."""


def history_path(journey_id: str, version: int, patch: str = "") -> Path:
    """Where the history of a journey version is kept (``+patch``: recorded after a patch)."""
    return HISTORIES / f"{journey_id}@{version}{'+' + patch if patch else ''}.json"


def policy_history_path(policy: InflightPolicy, patch: str = "") -> Path:
    """Where the history of a v1 enrollment retired under an in-flight policy is kept."""
    return history_path(
        ROLLOUT_JOURNEY, 1, "+".join(part for part in (f"{policy.value}-on-retire", patch) if part)
    )


def _settings(folder: Path, name: str) -> JourneySettings:
    return JourneySettings(
        data_dir=folder / name,
        task_queue=f"record-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{folder / (name + '.db')}",
    )


async def record(patch: str = "") -> None:
    """Run every recorded scenario and in-flight policy and save its workflow history as JSON.

    Args:
        patch: After a ``workflow.patched`` change, the patch id: the new
            histories are saved beside the old ones, so the gate replays both
            branches.
    """
    HISTORIES.mkdir(parents=True, exist_ok=True)
    versions = {journey.id: journey.version for journey in SHIPPED_JOURNEYS}
    with tempfile.TemporaryDirectory() as folder:
        for scenario in RECORDED:
            settings = _settings(Path(folder), scenario.name)
            store = Store(settings.resolved_database_url)
            store.migrate()
            async with fresh_time_skipping_env() as env:
                run = await run_scenario(env, store, settings, scenario)
                history = await env.client.get_workflow_handle(run.workflow_id).fetch_history()
            store.dispose()
            version = scenario.version or versions[scenario.journey]
            target = history_path(scenario.journey, version, patch)
            target.write_text(history.to_json())
            print(f"{target.name}: {run.result.outcome} ({len(history.events)} events)")
        for policy in RECORDED_POLICIES:
            settings = _settings(Path(folder), policy.value)
            store = Store(settings.resolved_database_url)
            store.migrate()
            async with fresh_time_skipping_env() as env:
                history = await retired_at_rest(env, store, settings, policy)
            store.dispose()
            target = policy_history_path(policy, patch)
            target.write_text(history.to_json())
            print(f"{target.name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(record(*sys.argv[1:2]))
