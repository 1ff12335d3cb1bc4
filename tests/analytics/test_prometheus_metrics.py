"""The worker's Prometheus metrics count a known population; the README lists every name."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client import start_http_server
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

import workers.metrics_interceptor  # noqa: F401  (registers the worker's delivery counters)
from journeys.analytics.prometheus_metrics import DOCUMENTED_NAMES, REGISTRY
from journeys.contracts.enrollment import InflightPolicy, RolloutDirective
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import (
    MEASURED,
    measured_catalog,
    resting_at,
    walk_population,
)
from tests.support.network import free_port
from tests.support.prometheus_text import exposes, samples
from tests.support.temporal import journey_client, running_worker
from workflows.journey_workflow import JourneyWorkflow

README = Path(__file__).resolve().parents[2] / "README.md"
WORKER_NAMES = [
    name
    for name in DOCUMENTED_NAMES
    if name not in ("journeys_events_routed_total", "journeys_alerts_active")
]
"""The documented names a worker serves (the API serves the other two)."""


def documented() -> dict[str, str]:
    """Metric name -> who serves it, from the README's *Metrics* table."""
    section = README.read_text().split("### Metrics", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| (worker|API) \|", section, re.M))


def test_the_readme_documents_every_metric() -> None:
    table = documented()
    assert sorted(table) == sorted(DOCUMENTED_NAMES)
    assert sorted(n for n, by in table.items() if by == "worker") == sorted(WORKER_NAMES)


async def test_a_worker_counts_enrollments_sends_and_serves_them(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=REGISTRY)
    try:

        async def scrape() -> str:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/metrics")).text

        env = time_skipping_env
        client = journey_client(env.client, store, settings, measured_catalog())
        async with running_worker(env.client, settings, store):
            before = samples(await scrape())
            await walk_population(env, client)
            text = await scrape()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    after = samples(text)
    journey = (("journey_id", MEASURED.id), ("journey_version", "1"))

    def grew(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        key = (name, tuple(sorted(labels)))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("journeys_enrollments_started_total", journey) == 7
    assert grew("journeys_enrollments_completed_total", journey) == 4
    assert grew("journeys_enrollments_exited_total", (*journey, ("reason", "goal_reached"))) == 2
    assert grew("journeys_enrollments_exited_total", (*journey, ("reason", "exit_event"))) == 1
    channel = (("channel", "in_app"), ("status", "sent"))
    assert grew("journeys_sends_total", channel) == 9
    assert grew("journeys_provider_attempts_total", channel) == 9
    for name in WORKER_NAMES:
        assert exposes(text, name), name


async def test_a_failed_enrollment_is_counted_with_its_journey_and_version(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=REGISTRY)
    env = time_skipping_env
    client = journey_client(env.client, store, settings, measured_catalog())
    customer = f"failing-{uuid.uuid4().hex[:8]}"
    try:
        async with running_worker(env.client, settings, store), httpx.AsyncClient() as http:
            started = await client.enroll(ORG, customer, MEASURED.id)
            await resting_at(client, customer, MEASURED.id, "day_0")
            before = samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
            # A migration to a step the version lacks: rollout changes refuse such a step
            # map, but the signal is open to any Temporal client, and the run fails on it.
            directive = RolloutDirective(
                policy=InflightPolicy.MIGRATE,
                from_version=MEASURED.version,
                definition=MEASURED,
                step_map={"day_0": "no_such_step"},
            )
            handle = env.client.get_workflow_handle_for(JourneyWorkflow.run, started.workflow_id)
            await handle.signal(JourneyWorkflow.apply_rollout, directive)
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    labels = (("journey_id", MEASURED.id), ("journey_version", str(MEASURED.version)))
    key = ("journeys_enrollments_failed_total", tuple(sorted(labels)))
    assert samples(text)[key] - before.get(key, 0) == 1
    assert (
        f'journeys_enrollments_failed_total{{journey_id="{MEASURED.id}",journey_version="1"}}'
        in text
    )
