"""A worker process for the SIGKILL test: a stream of sends, killed and restarted.

Runs ``SendStreamWorkflow`` (one customer, one send per channel, in order) and
the real ``deliver_message`` activity with the providers the ``JOURNEYS_*``
environment configures. Prints ``ready`` once it polls. Activity timeouts are
short so that sends interrupted by a kill are retried quickly.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from journeys.contracts.activities import (
        DELIVER_MESSAGE_ACTIVITY,
        SendOutcome,
        SendRequest,
    )
    from journeys.errors import PERMANENT_DELIVERY_ERROR_TYPE
    from journeys.language.channels import Channel

WORKFLOW_NAME = "SendStreamWorkflow"
READY = "ready"


class SendStream(BaseModel):
    """One customer's sends: one per channel."""

    org_id: str
    customer_id: str
    channels: list[Channel]


@workflow.defn(name=WORKFLOW_NAME)
class SendStreamWorkflow:
    """Sends one message per channel, in order, and returns the statuses."""

    @workflow.run
    async def run(self, stream: SendStream) -> list[str]:
        statuses = []
        for channel in stream.channels:
            outcome = await workflow.execute_activity(
                DELIVER_MESSAGE_ACTIVITY,
                SendRequest(
                    org_id=stream.org_id,
                    customer_id=stream.customer_id,
                    journey_id="stream",
                    journey_version=1,
                    workflow_id=workflow.info().workflow_id,
                    enrollment_id=f"enr-{stream.customer_id}",
                    step_key="stream#1",
                    channel=channel,
                    template="churn_outreach",
                ),
                result_type=SendOutcome,
                start_to_close_timeout=timedelta(seconds=3),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=300),
                    maximum_interval=timedelta(seconds=1),
                    non_retryable_error_types=[PERMANENT_DELIVERY_ERROR_TYPE],
                ),
            )
            statuses.append(outcome.status.value)
        return statuses


async def main() -> None:
    from activities.message_delivery import MessageDeliveryActivities
    from journeys.settings import JourneySettings
    from journeys.store import Store
    from journeys.temporal_connection import connect_temporal
    from workers.journey_worker import build_providers

    settings = JourneySettings()
    store = Store(settings.resolved_database_url)
    client = await connect_temporal(settings)
    delivery = MessageDeliveryActivities(store, build_providers(settings, store), settings)
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[SendStreamWorkflow],
            activities=[delivery.deliver_message],
            activity_executor=executor,
            max_concurrent_activities=4,
            max_cached_workflows=0,
        )
        async with worker:
            print(READY, flush=True)
            await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
