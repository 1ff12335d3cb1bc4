"""Journey simulation on the time-skipping server with synthetic behaviour profiles.

Each synthetic customer gets a profile (power, steady, casual, dormant) that
decides its behaviour events over the journey; events are stored dated on
their journey day (the scorers read them when that day comes) and the Day-0
ones the journey listens to are delivered to the enrollment. Frequency caps
and quiet hours are left out so the report shows the journey's own paths: in
production caps are shared with every other journey the customer is in, which
a one-journey simulation cannot know.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO

from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog, default_catalog
from journeys.client import JourneyClient
from journeys.contracts.enrollment import EnrollmentResult, EventSignal
from journeys.devtools.temporal_binaries import test_server_path
from journeys.errors import InvalidInputError
from journeys.language import BranchStep, DecideStep, ExperimentStep, JourneyDefinition
from journeys.language.behaviour_events import BehaviourEvent
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event
from journeys.temporal_connection import register_search_attributes

SIMULATION_ORG = "simulation"


@dataclass(frozen=True)
class BehaviourProfile:
    """A synthetic customer type: its share and its events per journey day."""

    name: str
    weight: int
    login_every_days: int | None
    features: int
    completes_core_workflow: bool
    session_minutes: float
    pricing_views: int


PROFILES: tuple[BehaviourProfile, ...] = (
    BehaviourProfile("power", 20, 1, 6, True, 40, 3),
    BehaviourProfile("steady", 35, 2, 3, True, 20, 1),
    BehaviourProfile("casual", 30, 5, 1, False, 12, 0),
    BehaviourProfile("dormant", 15, None, 0, False, 5, 0),
)
"""The behaviour mix of the synthetic population."""


@dataclass
class SimulationReport:
    """What the simulated enrollments did."""

    journey: str
    customers: int
    days: int
    wall_seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)

    def render(self, top: int = 10) -> str:
        """A plain-text summary: outcomes, the most frequent paths, profiles."""
        lines = [
            f"simulated {self.customers} customers through {self.journey} for {self.days} days"
            f" in {self.wall_seconds:.1f}s wall time",
            "",
            "outcomes:",
        ]
        for outcome, count in self.outcomes.most_common():
            lines.append(f"  {count:6d}  {100 * count / self.customers:5.1f}%  {outcome}")
        lines += ["", f"paths (top {top} of {len(self.paths)}):"]
        for path, count in self.paths.most_common(top):
            lines.append(f"  {count:6d}  {100 * count / self.customers:5.1f}%  {path}")
        lines += ["", "behaviour profiles:"]
        for profile, count in sorted(self.profiles.items()):
            lines.append(f"  {count:6d}  {profile}")
        return "\n".join(lines)


def _behaviour(profile: BehaviourProfile, days: int) -> list[tuple[float, str, dict[str, Any]]]:
    events: list[tuple[float, str, dict[str, Any]]] = []
    if profile.login_every_days is not None:
        events += [(d, BehaviourEvent.LOGIN, {}) for d in range(0, days, profile.login_every_days)]
    else:
        events.append((0, BehaviourEvent.LOGIN, {}))
    events += [
        (min(i, 2), BehaviourEvent.FEATURE_USED, {"feature": f"feature_{i}"})
        for i in range(profile.features)
    ]
    events.append((0, BehaviourEvent.SESSION_ENDED, {"duration_minutes": profile.session_minutes}))
    events += [(1, BehaviourEvent.PRICING_PAGE_VIEWED, {}) for _ in range(profile.pricing_views)]
    if profile.completes_core_workflow:
        events.append((0, BehaviourEvent.CORE_WORKFLOW_COMPLETED, {}))
        events.append((0, BehaviourEvent.CORE_FEATURE_USED, {}))
    return events


def _attributes(rng: random.Random) -> dict[str, Any]:
    return {
        "signup_source": rng.choice(["organic_search", "paid_ad", "referral", "unknown"]),
        "role": rng.choice(["Analyst", "Manager", "Admin", "Other"]),
        "plan": rng.choice(["starter", "starter", "pro"]),
    }


def path_signature(definition: JourneyDefinition, path: list[str]) -> str:
    """The choices a path made: steps chosen by a branch, decision or split, then the last step."""
    chosen = [
        step
        for previous, step in pairwise(path)
        if isinstance(definition.steps.get(previous), BranchStep | DecideStep | ExperimentStep)
    ]
    if path and (not chosen or chosen[-1] != path[-1]):
        chosen.append(path[-1])
    return " > ".join(chosen)


async def simulate(
    journey_id: str,
    customers: int,
    days: int,
    *,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    catalog: Catalog | None = None,
) -> SimulationReport:
    """Run ``customers`` synthetic customers through a journey for ``days`` journey days.

    Raises:
        InvalidInputError: customers or days out of range.
        UnknownJourneyError: no such journey.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidInputError("customers", f"must be between 1 and {MAX_CUSTOMERS}")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError("days", f"must be between 1 and {MAX_DAYS}")
    catalog = catalog or default_catalog()
    definition = catalog.get(journey_id)
    simulated = Catalog(
        [
            journey.model_copy(update={"frequency_caps": [], "quiet_hours": None})
            for journey in catalog.all_versions()
        ]
    )
    say = progress or (lambda _line: None)
    rng = random.Random(seed)
    report = SimulationReport(journey=definition.key, customers=customers, days=days)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        settings = JourneySettings(
            data_dir=Path(folder),
            task_queue=f"simulation-{uuid.uuid4().hex[:8]}",
            database_url=f"sqlite:///{Path(folder) / 'store.db'}",
            delivery_frequency_caps=[],
            delivery_quiet_hours=None,
        )
        store = Store.from_settings(settings)
        store.migrate()
        try:
            for first in range(0, customers, COHORT_SIZE):
                cohort = range(first, min(first + COHORT_SIZE, customers))
                await _simulate_cohort(
                    store, settings, simulated, definition, cohort, days, rng, report, say
                )
                say(f"cohort done: {cohort.stop}/{customers} customers simulated")
        finally:
            store.dispose()
    report.wall_seconds = time.perf_counter() - began
    return report


async def _simulate_cohort(
    store: Store,
    settings: JourneySettings,
    simulated: Catalog,
    definition: JourneyDefinition,
    cohort: range,
    days: int,
    rng: random.Random,
    report: SimulationReport,
    say: Callable[[str], None],
) -> None:
    """One cohort on a time-skipping server of its own."""
    from workers.journey_worker import ACTIVITY_THREADS, build_worker
    from workflows.journey_workflow import JourneyWorkflow

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client, env.client.namespace)
        start = await env.get_current_time()
        plans = _plan_population(store, definition, cohort, days, start, rng, report)
        client = JourneyClient(env.client, store, simulated, settings)
        with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
            async with build_worker(env.client, settings, store, executor, catalog=simulated):
                started = await asyncio.gather(
                    *(client.enroll(SIMULATION_ORG, c, definition.id) for c, _ in plans)
                )
                workflow_ids: dict[str, str] = {}
                for (customer_id, signals), enrolled in zip(plans, started, strict=True):
                    workflow_ids[customer_id] = enrolled.workflow_id
                    handle = env.client.get_workflow_handle(enrolled.workflow_id)
                    for signal in signals:
                        await handle.signal(JourneyWorkflow.record_event, signal)
                say(f"enrolled customers {cohort.start + 1}-{cohort.stop}")
                await _collect(env, workflow_ids, definition, start, days, report, say)
    finally:
        await env.shutdown()


MAX_CUSTOMERS = 100_000
MAX_DAYS = 365
COHORT_SIZE = 100
"""Customers simulated together on one time-skipping server.

The server skips to one timer at a time, so thousands of enrollments on one
server advance one by one; cohorts of this size run at full speed.
"""


def _plan_population(
    store: Store,
    definition: JourneyDefinition,
    cohort: range,
    days: int,
    start: datetime,
    rng: random.Random,
    report: SimulationReport,
) -> list[tuple[str, list[EventSignal]]]:
    """Create the customers and store their events; return the Day-0 signals per customer."""
    listened = definition.listened_events()
    plans: list[tuple[str, list[EventSignal]]] = []
    with store.transaction() as session:
        for index in cohort:
            profile = rng.choices(PROFILES, weights=[p.weight for p in PROFILES])[0]
            report.profiles[profile.name] += 1
            customer_id = f"sim-{index:06d}"
            upsert_customer(
                session,
                org_id=SIMULATION_ORG,
                customer_id=customer_id,
                attributes=_attributes(rng),
            )
            signals: list[EventSignal] = []
            for day, name, properties in _behaviour(profile, days):
                event_id = uuid.uuid4().hex
                at = start + timedelta(days=day)
                record_event(
                    session,
                    org_id=SIMULATION_ORG,
                    event_id=event_id,
                    customer_id=customer_id,
                    name=name,
                    occurred_at=at,
                    properties=properties,
                )
                if day == 0 and name in listened:
                    signals.append(EventSignal(event_id=event_id, name=name, occurred_at=at))
            plans.append((customer_id, signals))
    return plans


async def _collect(
    env: WorkflowEnvironment,
    workflow_ids: dict[str, str],
    definition: JourneyDefinition,
    start: datetime,
    days: int,
    report: SimulationReport,
    say: Callable[[str], None],
) -> None:
    """Let time skip until every enrollment ended or ``days`` passed; tally the results."""
    from workflows.journey_workflow import JourneyWorkflow

    async def outcome_of(workflow_id: str) -> EnrollmentResult:
        handle = env.client.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
        while True:
            try:
                return await handle.result()
            except RuntimeError as err:
                # The time-skipping server may end a history long-poll before the
                # run completes; the SDK reports that as a RuntimeError. Ask again.
                if "No completion event found" not in str(err):
                    raise

    tasks = {
        asyncio.create_task(outcome_of(workflow_id)): workflow_id
        for workflow_id in workflow_ids.values()
    }
    pending = set(tasks)
    deadline = start + timedelta(days=days) + DEADLINE_GRACE
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        while pending:
            done, pending = await asyncio.wait(pending, timeout=PROGRESS_SECONDS)
            for task in done:
                result: EnrollmentResult = task.result()
                report.outcomes[result.outcome] += 1
                report.paths[path_signature(definition, result.path)] += 1
            now = await env.get_current_time()
            ended = len(tasks) - len(pending)
            say(f"{ended}/{len(tasks)} enrollments ended; journey day {(now - start).days}")
            if now >= deadline:
                break
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
    for task in pending:
        task.cancel()
        handle = env.client.get_workflow_handle(tasks[task])
        state = await handle.query(JourneyWorkflow.state)
        report.outcomes[f"still running at {state.current_step}"] += 1
        report.paths[path_signature(definition, [p.step for p in state.path])] += 1


DEADLINE_GRACE = timedelta(hours=1)
"""Steps due on the last simulated day (Day 30's decision) still finish."""

PROGRESS_SECONDS = 2.0
"""How often the simulation reports progress."""


def print_progress(stream: TextIO = sys.stderr) -> Callable[[str], None]:
    """A progress callback printing time-stamped lines to ``stream``."""
    began = time.perf_counter()

    def say(line: str) -> None:
        print(f"[{time.perf_counter() - began:7.1f}s] {line}", file=stream, flush=True)

    return say
