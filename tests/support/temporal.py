"""Running the journey worker and client against a test Temporal server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys.catalog import Catalog, default_catalog
from journeys.client import JourneyClient
from journeys.contracts.enrollment import EnrollmentResult
from journeys.settings import JourneySettings
from journeys.store import Store
from workers.journey_worker import ACTIVITY_THREADS, build_worker
from workflows.journey_workflow import JourneyWorkflow

RESULT_POLLS = 6
"""History long-polls (about 20 s each on the test server) to wait for a result."""


@asynccontextmanager
async def running_worker(
    client: Client, settings: JourneySettings, store: Store, catalog: Catalog | None = None
) -> AsyncIterator[Worker]:
    """Run the journey worker for the duration of the block, in the workflow sandbox.

    Production workers run without it (``workflow_sandbox``); tests run the
    interpreter inside it, so that non-deterministic workflow code fails them.
    ``catalog`` is what its transition steps enroll in (the shipped one by default).
    """
    sandboxed = settings.model_copy(update={"workflow_sandbox": True})
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(
            client, sandboxed, store, executor, fail_workflows_on_errors=True, catalog=catalog
        )
        async with worker:
            yield worker


def journey_client(
    client: Client, store: Store, settings: JourneySettings, catalog: Catalog | None = None
) -> JourneyClient:
    """A JourneyClient over the given Temporal client and store."""
    return JourneyClient(client, store, catalog or default_catalog(), settings)


async def finished(env: WorkflowEnvironment, workflow_id: str) -> EnrollmentResult:
    """Wait for an enrollment's result, letting the time-skipping server skip its timers.

    Only handles returned by ``start_workflow`` skip time on their own; enrollments
    started through the JourneyClient (signal-with-start) are awaited here.
    """
    handle = env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
    if not env.supports_time_skipping:
        return await handle.result()
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        for _ in range(RESULT_POLLS):
            try:
                return await handle.result()
            except RuntimeError as err:
                # The test server ends a history long-poll after ~20 s without a
                # page token; on a loaded machine the run may simply need longer.
                if "No completion event found" not in str(err):
                    raise
        raise AssertionError(f"{workflow_id} did not finish within {RESULT_POLLS} long-polls")
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
