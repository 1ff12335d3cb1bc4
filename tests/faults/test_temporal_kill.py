"""kill -9 of the Temporal dev server while events come in and while messages go out.

A private dev server on its own SQLite file and port, restarted on both; a real
``journeys api`` and ``journeys worker``. Events the API stored but could not
route (answered 503, not retried) are routed by the worker's sweep once
Temporal is back; sends cut by the outage are delivered once, or recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
from temporalio.client import Client

from journeys.devtools.dev_stack import TemporalDevServer
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.api_process import EngineProcess, issue_key
from tests.support.delivery import ORG, customer
from tests.support.fault_load import (
    POST_DEADLINE_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    EventPoster,
    Figures,
    all_finished,
    entry_events,
    fault_env,
    finish_events,
    reconcile,
    unrouted_count,
)
from tests.support.network import free_port
from tests.support.provider_servers import HttpProviderServer
from tests.support.waiting import eventually
from workflows.journey_interpreter import SEND_TIMEOUT

CUSTOMERS = 40
KILLS = 2
INGEST_OUTAGE_SECONDS = 12.0
"""Longer than the Temporal client's own retries (about 10 s): the API answers 503."""
SEND_OUTAGE_SECONDS = 1.0
SWEEP_SECONDS = 4.0
"""Slow enough that the client's next events mostly arrive before the sweep routes the 503s."""
FINISH_SECONDS = SEND_TIMEOUT.total_seconds() + 30
"""A send whose completion the outage swallowed is tried again after its timeout, not resent."""


async def kill_and_restart(server: TemporalDevServer, outage_seconds: float) -> Client:
    """SIGKILL the dev server, leave it down a moment, start it on the same file and port."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    await server.wait_exited()
    await server.stop()
    await asyncio.sleep(outage_seconds)
    return await server.start()


async def test_kill_9_of_temporal_during_ingest_and_sends_loses_and_duplicates_nothing(
    settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    temporal_settings = JourneySettings(
        data_dir=tmp_path / "temporal",
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        task_queue=settings.task_queue,
    )
    server = TemporalDevServer(temporal_settings)
    temporal = await server.start()
    receiver = HttpProviderServer(delay=0.1).start()
    customers = [f"temporal-kill-{n}" for n in range(CUSTOMERS)]
    for customer_id in customers:
        customer(store, customer_id)
    env = fault_env(
        settings, temporal_settings.temporal_address, receiver, sweep_seconds=SWEEP_SECONDS
    )
    worker = EngineProcess("worker", env, tmp_path / "worker.log")
    api = EngineProcess("api", env, tmp_path / "api.log")
    await asyncio.gather(asyncio.to_thread(worker.start), asyncio.to_thread(api.start))
    figures = Figures("temporal kill -9", kills=KILLS, events=2 * CUSTOMERS)
    try:
        async with httpx.AsyncClient(
            base_url=api.base_url, timeout=REQUEST_TIMEOUT_SECONDS
        ) as http:
            # A client that gives up on 503: what it sent in the outage is left to the sweep.
            poster = EventPoster(http, issue_key(store, ORG), retry_unavailable=False)

            async def kill_during_ingest() -> Client:
                async def enrolling() -> bool:
                    return len(poster.accepted) >= CUSTOMERS // 3

                await eventually(enrolling, seconds=POST_DEADLINE_SECONDS)
                return await kill_and_restart(server, INGEST_OUTAGE_SECONDS)

            _, temporal = await asyncio.gather(
                poster.post_all(entry_events(customers)), kill_during_ingest()
            )

            # Straight on with each customer's next event, as the client gave up on the 503s:
            # a customer's start still unrouted is routed before their finish.
            async def kill_during_sends() -> Client:
                async def sending() -> bool:
                    return len(receiver.requests) >= CUSTOMERS // 3

                await eventually(sending, seconds=POST_DEADLINE_SECONDS)
                return await kill_and_restart(server, SEND_OUTAGE_SECONDS)

            _, temporal = await asyncio.gather(
                poster.post_all(finish_events(customers)), kill_during_sends()
            )

        async def swept() -> bool:
            return unrouted_count(store) == 0

        await eventually(swept, seconds=POST_DEADLINE_SECONDS)
        await all_finished(figures, temporal, customers, FINISH_SECONDS)
        await reconcile(
            figures,
            temporal=temporal,
            store=store,
            receiver=receiver,
            task_queue=settings.task_queue,
            customers=customers,
            posted=poster.accepted | poster.left_unrouted,
        )
    finally:
        api.stop()
        worker.stop()
        await server.stop()
        receiver.stop()
    print(f"\n{figures.line()} answered_503={len(poster.left_unrouted)} retried={poster.retries}")
    assert poster.left_unrouted, "no event met the outage: the sweep was not put to the test"
    assert figures.problems == [], figures.problems[:10]
    assert (figures.losses, figures.duplicates) == (0, 0)
    assert len(poster.accepted | poster.left_unrouted) == figures.events
    assert figures.sends == CUSTOMERS
