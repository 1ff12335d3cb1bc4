"""kill -9 of the API while a client posts events that enroll and signal.

A real ``journeys api`` and ``journeys worker`` on the dev server. The client
retries whatever got no 2xx with the same ``event_id``: every event reaches its
enrollment once, each enrollment sends once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

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
)
from tests.support.provider_servers import HttpProviderServer
from tests.support.waiting import eventually

CUSTOMERS = 50
KILLS = 2
FINISH_SECONDS = 40.0


async def kill_at(api: EngineProcess, poster: EventPoster, accepted: int) -> None:
    """SIGKILL the API once ``accepted`` events got a 2xx, then start it again."""

    async def reached() -> bool:
        return len(poster.accepted) >= accepted

    await eventually(reached, seconds=POST_DEADLINE_SECONDS)
    api.kill()
    await asyncio.to_thread(api.start)


async def test_kill_9_of_the_api_under_load_loses_and_duplicates_nothing(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    receiver = HttpProviderServer().start()
    customers = [f"api-kill-{n}" for n in range(CUSTOMERS)]
    for customer_id in customers:
        customer(store, customer_id)
    env = fault_env(settings, dev_env.client.service_client.config.target_host, receiver)
    worker = EngineProcess("worker", env, tmp_path / "worker.log")
    api = EngineProcess("api", env, tmp_path / "api.log")
    await asyncio.gather(asyncio.to_thread(worker.start), asyncio.to_thread(api.start))
    figures = Figures("api kill -9", kills=KILLS, events=2 * CUSTOMERS)
    try:
        async with httpx.AsyncClient(
            base_url=api.base_url, timeout=REQUEST_TIMEOUT_SECONDS
        ) as http:
            poster = EventPoster(http, issue_key(store, ORG))
            # One kill while customers enroll, one while their enrollments are signalled.
            await asyncio.gather(
                poster.post_all(entry_events(customers)), kill_at(api, poster, CUSTOMERS // 3)
            )
            await asyncio.gather(
                poster.post_all(finish_events(customers)),
                kill_at(api, poster, CUSTOMERS + CUSTOMERS // 2),
            )
        await all_finished(figures, dev_env.client, customers, FINISH_SECONDS)
        await reconcile(
            figures,
            temporal=dev_env.client,
            store=store,
            receiver=receiver,
            task_queue=settings.task_queue,
            customers=customers,
            posted=poster.accepted,
        )
    finally:
        api.stop()
        worker.stop()
        receiver.stop()
    print(f"\n{figures.line()} retried={poster.retries}")
    assert poster.retries, "the kills met no request in flight"
    assert figures.problems == [], figures.problems[:10]
    assert (figures.losses, figures.duplicates) == (0, 0)
    assert len(poster.accepted) == figures.events
    assert figures.sends == CUSTOMERS
