"""The worker's Prometheus metrics count a known population; the README lists every name."""

from __future__ import annotations

import gc
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import start_http_server
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

import workers.metrics_interceptor  # noqa: F401  (registers the worker's delivery counters)
from activities.delivery_metrics import DeliveryMetrics
from activities.message_delivery import ATTEMPTS_METRIC, SENDS_METRIC
from journeys.analytics.prometheus_metrics import (
    DOCUMENTED_NAMES,
    REGISTRY,
    DeliveryCounters,
    count_routed,
)
from journeys.client import TrackResult
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
from tests.support.waiting import eventually
from workers.journey_worker import ACTIVITY_THREADS, build_worker
from workflows.journey_workflow import JourneyWorkflow

README = Path(__file__).resolve().parents[2] / "README.md"
WORKER_NAMES = [
    name
    for name in DOCUMENTED_NAMES
    if name not in ("journeys_events_routed_total", "journeys_alerts_active")
]
"""The documented names a worker serves (the API serves the other two)."""

TASK_FAILED = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
MEASURED_CATALOG = measured_catalog()


def missing_step_migration() -> RolloutDirective:
    """A migration to a step the version lacks: rollout changes refuse such a step map,
    but the signal is open to any Temporal client, and the workflow code fails on it."""
    return RolloutDirective(
        policy=InflightPolicy.MIGRATE,
        from_version=MEASURED.version,
        definition=MEASURED,
        step_map={"day_0": "no_such_step"},
    )


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
            handle = env.client.get_workflow_handle_for(JourneyWorkflow.run, started.workflow_id)
            await handle.signal(JourneyWorkflow.apply_rollout, missing_step_migration())
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


async def test_a_production_worker_counts_a_stuck_enrollment_once(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """A production worker retries a failing workflow task: the run is counted once, not per try."""
    client = journey_client(dev_env.client, store, settings, measured_catalog())
    customer = f"stuck-{uuid.uuid4().hex[:8]}"
    labels = {"journey_id": MEASURED.id, "journey_version": str(MEASURED.version)}

    def failed() -> float:
        return REGISTRY.get_sample_value("journeys_enrollments_failed_total", labels) or 0.0

    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(dev_env.client, settings, store, executor, catalog=MEASURED_CATALOG)
        async with worker:
            started = await client.enroll(ORG, customer, MEASURED.id)
            await resting_at(client, customer, MEASURED.id, "day_0")
            before = failed()
            handle = dev_env.client.get_workflow_handle_for(
                JourneyWorkflow.run, started.workflow_id
            )
            await handle.signal(JourneyWorkflow.apply_rollout, missing_step_migration())

            async def retried() -> bool:
                history = await handle.fetch_history()
                failures = [e for e in history.events if e.event_type == TASK_FAILED]
                return len(failures) >= 2

            await eventually(retried, seconds=60)
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            assert failed() - before == 1
            await handle.terminate(reason="test done")


def test_send_counters_never_go_down_when_a_worker_is_gone() -> None:
    """A worker's delivery metrics garbage-collected between two scrapes must not lower
    the process's counters (Prometheus would read the drop as a restart)."""
    counters = DeliveryCounters(SENDS_METRIC, ATTEMPTS_METRIC)
    gone = DeliveryMetrics()
    counters.add(gone)
    counters.add(gone)
    gone.count(SENDS_METRIC, "email", "sent")
    first = {s.labels["channel"]: s.value for f in counters.collect() for s in f.samples}
    del gone
    gc.collect()
    second = {s.labels["channel"]: s.value for f in counters.collect() for s in f.samples}
    assert first == {"email": 1.0}
    assert second == first


def test_an_event_signalled_in_vain_is_counted_as_missed() -> None:
    def missed() -> float:
        return REGISTRY.get_sample_value("journeys_events_routed_total", {"result": "missed"}) or 0

    before = missed()
    count_routed(TrackResult(event_id="e1", stored=True, missed=["journey:acme:j:c1"]))
    assert missed() == before + 1
