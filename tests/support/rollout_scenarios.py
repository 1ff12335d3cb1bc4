"""Rollout scenarios of ``rollout_demo``: retiring v1 under a resting enrollment, and a
change saved while another process makes one.

The replay gate records the drained and the migrated enrollment's history with
:func:`retired_at_rest` (``tests/replay/record_histories.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.enrollment import InflightPolicy
from journeys.routing.live_versions import LiveVersions
from journeys.routing.rollout_control import RolloutControl
from journeys.routing.rollouts import RolloutAction, plan_publish
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.journey_versions import save_rollout
from tests.support.network import new_customer_id
from tests.support.postgres import lock_waiters
from tests.support.rollout_journeys import CLICK_WAIT, ENTRY_EVENT, JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.temporal import finished, journey_client, running_worker
from tests.support.waiting import eventually

ORG = "acme"

Outcome = TypeVar("Outcome")


async def enter(client: JourneyClient, org: str, who: str) -> str:
    """Track the entry event of ``rollout_demo`` and return the one enrollment it started."""
    result = await client.track(TrackedEvent(org_id=org, customer_id=who, name=ENTRY_EVENT))
    assert len(result.enrolled) == 1, result
    return result.enrolled[0]


async def retired_at_rest(
    env: WorkflowEnvironment, store: Store, settings: JourneySettings, policy: InflightPolicy
) -> WorkflowHistory:
    """Rest a v1 customer in ``wait_more``, publish v2 at 100% under ``policy``, run to the end.

    The customer views a page before the change, so a migrated enrollment carries
    an event count into v2 (and ends ``engaged_v2``); a drained one ends
    ``superseded``.

    Returns:
        The enrollment's workflow history (one run: a migration does not continue as new).
    """
    catalog = Catalog(ROLLOUT_JOURNEYS)
    client = journey_client(env.client, store, settings, catalog)
    who = new_customer_id()
    async with running_worker(env.client, settings, store, catalog):
        workflow_id = await enter(client, ORG, who)
        await env.sleep(CLICK_WAIT + timedelta(hours=1))

        async def resting() -> bool:
            state = await client.get_enrollment(ORG, who, JOURNEY_ID)
            return state.current_step == "wait_more" and state.wait_until is not None

        await eventually(resting, seconds=60)
        await client.track(TrackedEvent(org_id=ORG, customer_id=who, name="rollout_viewed"))
        rollouts = RolloutControl(env.client, store, client.versions)
        change = await rollouts.publish(ORG, JOURNEY_ID, 2, policy=policy, actor="recorder")
        assert change.told == 1, change
        await finished(env, workflow_id)
        return await env.client.get_workflow_handle(workflow_id).fetch_history()


async def saved_meanwhile(store: Store, org: str, change: Awaitable[Outcome]) -> Outcome:
    """Run another process's rollout ``change`` while v2's publish at 10% is being saved.

    The publish (by ``ana``) commits once ``change`` has read the rollout and waits
    to write (PostgreSQL only: its sessions show who waits for a lock).
    """
    catalog = Catalog(ROLLOUT_JOURNEYS)
    with store.transaction() as session:
        current = LiveVersions(catalog, 0).rollout(session, org, JOURNEY_ID)
        save_rollout(
            session,
            org,
            plan_publish(current, 2, 10, InflightPolicy.PIN).rollout,
            action=RolloutAction.PUBLISH,
            policy=InflightPolicy.PIN,
            actor="ana",
            reason="canary",
            revision=0,
        )
        pending = asyncio.ensure_future(change)

        async def waits_to_write() -> bool:
            return lock_waiters(store.engine) == 1

        await eventually(waits_to_write, seconds=60)
    return await pending
