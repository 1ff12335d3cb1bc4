"""The health check runs from a Temporal Schedule that outlives the worker that served it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys.analytics.health_schedule import ensure_health_schedule
from journeys.catalog import Catalog
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.journeys import HealthAlert
from tests.support.health_data import record_decisions
from tests.support.measured_population import MEASURED
from tests.support.provider_servers import HttpProviderServer
from tests.support.waiting import eventually
from workers.journey_worker import ACTIVITY_THREADS, build_worker

ORG = "acme"


@asynccontextmanager
async def health_worker(
    client: Client, settings: JourneySettings, store: Store
) -> AsyncIterator[Worker]:
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(
            client,
            settings,
            store,
            executor,
            fail_workflows_on_errors=True,
            catalog=Catalog([MEASURED]),
        )
        async with worker:
            yield worker


async def test_the_schedule_survives_a_worker_restart(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    slack = HttpProviderServer().start()
    settings = settings.model_copy(
        update={"alert_slack_webhook_url": f"{slack.url}/hook", "workflow_sandbox": True}
    )
    client = dev_env.client
    record_decisions(
        store, ORG, MEASURED.id, datetime.now(UTC) - timedelta(days=1), ok=90, failed=10
    )
    schedule_id = await ensure_health_schedule(client, settings)
    assert await ensure_health_schedule(client, settings) == schedule_id  # idempotent
    handle = client.get_schedule_handle(schedule_id)

    def alerts() -> list[HealthAlert]:
        with store.transaction() as session:
            return list(session.scalars(select(HealthAlert)))

    async def raised() -> bool:
        return len(alerts()) == 1 and len(slack.requests) == 1

    async def check_finished() -> bool:
        # The schedule skips a trigger while its last check still runs (overlap SKIP).
        return not (await handle.describe()).info.running_actions

    async def resolved() -> bool:
        rows = alerts()
        return len(rows) == 1 and rows[0].resolved_at is not None and len(slack.requests) == 2

    try:
        async with health_worker(client, settings, store):
            await handle.trigger()
            await eventually(raised, seconds=120)
            await eventually(check_finished, seconds=120)
        assert "AI decision engine error rate: 10.0%" in slack.requests[0].json()["text"]

        # The worker is gone; the schedule is still there, in the server.
        described = await handle.describe()
        assert described.schedule.state.paused is False
        record_decisions(
            store, ORG, MEASURED.id, datetime.now(UTC) - timedelta(hours=1), ok=1000, failed=0
        )
        async with health_worker(client, settings, store):
            await handle.trigger()
            await eventually(resolved, seconds=120)
        assert "[RESOLVED]" in slack.requests[1].json()["text"]
        assert len((await handle.describe()).info.recent_actions) >= 2
    finally:
        await handle.delete()
        slack.stop()
