"""kill -9 of the worker, twice, in the middle of a stream of sends.

Real ``journeys worker`` processes on the dev server and a slow real webhook
receiver. A send cut by a kill is never made twice: it is retried once its
attempt times out (the send timeout), found reserved and recorded ``unknown``
with its reason; every other message is delivered exactly once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from journeys.client import TrackedEvent
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.api_process import EngineProcess
from tests.support.delivery import ORG, customer
from tests.support.fault_journeys import FAULT_CATALOG
from tests.support.fault_load import (
    POST_DEADLINE_SECONDS,
    Figures,
    all_finished,
    entry_events,
    fault_env,
    finish_events,
    reconcile,
    sends_recorded_unknown,
)
from tests.support.provider_servers import HttpProviderServer
from tests.support.temporal import journey_client
from tests.support.waiting import eventually
from workflows.journey_interpreter import SEND_TIMEOUT

CUSTOMERS = 40
KILLS = 2
PROVIDER_SECONDS = 0.2
FINISH_SECONDS = SEND_TIMEOUT.total_seconds() + 30
"""A send cut by a kill is tried again only after its attempt times out."""


async def test_kill_9_of_the_worker_mid_stream_never_sends_twice_and_records_every_send(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    receiver = HttpProviderServer(delay=PROVIDER_SECONDS).start()
    customers = [f"worker-kill-{n}" for n in range(CUSTOMERS)]
    for customer_id in customers:
        customer(store, customer_id)
    env = fault_env(settings, dev_env.client.service_client.config.target_host, receiver)
    worker = EngineProcess("worker", env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    client = journey_client(dev_env.client, store, settings, FAULT_CATALOG)
    figures = Figures("worker kill -9", kills=KILLS, events=2 * CUSTOMERS)
    events = [
        TrackedEvent(org_id=ORG, **event)
        for event in entry_events(customers) + finish_events(customers)
    ]
    try:
        await client.track_batch(events[:CUSTOMERS])
        await client.track_batch(events[CUSTOMERS:])
        for kill in range(1, KILLS + 1):

            async def sending(reached: int = kill * CUSTOMERS // (KILLS + 2)) -> bool:
                return len(receiver.requests) >= reached

            await eventually(sending, seconds=POST_DEADLINE_SECONDS)
            worker.kill()
            await asyncio.to_thread(worker.start)
        await all_finished(figures, dev_env.client, customers, FINISH_SECONDS)
        await reconcile(
            figures,
            temporal=dev_env.client,
            store=store,
            receiver=receiver,
            task_queue=settings.task_queue,
            customers=customers,
            posted={event.event_id for event in events},
        )
        unknown = sends_recorded_unknown(store)
    finally:
        worker.stop()
        receiver.stop()
    print(f"\n{figures.line()} received={len(receiver.requests)} recorded_unknown={unknown}")
    assert figures.problems == [], figures.problems[:10]
    assert (figures.losses, figures.duplicates) == (0, 0)
    assert figures.sends == CUSTOMERS
