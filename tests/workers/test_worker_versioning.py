"""Worker Versioning on the dev server: ramp a new worker build and roll it back.

Two builds of the worker poll one task queue in one deployment. A waiting
enrollment runs its next workflow task on whichever build is current
(auto-upgrade), so making the new build current moves it there, and making the
old one current again moves it back.
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.common import VersioningBehavior
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import TrackedEvent
from journeys.errors import ConfigurationError
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.network import new_customer_id
from tests.support.rollout_journeys import ENTRY_EVENT, JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workers.journey_worker import deployment_config

CATALOG = Catalog(ROLLOUT_JOURNEYS)


async def make_current(client: Client, deployment: str, build_id: str) -> None:
    """``temporal worker deployment set-current-version`` (once the build has polled)."""
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace, deployment_name=deployment, build_id=build_id
    )

    async def accepted() -> bool:
        try:
            await client.workflow_service.set_worker_deployment_current_version(request)
        except RPCError:
            return False
        return True

    await eventually(accepted, seconds=30)


async def build_of(client: Client, workflow_id: str) -> tuple[str, int]:
    """(build id, versioning behaviour) the enrollment last ran a workflow task on."""
    described = await client.get_workflow_handle(workflow_id).describe()
    info = described.raw_description.workflow_execution_info.versioning_info
    return info.deployment_version.build_id, info.behavior


async def test_a_new_worker_build_is_ramped_and_rolled_back(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    deployment = f"journeys-{uuid.uuid4().hex[:8]}"
    old = settings.model_copy(
        update={"worker_deployment_name": deployment, "worker_build_id": "b1"}
    )
    new = old.model_copy(update={"worker_build_id": "b2"})
    client = journey_client(dev_env.client, store, settings, CATALOG)
    who = new_customer_id()
    async with running_worker(dev_env.client, old, store, CATALOG):
        await make_current(dev_env.client, deployment, "b1")
        started = await client.track(TrackedEvent(org_id="acme", customer_id=who, name=ENTRY_EVENT))
        workflow_id = started.enrolled[0]

        async def on(build_id: str) -> bool:
            return (await build_of(dev_env.client, workflow_id))[0] == build_id

        await eventually(lambda: on("b1"))
        sent = 0

        async def next_task_on(build_id: str) -> bool:
            """Send an event (a workflow task) and see which build ran it.

            The deployment's routing reaches the task queue's partitions within moments.
            """
            nonlocal sent
            sent += 1
            viewed = TrackedEvent(org_id="acme", customer_id=who, name="rollout_viewed")
            await client.track(viewed)
            return await on(build_id)

        async with running_worker(dev_env.client, new, store, CATALOG):
            await make_current(dev_env.client, deployment, "b2")
            await eventually(lambda: next_task_on("b2"), seconds=30)
            await make_current(dev_env.client, deployment, "b1")
            await eventually(lambda: next_task_on("b1"), seconds=30)
            state = await client.get_enrollment("acme", who, JOURNEY_ID)
            assert state.event_counts["rollout_viewed"] == sent
            assert (await build_of(dev_env.client, workflow_id))[1] == (
                VersioningBehavior.AUTO_UPGRADE.value
            )
            await client.exit("acme", who, JOURNEY_ID, "test over")


def test_a_deployment_needs_a_build_id(settings: JourneySettings) -> None:
    assert deployment_config(settings) is None
    named = settings.model_copy(update={"worker_deployment_name": "journeys"})
    with pytest.raises(ConfigurationError, match="worker_build_id"):
        deployment_config(named)
