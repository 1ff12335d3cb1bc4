"""In-flight policies of ramp, rollback and retire, on the time-skipping server.

Four organisations, one customer each, all resting in v1's (or v2's) second wait
after their first in-app nudge when the change is made: pinned finish on their
version, drained end ``superseded`` with no send after the change, migrated
continue on v2 at the mapped step with their event counts. Their histories replay.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from journeys.catalog import Catalog
from journeys.client import TrackedEvent
from journeys.contracts.enrollment import (
    SUPERSEDED_OUTCOME,
    EnrollmentResult,
    EnrollmentStatus,
    InflightPolicy,
    enrollment_workflow_id,
)
from journeys.routing.rollout_control import RolloutControl
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.network import new_customer_id
from tests.support.rollout_journeys import CLICK_WAIT, JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.rollout_scenarios import enter
from tests.support.temporal import finished, journey_client, running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

CATALOG = Catalog(ROLLOUT_JOURNEYS)


def sends(store: Store, workflow_id: str) -> list[tuple[str, int]]:
    """(step key, journey version) of every send of an enrollment, in order."""
    with store.transaction() as session:
        rows = session.execute(
            select(CommunicationLog.step_key, CommunicationLog.journey_version)
            .where(CommunicationLog.workflow_id == workflow_id)
            .order_by(CommunicationLog.id)
        )
        return [(key, version) for key, version in rows]


async def replays(handle: WorkflowHandle[JourneyWorkflow, EnrollmentResult]) -> None:
    history = await handle.fetch_history()
    replayer = Replayer(workflows=[JourneyWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None, result.replay_failure


async def test_pin_drain_and_migrate_on_publish_ramp_retire_and_rollback(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    client = journey_client(env.client, store, settings, CATALOG)
    rollouts = RolloutControl(env.client, store, client.versions)
    pinned, drained, migrated, rolled = (new_customer_id() for _ in range(4))
    async with running_worker(env.client, settings, store, CATALOG):
        await rollouts.publish("org-rollback", JOURNEY_ID, 2, actor="test")
        workflows = {
            pinned: await enter(client, "org-pin", pinned),
            drained: await enter(client, "org-drain", drained),
            migrated: await enter(client, "org-migrate", migrated),
            rolled: await enter(client, "org-rollback", rolled),
        }
        await env.sleep(CLICK_WAIT + timedelta(hours=1))

        async def all_rest_after_the_nudge() -> bool:
            for org, who in (
                ("org-pin", pinned),
                ("org-drain", drained),
                ("org-migrate", migrated),
                ("org-rollback", rolled),
            ):
                state = await client.get_enrollment(org, who, JOURNEY_ID)
                if state.current_step != "wait_more" or state.wait_until is None:
                    return False
            return True

        await eventually(all_rest_after_the_nudge, seconds=60)
        viewed = TrackedEvent(org_id="org-migrate", customer_id=migrated, name="rollout_viewed")
        assert (await client.track(viewed)).signalled == [workflows[migrated]]

        pin = await rollouts.publish("org-pin", JOURNEY_ID, 2, actor="test")
        await rollouts.publish("org-drain", JOURNEY_ID, 2, weight=10, actor="test")
        await rollouts.ramp("org-drain", JOURNEY_ID, {2: 100, 1: 0}, actor="test")
        drain = await rollouts.retire(
            "org-drain", JOURNEY_ID, 1, policy=InflightPolicy.DRAIN, actor="test"
        )
        migrate = await rollouts.publish(
            "org-migrate", JOURNEY_ID, 2, policy=InflightPolicy.MIGRATE, actor="test"
        )
        rollback = await rollouts.rollback(
            "org-rollback", JOURNEY_ID, policy=InflightPolicy.DRAIN, actor="test"
        )
        assert (pin.told, drain.told, migrate.told, rollback.told) == (0, 1, 1, 1)

        results = {who: await finished(env, workflow_id) for who, workflow_id in workflows.items()}
        assert (results[pinned].status, results[pinned].outcome) == (
            EnrollmentStatus.COMPLETED,
            "timed_out_v1",
        )
        assert sends(store, workflows[pinned]) == [("nudge#1", 1), ("second_nudge#1", 1)]
        for who in (drained, rolled):
            assert (results[who].status, results[who].outcome) == (
                EnrollmentStatus.EXITED,
                SUPERSEDED_OUTCOME,
            )
            assert [key for key, _ in sends(store, workflows[who])] == ["nudge#1"]
        assert results[migrated].outcome == "engaged_v2"
        assert sends(store, workflows[migrated]) == [("nudge#1", 1)]
        state = await client.get_enrollment("org-migrate", migrated, JOURNEY_ID)
        assert state.journey_version == 2
        assert state.event_counts["rollout_viewed"] == 1
        moved = [entry for entry in state.path if entry.migrated_from is not None]
        assert [(e.step, e.migrated_from) for e in moved] == [
            ("wait_more", "rollout_demo@1:wait_more")
        ]
        assert [e.step for e in state.path] == [
            "wait_click",
            "nudge",
            "wait_more",
            "wait_more",
            "check",
            "engaged",
        ]
        for workflow_id in workflows.values():
            await replays(env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id))


async def test_an_entry_from_a_process_with_a_stale_cache_is_drained_at_its_first_rest(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """A process reads rollouts through a cache: it may start a just-retired version."""
    env = time_skipping_env
    stale = journey_client(
        env.client, store, settings.model_copy(update={"rollout_cache_seconds": 60}), CATALOG
    )
    with store.transaction() as session:
        assert stale.versions.rollout(session, "acme", JOURNEY_ID).weights() == {1: 100}
    fresh = journey_client(env.client, store, settings, CATALOG)
    rollouts = RolloutControl(env.client, store, fresh.versions)
    await rollouts.publish("acme", JOURNEY_ID, 2, policy=InflightPolicy.DRAIN, actor="test")
    who = new_customer_id()
    async with running_worker(env.client, settings, store, CATALOG):
        workflow_id = await enter(stale, "acme", who)
        result = await finished(env, workflow_id)
    assert (result.outcome, result.path) == (SUPERSEDED_OUTCOME, ["wait_click"])
    assert sends(store, workflow_id) == []
    newcomer = new_customer_id()
    assert await enter(fresh, "acme", newcomer) == enrollment_workflow_id(
        "acme", "rollout_group", newcomer
    )


async def test_a_customer_migrated_to_another_conflict_group_hears_its_new_versions_events(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """A migrated enrollment keeps v1's workflow id; v2's events reach it there."""
    env = time_skipping_env
    client = journey_client(env.client, store, settings, CATALOG)
    rollouts = RolloutControl(env.client, store, client.versions)
    who = new_customer_id()
    async with running_worker(env.client, settings, store, CATALOG):
        workflow_id = await enter(client, "acme", who)

        async def resting() -> bool:
            state = await client.get_enrollment("acme", who, JOURNEY_ID)
            return state.current_step == "wait_click" and state.wait_until is not None

        async def on_v2() -> bool:
            return (await client.get_enrollment("acme", who, JOURNEY_ID)).journey_version == 2

        await eventually(resting)
        await rollouts.publish("acme", JOURNEY_ID, 2, policy=InflightPolicy.MIGRATE, actor="test")
        await eventually(on_v2)
        opened = TrackedEvent(org_id="acme", customer_id=who, name="rollout_opened")
        assert (await client.track(opened)).signalled == [workflow_id]
        result = await finished(env, workflow_id)
    assert result.outcome == "opened_v2"
    assert sends(store, workflow_id) == []
