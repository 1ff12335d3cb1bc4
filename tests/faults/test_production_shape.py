"""The production shape without Docker: two APIs and two workers on PostgreSQL, killed in turn.

A fresh PostgreSQL database, the dev server, two ``journeys api`` processes
(serving as the ``journeys_api`` login role) taking load side by side and two
``journeys worker`` processes sharing the task queue. One API is killed with
SIGKILL while events come in, then one worker while enrollments start; each is
restarted. Nothing is lost or sent twice, and both workers do part of the work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tenancy import API_ROLE
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

CUSTOMERS = 60
FINISH_SECONDS = 45.0
SENT_LINE = b'"event": "message sent"'
"""What a worker logs (JSON) for each message it delivered."""


def sends_logged(process: EngineProcess) -> int:
    """Messages a worker process (all its restarts) logged as sent."""
    return process.log_path.read_bytes().count(SENT_LINE)


async def test_two_apis_and_two_workers_on_postgresql_survive_kill_9_one_at_a_time(
    dev_env: WorkflowEnvironment, pg_store: Store, settings: JourneySettings, tmp_path: Path
) -> None:
    receiver = HttpProviderServer(delay=0.05).start()
    customers = [f"shape-{n}" for n in range(CUSTOMERS)]
    for customer_id in customers:
        customer(pg_store, customer_id)
    pg_settings = settings.model_copy(update={"database_url": pg_store.url})
    env = fault_env(pg_settings, dev_env.client.service_client.config.target_host, receiver)
    api_env = {
        **env,
        "JOURNEYS_API_DATABASE_URL": make_url(pg_store.url)
        .set(username=API_ROLE)
        .render_as_string(hide_password=False),
    }
    workers = [EngineProcess("worker", env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    apis = [EngineProcess("api", api_env, tmp_path / f"api-{n}.log") for n in (1, 2)]
    await asyncio.gather(*(asyncio.to_thread(p.start) for p in workers + apis))
    figures = Figures("production shape (2 APIs, 2 workers, PostgreSQL)", kills=2)
    figures.events = 2 * CUSTOMERS
    key = issue_key(pg_store, ORG)
    try:
        async with (
            httpx.AsyncClient(base_url=apis[0].base_url, timeout=REQUEST_TIMEOUT_SECONDS) as one,
            httpx.AsyncClient(base_url=apis[1].base_url, timeout=REQUEST_TIMEOUT_SECONDS) as two,
        ):
            posters = [EventPoster(one, key), EventPoster(two, key)]
            halves = [customers[0::2], customers[1::2]]

            async def kill_first_api() -> None:
                async def loaded() -> bool:
                    return len(posters[0].accepted) >= CUSTOMERS // 6

                await eventually(loaded, seconds=POST_DEADLINE_SECONDS)
                apis[0].kill()
                await asyncio.to_thread(apis[0].start)

            await asyncio.gather(
                posters[0].post_all(entry_events(halves[0])),
                posters[1].post_all(entry_events(halves[1])),
                kill_first_api(),
            )
            # The enrollments just started are running their first tasks on both workers.
            workers[0].kill()
            await asyncio.to_thread(workers[0].start)
            await asyncio.gather(
                posters[0].post_all(finish_events(halves[0])),
                posters[1].post_all(finish_events(halves[1])),
            )
        await all_finished(figures, dev_env.client, customers, FINISH_SECONDS)
        await reconcile(
            figures,
            temporal=dev_env.client,
            store=pg_store,
            receiver=receiver,
            task_queue=settings.task_queue,
            customers=customers,
            posted=posters[0].accepted | posters[1].accepted,
        )
    finally:
        for process in apis + workers:
            process.stop()
        receiver.stop()
    shared = [sends_logged(worker) for worker in workers]
    retried = posters[0].retries + posters[1].retries
    print(f"\n{figures.line()} sends_per_worker={shared} retried={retried}")
    assert posters[0].retries, "the API's kill met no request in flight"
    assert figures.problems == [], figures.problems[:10]
    assert (figures.losses, figures.duplicates) == (0, 0)
    assert len(posters[0].accepted | posters[1].accepted) == figures.events
    assert figures.sends == CUSTOMERS
    assert sum(shared) == CUSTOMERS
    assert min(shared) > 0, f"one worker did all the sends: {shared}"
