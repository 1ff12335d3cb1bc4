"""Pausing a whole journey on the dev server, and the journey status table on both databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable

import pytest
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.enrollment import EnrollmentState
from journeys.errors import UnknownJourneyError
from journeys.language import AttributeCondition, LifecycleStageCondition
from journeys.language.evaluation import entry_conditions_hold
from journeys.routing.journey_controls import set_journey_paused
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.journey_status import journey_pause, set_journey_status
from tests.support.interpreter_journeys import CATALOG, PAUSABLE
from tests.support.journey_scenarios import ORG
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually


async def paused_states(env: WorkflowEnvironment, workflow_ids: list[str]) -> list[bool]:
    states = [
        await env.client.get_workflow_handle(w).query("state", result_type=EnrollmentState)
        for w in workflow_ids
    ]
    return [s.paused for s in states]


async def _states_are(states: Awaitable[list[bool]], expected: list[bool]) -> bool:
    return await states == expected


async def test_pause_and_resume_a_journey(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(dev_env.client, store, settings, CATALOG)
    async with running_worker(dev_env.client, settings, store):
        before = [
            (await client.enroll(ORG, f"p-{uuid.uuid4().hex[:6]}", PAUSABLE.id)).workflow_id
            for _ in range(2)
        ]
        await eventually(lambda: _states_are(paused_states(dev_env, before), [False, False]))
        told = 0

        async def pause() -> int:
            return await set_journey_paused(
                dev_env.client, store, CATALOG, PAUSABLE.id, paused=True, reason="regulation"
            )

        for _ in range(50):  # visibility is eventually consistent
            told = await pause()
            if told >= 2:
                break
            await asyncio.sleep(0.2)
        assert told >= 2
        await eventually(lambda: _states_are(paused_states(dev_env, before), [True, True]))
        late = (await client.enroll(ORG, f"p-{uuid.uuid4().hex[:6]}", PAUSABLE.id)).workflow_id
        await eventually(lambda: _states_are(paused_states(dev_env, [late]), [True]))
        await set_journey_paused(
            dev_env.client, store, CATALOG, PAUSABLE.id, paused=False, reason=""
        )
        await eventually(lambda: _states_are(paused_states(dev_env, before), [False, False]))
        for workflow_id in [*before, late]:
            await dev_env.client.get_workflow_handle(workflow_id).terminate("test over")
    with pytest.raises(UnknownJourneyError):
        await set_journey_paused(dev_env.client, store, CATALOG, "nope", paused=True, reason="")


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_journey_status_table(database: str, request: pytest.FixtureRequest) -> None:
    store: Store = request.getfixturevalue("store" if database == "sqlite" else "pg_store")
    with store.transaction() as session:
        assert journey_pause(session, "journey_x") == (False, "")
        set_journey_status(session, "journey_x", paused=True, reason="compliance review")
    with store.transaction() as session:
        assert journey_pause(session, "journey_x") == (True, "compliance review")
        set_journey_status(session, "journey_x", paused=False, reason="")
    with store.transaction() as session:
        assert journey_pause(session, "journey_x") == (False, "")


def test_entry_conditions() -> None:
    conditions: list[AttributeCondition | LifecycleStageCondition] = [
        AttributeCondition(attribute="account_type", op="ne", value="enterprise"),
        LifecycleStageCondition(stages=["activation"]),
    ]
    assert entry_conditions_hold(conditions, {"account_type": "smb"}, "activation")
    assert not entry_conditions_hold(conditions, {"account_type": "enterprise"}, "activation")
    assert not entry_conditions_hold(conditions, {}, "retention")
    assert entry_conditions_hold(conditions[:1], {}, None)
    assert entry_conditions_hold([], {}, None)
