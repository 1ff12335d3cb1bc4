"""Ingress throughput: the engine against a raw Temporal baseline, and ``/v1/track`` load.

One Temporal dev server (SQLite file, WAL journal, ``synchronous=off``) serves,
in one run:

(a) the baseline: N bare workflows of the benchmark journey's shape, started by
    signal-with-start on an entry event, waiting for a second event, running one
    activity, completing;
(b) the engine: N customers enrolled in the benchmark journey by an entry event
    through ``JourneyClient.track`` (store write, re-entry check,
    signal-with-start), a second event routed to each (store write + signal), a
    real in-app send through the store (consent, frequency caps, idempotency key,
    communication log), completion;
(c) ``/v1/track`` on loopback against a ``journeys api`` process, with an httpx
    client at fixed concurrency: events no journey listens to, and events that
    signal a running enrollment (of a listener journey that counts them later);
    every response is checked to have signalled, or not, as intended.

The store is a SQLite file in the run's folder (the embedded default) unless
``--database-url`` names another (an empty PostgreSQL database, say).

Each worker runs in a process of its own (``python -m bench.baseline_workflow``,
``journeys worker``), as in production; this process is the load generator.
The engine's worker runs as configured by default (without the workflow
sandbox); the baseline's runs in the sandbox, the SDK's default, unless
``--unsandboxed-baseline``. Latencies are measured under the run's own
saturating load (every event of a phase is sent as fast as the concurrency
allows), so they include queueing. Figures are printed and saved to
``bench/results/throughput*.json``.

Usage: ``.venv/bin/python -m bench.throughput [--customers 2000] [--requests 2000]
[--database-url URL] [--unsandboxed-baseline]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.baseline_workflow import BaselineWorkflow
from bench.bench_journeys import BENCH_CATALOG, BENCH_JOURNEY, LISTENER_JOURNEY
from journeys.client import JourneyClient, TrackedEvent, TrackResult
from journeys.contracts import search_attributes
from journeys.devtools.temporal_binaries import temporal_cli_path
from journeys.language import JourneyDefinition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.enrollments import Enrollment
from journeys.store.tenancy import create_api_key
from journeys.structured_logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "throughput.json"
ORG = "bench"
BASELINE_QUERY = "WorkflowType='BaselineWorkflow'"
COMPLETED = "ExecutionStatus='Completed'"
CONCURRENCY = 64
"""Calls in flight at once from the benchmark's clients."""

ENGINE_QUERY = f"JourneyId='{BENCH_JOURNEY.id}'"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def bounded(calls: Sequence[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    """Run the calls with at most ``limit`` in flight; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def wait_for_count(client: Client, query: str, expected: int, seconds: float) -> None:
    """Until visibility counts ``expected`` workflows matching ``query``."""
    deadline = time.monotonic() + seconds
    while (await client.count_workflows(query)).count < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{query!r} did not reach {expected} in {seconds}s")
        await asyncio.sleep(0.25)


async def wait_for_enrollments(
    store: Store, journey_id: str, expected: int, seconds: float
) -> None:
    """Until the store holds ``expected`` enrollment rows of the journey."""

    def count() -> int:
        with store.transaction() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        Enrollment.org_id == ORG, Enrollment.journey_id == journey_id
                    )
                )
                or 0
            )

    deadline = time.monotonic() + seconds
    while await asyncio.to_thread(count) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expected} enrollments did not begin in {seconds}s")
        await asyncio.sleep(0.25)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from ``/proc`` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_running(fragment: str) -> int:
    """The pid of the process whose command line contains ``fragment``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if fragment.encode() in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no process runs with {fragment!r}")


class CpuMeter:
    """CPU seconds used by named processes since the meter was made.

    Args:
        pids: The processes, by role (dev server, worker, load generator).
    """

    def __init__(self, pids: dict[str, int]):
        self._pids = pids
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self._pids.items()}

    def used(self, per: int) -> dict[str, Any]:
        """Seconds per process so far, their total, and the total per item in ms."""
        now = self._read()
        used = {name: round(now[name] - self._start[name], 1) for name in self._pids}
        total = sum(now[name] - self._start[name] for name in self._pids)
        return {**used, "total": round(total, 1), "ms_per_enrollment": round(total / per * 1000, 1)}


def rates(n: int, starts: float, routed: float, completed: float) -> dict[str, float]:
    """Per-second rates from phase durations."""
    return {
        "starts_per_s": round(n / starts, 1),
        "events_routed_per_s": round(n / routed, 1),
        "completions_per_s": round(n / completed, 1),
    }


def latency(values: Sequence[float]) -> dict[str, float]:
    """p50/p99 in milliseconds."""
    return {
        "event_to_send_p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "event_to_send_p99_ms": round(percentile(values, 0.99) * 1000, 1),
    }


async def enter(
    journeys: JourneyClient, customer: str, journey: JourneyDefinition = BENCH_JOURNEY
) -> TrackResult:
    """The entry event of a benchmark journey, through the client."""
    assert journey.entry is not None
    return await journeys.track(
        TrackedEvent(org_id=ORG, customer_id=customer, name=journey.entry.event)
    )


@asynccontextmanager
async def worker_process(
    client: Client,
    task_queue: str,
    command: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
) -> AsyncIterator[int]:
    """Run a worker in a process of its own until the block ends; waits until it polls.

    Its output goes to ``log``.

    Yields:
        The worker's pid.
    """
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        request = DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        deadline = time.monotonic() + 120
        while not (await client.workflow_service.describe_task_queue(request)).pollers:
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {command} did not start polling")
            await asyncio.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=60)


async def run_baseline(
    client: Client, n: int, server_pid: int, logs: Path, sandboxed: bool = True
) -> dict[str, Any]:
    """(a) Bare workflows of the same shape, their worker in a process of its own."""
    task_queue = f"baseline-{uuid.uuid4().hex[:8]}"
    customers = [f"b-{i}" for i in range(n)]
    address = client.service_client.config.target_host
    mode = "sandboxed" if sandboxed else "unsandboxed"
    command = [sys.executable, "-m", "bench.baseline_workflow", address, task_queue, mode]

    async def entry_event(customer: str) -> WorkflowHandle[Any, Any]:
        return await client.start_workflow(
            BaselineWorkflow.run,
            customer,
            id=f"baseline:{customer}",
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            start_signal="record_event",
            start_signal_args=["bench_started"],
        )

    sent_at: dict[str, float] = {}

    async def second_event(customer: str, handle: WorkflowHandle[Any, Any]) -> None:
        sent_at[customer] = time.time()
        await handle.signal("record_event", "bench_clicked")

    async with worker_process(
        client, task_queue, command, logs / "baseline-worker.log"
    ) as worker_pid:
        cpu = CpuMeter(
            {"dev_server": server_pid, "worker": worker_pid, "load_generator": os.getpid()}
        )
        began = time.perf_counter()
        handles: list[WorkflowHandle[Any, Any]] = await bounded(
            [functools.partial(entry_event, c) for c in customers], CONCURRENCY
        )
        starts = time.perf_counter() - began
        await wait_for_count(client, f"{BASELINE_QUERY} AND JourneyStep='waiting'", n, 600)
        began = time.perf_counter()
        await bounded(
            [
                functools.partial(second_event, c, h)
                for c, h in zip(customers, handles, strict=True)
            ],
            CONCURRENCY,
        )
        routed = time.perf_counter() - began
        await wait_for_count(client, f"{BASELINE_QUERY} AND {COMPLETED}", n, 900)
        completed = time.perf_counter() - began
        cpu_used = cpu.used(n)
        send_times: list[float] = await bounded(
            [functools.partial(h.result) for h in handles], CONCURRENCY
        )
    delays = [at - sent_at[c] for c, at in zip(customers, send_times, strict=True)]
    return {**rates(n, starts, routed, completed), **latency(delays), "cpu_seconds": cpu_used}


async def run_engine(
    client: Client, settings: JourneySettings, store: Store, n: int, cpu: CpuMeter
) -> dict[str, Any]:
    """(b) The engine through the JourneyClient; its worker is ``journeys worker``."""
    journeys = JourneyClient(client, store, BENCH_CATALOG, settings)
    customers = [f"e-{i}" for i in range(n)]
    sent_at: dict[str, float] = {}

    async def second_event(customer: str) -> None:
        sent_at[customer] = time.time()
        routed = await journeys.track(
            TrackedEvent(org_id=ORG, customer_id=customer, name="bench_clicked")
        )
        assert routed.signalled, f"{customer}: the click reached no enrollment"

    began = time.perf_counter()
    results = await bounded([functools.partial(enter, journeys, c) for c in customers], CONCURRENCY)
    starts = time.perf_counter() - began
    assert all(r.enrolled for r in results), "an entry event enrolled nobody"
    # Enrollments carry their search attributes from the start, so wait for the store's
    # rows, written by each enrollment's first workflow task, as the baseline waits for
    # the upsert of its first task.
    await wait_for_enrollments(store, BENCH_JOURNEY.id, n, 600)
    began = time.perf_counter()
    await bounded([functools.partial(second_event, c) for c in customers], CONCURRENCY)
    routed_time = time.perf_counter() - began
    await wait_for_count(client, f"{ENGINE_QUERY} AND {COMPLETED}", n, 900)
    completed = time.perf_counter() - began
    cpu_used = cpu.used(n)
    with store.transaction() as session:
        converted = session.scalar(
            select(func.count()).where(
                Enrollment.org_id == ORG,
                Enrollment.journey_id == BENCH_JOURNEY.id,
                Enrollment.outcome == "converted",
            )
        )
        rows = session.execute(
            select(CommunicationLog.customer_id, CommunicationLog.created_at).where(
                CommunicationLog.org_id == ORG, CommunicationLog.journey_id == BENCH_JOURNEY.id
            )
        ).all()
    assert converted == n, f"{converted} of {n} enrollments converted"
    sends = {customer: at.timestamp() for customer, at in rows}
    assert len(sends) == n, f"{len(sends)} sends for {n} customers"
    delays = [sends[c] - sent_at[c] for c in customers]
    return {
        **rates(n, starts, routed_time, completed),
        **latency(delays),
        "cpu_seconds": cpu_used,
    }


async def http_load(
    url: str, key: str, bodies: Sequence[dict[str, Any]], concurrency: int
) -> dict[str, Any]:
    """POST every body to /v1/track; requests/s, latency percentiles, events that signalled."""
    timings: list[float] = []
    statuses: dict[int, int] = {}
    signalled = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=60
    ) as http:

        async def one(body: dict[str, Any]) -> None:
            began = time.perf_counter()
            response = await http.post("/v1/track", json=body)
            timings.append(time.perf_counter() - began)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200 and response.json()["signalled"]:
                nonlocal signalled
                signalled += 1

        began = time.perf_counter()
        await bounded([functools.partial(one, b) for b in bodies], concurrency)
        elapsed = time.perf_counter() - began
    return {
        "requests": len(bodies),
        "concurrency": concurrency,
        "requests_per_s": round(len(bodies) / elapsed, 1),
        "p50_ms": round(percentile(timings, 0.50) * 1000, 1),
        "p99_ms": round(percentile(timings, 0.99) * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "signalled": signalled,
    }


def process_env(settings: JourneySettings, address: str, **extra: str) -> dict[str, str]:
    """Environment of a ``journeys`` process using the benchmark's settings."""
    env = dict(os.environ)
    env.update(
        {
            "JOURNEYS_DATABASE_URL": settings.resolved_database_url,
            "JOURNEYS_DATA_DIR": str(settings.data_dir),
            "JOURNEYS_TEMPORAL_ADDRESS": address,
            "JOURNEYS_TASK_QUEUE": settings.task_queue,
            "JOURNEYS_LOG_LEVEL": "warning",
            "JOURNEYS_LOG_FORMAT": "json",
            "JOURNEYS_CATALOG": "bench.bench_journeys:BENCH_CATALOG",
            **extra,
        }
    )
    return env


async def run_http(
    client: Client, settings: JourneySettings, store: Store, requests: int, address: str
) -> dict[str, Any]:
    """(c) ``/v1/track`` through a ``journeys api`` process on loopback."""
    with store.transaction() as session:
        key = create_api_key(session, org_id=ORG, name="bench").key
    port = _free_port()
    env = process_env(settings, address, JOURNEYS_API_PORT=str(port))
    with (settings.data_dir / "api.log").open("ab") as output:
        api = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "journeys.cli", "api"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    journeys = JourneyClient(client, store, BENCH_CATALOG, settings)
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(600):
                try:
                    if (await probe.get(f"{url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        nothing = [
            {"customer_id": f"h-{i % 500}", "name": "page_viewed", "event_id": f"pv-{i}"}
            for i in range(requests)
        ]
        no_route = await http_load(url, key, nothing, CONCURRENCY)
        assert no_route["signalled"] == 0, f"page views signalled: {no_route}"
        running = [f"s-{i}" for i in range(200)]
        await bounded(
            [functools.partial(enter, journeys, c, LISTENER_JOURNEY) for c in running],
            CONCURRENCY,
        )
        await wait_for_enrollments(store, LISTENER_JOURNEY.id, len(running), 600)
        pings = [
            {"customer_id": running[i % len(running)], "name": "bench_ping"}
            for i in range(requests)
        ]
        signalling = await http_load(url, key, pings, CONCURRENCY)
        assert signalling["signalled"] == requests, f"pings signalled: {signalling}"
    finally:
        api.terminate()
        await asyncio.wait_for(api.wait(), timeout=30)
    return {"no_route": no_route, "signal_running": signalling}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def main(
    customers: int, requests: int, database_url: str, baseline_sandboxed: bool = True
) -> dict[str, Any]:
    """Run the three parts on one dev server; returns the figures."""
    folder = Path(tempfile.mkdtemp(prefix="journeys-bench-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        dev_server_database_filename=str(folder / "temporal.db"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL_KEYS,
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=off",
            "--log-level",
            "error",
        ],
    )
    settings = JourneySettings(
        data_dir=folder / "data",
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=database_url or f"sqlite:///{folder / 'store.db'}",
        log_level="warning",
    )
    configure_logging(settings)
    store = Store.from_settings(settings)
    store.migrate()
    server_pid = process_running(str(folder / "temporal.db"))
    store_kind = store.dialect
    try:
        print(f"baseline: {customers} workflows ...", flush=True)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        baseline = await run_baseline(
            env.client, customers, server_pid, settings.data_dir, baseline_sandboxed
        )
        print(json.dumps(baseline), flush=True)
        address = env.client.service_client.config.target_host
        worker = [sys.executable, "-m", "journeys.cli", "worker"]
        async with worker_process(
            env.client,
            settings.task_queue,
            worker,
            settings.data_dir / "worker.log",
            process_env(settings, address),
        ) as worker_pid:
            print(f"engine: {customers} customers ...", flush=True)
            cpu = CpuMeter(
                {"dev_server": server_pid, "worker": worker_pid, "load_generator": os.getpid()}
            )
            engine = await run_engine(env.client, settings, store, customers, cpu)
            print(json.dumps(engine), flush=True)
            print(f"/v1/track: {requests} requests per kind ...", flush=True)
            http = await run_http(env.client, settings, store, requests, address)
    finally:
        store.dispose()
        await env.shutdown()
    ratio = {
        name: round(engine[name] / baseline[name], 2)
        for name in ("starts_per_s", "events_routed_per_s", "completions_per_s")
    }
    command = f".venv/bin/python -m bench.throughput --customers {customers} --requests {requests}"
    if database_url:
        command += f" --database-url {database_url}"
    if not baseline_sandboxed:
        command += " --unsandboxed-baseline"
    return {
        "command": command,
        "customers": customers,
        "store": store_kind,
        "concurrency": CONCURRENCY,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "dev_server": "SQLite file, journal_mode=wal, synchronous=off",
        "baseline_worker": "workflow sandbox" if baseline_sandboxed else "no workflow sandbox",
        "engine_worker": "no workflow sandbox (the workflow_sandbox default)",
        "baseline": baseline,
        "engine": engine,
        "engine_over_baseline": ratio,
        "http_track": http,
        "logs": str(settings.data_dir),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument(
        "--database-url", default="", help="the store (default: a SQLite file in the run's folder)"
    )
    parser.add_argument(
        "--unsandboxed-baseline",
        action="store_true",
        help="run the baseline's worker without the workflow sandbox too (default: sandboxed,"
        " the SDK's default)",
    )
    arguments = parser.parse_args()
    if arguments.customers < 1 or arguments.requests < 1:
        parser.error("--customers and --requests must be at least 1")
    figures = asyncio.run(
        main(
            arguments.customers,
            arguments.requests,
            arguments.database_url,
            baseline_sandboxed=not arguments.unsandboxed_baseline,
        )
    )
    stem = "throughput" if figures["store"] == "sqlite" else f"throughput-{figures['store']}"
    if arguments.unsandboxed_baseline:
        stem += "-unsandboxed-baseline"
    results = RESULTS.with_stem(stem)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"saved to {results.relative_to(ROOT)}; process logs in {figures['logs']}")
