"""The journey worker: runs the journey workflow and the engine's activities."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.enrollment_records import EnrollmentRecordActivities
from activities.message_delivery import MessageDeliveryActivities
from activities.providers import ChannelProvider, InAppProvider, OutboxProvider
from journeys.language.channels import Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.structured_logs import configure_logging
from journeys.temporal_connection import connect_temporal
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

ACTIVITY_THREADS = 32
"""Threads for the (synchronous, I/O-bound) activities of one worker."""


def build_providers(settings: JourneySettings) -> dict[Channel, ChannelProvider]:
    """The provider of each channel: in-app in the store, the rest to the offline outbox."""
    outbox = OutboxProvider(settings.data_dir / "outbox.jsonl")
    providers: dict[Channel, ChannelProvider] = {channel: outbox for channel in Channel}
    providers[Channel.IN_APP] = InAppProvider()
    return providers


def build_worker(
    client: Client,
    settings: JourneySettings,
    store: Store,
    executor: ThreadPoolExecutor,
    providers: dict[Channel, ChannelProvider] | None = None,
    fail_workflows_on_errors: bool = False,
) -> Worker:
    """A worker polling the journey task queue with every workflow and activity.

    Args:
        client: Temporal client with the pydantic data converter.
        settings: Settings (task queue, data folder).
        store: The store.
        executor: Threads for the synchronous activities.
        providers: Channel providers; by default :func:`build_providers`.
        fail_workflows_on_errors: Fail the workflow (instead of retrying the
            workflow task forever) on any error in workflow code; tests use
            it so that a determinism bug fails the test.
    """
    delivery = MessageDeliveryActivities(store, providers or build_providers(settings))
    records = EnrollmentRecordActivities(store)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[JourneyWorkflow],
        activities=[delivery.deliver_message, records.record_enrollment],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        workflow_failure_exception_types=[Exception] if fail_workflows_on_errors else [],
    )


async def run_worker(settings: JourneySettings) -> None:
    """Connect, migrate the store and run a worker until cancelled."""
    store = Store(settings.resolved_database_url)
    await asyncio.to_thread(store.migrate)
    client = await connect_temporal(settings)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, settings, store, executor)
        log.info("worker started", task_queue=settings.task_queue)
        try:
            await worker.run()
        finally:
            store.dispose()


def main() -> None:
    """Entry point of ``python -m workers.journey_worker``."""
    settings = JourneySettings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
