"""Running catalog journeys for one synthetic customer on the time-skipping server.

A scenario gives the customer's profile and behaviour (events dated in journey
days, stored where the scorers read them and, where marked, delivered to the
enrollment), then the expected sends, human tasks, transition and outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog, default_catalog
from journeys.contracts.enrollment import EnrollmentResult, EventSignal, enrollment_workflow_id
from journeys.devtools.temporal_binaries import test_server_path
from journeys.language import JourneyDefinition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import find_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.enrollments import HumanTask
from journeys.temporal_connection import register_search_attributes
from tests.support.temporal import finished, journey_client, running_worker

ORG = "acme"


@dataclass(frozen=True)
class Behaviour:
    """An event of the customer, ``day`` days after enrollment.

    Day-0 events marked ``routed`` are also delivered to the enrollment right
    after it starts; events after Day 0 are delivered when their time comes.
    """

    name: str
    day: float = 0
    properties: dict[str, Any] = field(default_factory=dict)
    routed: bool = False


@dataclass(frozen=True)
class Scenario:
    """One documented path of a journey, with what it must do."""

    name: str
    journey: str
    outcome: str
    sends: list[str]
    profile: dict[str, Any] = field(default_factory=dict)
    behaviour: list[Behaviour] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    transition: str | None = None
    stage: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    visits: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name


@dataclass
class ScenarioRun:
    """What a scenario did."""

    customer_id: str
    workflow_id: str
    result: EnrollmentResult
    sends: list[str]
    tasks: list[str]
    transitioned_to: list[str]
    stage: str | None
    attributes: dict[str, Any]


def logins(*days: float) -> list[Behaviour]:
    """One login on each of the given days."""
    return [Behaviour("login", day) for day in days]


def features(count: int, day: float = 0) -> list[Behaviour]:
    """``count`` distinct features used."""
    return [Behaviour("feature_used", day, {"feature": f"feature_{i}"}) for i in range(count)]


def store_event(store: Store, customer_id: str, event: Behaviour, at: datetime) -> EventSignal:
    """Store one behaviour event (as the client does) and return its signal."""
    signal = EventSignal(
        event_id=uuid.uuid4().hex, name=event.name, occurred_at=at, properties=event.properties
    )
    with store.transaction() as session:
        record_event(
            session,
            org_id=ORG,
            event_id=signal.event_id,
            customer_id=customer_id,
            name=event.name,
            occurred_at=at,
            properties=dict(event.properties),
        )
    return signal


def without_wall_clock_caps(definition: JourneyDefinition) -> JourneyDefinition:
    """The journey without its caps and quiet hours.

    Path scenarios walk each documented branch and assert every send the seed
    lists; the global blueprint caps (email 2/week) would cap seed 000's third
    week-one email. Caps and quiet hours are asserted on their own (declared
    caps here, enforcement in the delivery and interpreter tests).
    """
    return definition.model_copy(update={"frequency_caps": [], "quiet_hours": None})


async def run_scenario(
    env: WorkflowEnvironment, store: Store, settings: JourneySettings, scenario: Scenario
) -> ScenarioRun:
    """Enroll a fresh customer, play the behaviour, and collect what the journey did."""
    customer_id = f"{scenario.name}-{uuid.uuid4().hex[:6]}"
    settings = settings.model_copy(update={"delivery_frequency_caps": []})
    catalog = default_catalog()
    catalog = Catalog(
        [
            without_wall_clock_caps(journey) if journey.id == scenario.journey else journey
            for journey in catalog.all_versions()
        ]
    )
    client = journey_client(env.client, store, settings, catalog)
    await client.identify(ORG, customer_id, attributes=scenario.profile)
    async with running_worker(env.client, settings, store):
        start = await env.get_current_time()
        later: list[Behaviour] = []
        now_signals: list[EventSignal] = []
        for event in scenario.behaviour:
            if event.day > 0 and event.routed:
                later.append(event)
                continue
            signal = store_event(store, customer_id, event, start + timedelta(days=event.day))
            if event.routed:
                now_signals.append(signal)
        started = await client.enroll(ORG, customer_id, scenario.journey)
        handle = env.client.get_workflow_handle(started.workflow_id)
        for signal in now_signals:
            await handle.signal("record_event", signal)
        for event in sorted(later, key=lambda e: e.day):
            at = start + timedelta(days=event.day)
            await env.sleep(at - await env.get_current_time())
            await handle.signal("record_event", store_event(store, customer_id, event, at))
        result = await finished(env, started.workflow_id)
        transitioned = await _transitions(env, customer_id, scenario.journey)
    with store.transaction() as session:
        sends = session.scalars(
            select(CommunicationLog.template)
            .where(
                CommunicationLog.customer_id == customer_id,
                CommunicationLog.journey_id == scenario.journey,
                CommunicationLog.status == "sent",
            )
            .order_by(CommunicationLog.id)
        ).all()
        tasks = session.scalars(
            select(HumanTask.kind)
            .where(HumanTask.customer_id == customer_id, HumanTask.journey_id == scenario.journey)
            .order_by(HumanTask.id)
        ).all()
        customer = find_customer(session, org_id=ORG, customer_id=customer_id)
        assert customer is not None
        stage, attributes = customer.lifecycle_stage, dict(customer.attributes)
    return ScenarioRun(
        customer_id=customer_id,
        workflow_id=started.workflow_id,
        result=result,
        sends=list(sends),
        tasks=list(tasks),
        transitioned_to=transitioned,
        stage=stage,
        attributes=attributes,
    )


async def _transitions(env: WorkflowEnvironment, customer_id: str, source: str) -> list[str]:
    """Journeys the customer was enrolled in by a transition (their runs are then ended)."""
    found: list[str] = []
    for journey in default_catalog().current_versions():
        if journey.entry.event is not None or journey.id == source:
            continue
        handle = env.client.get_workflow_handle(
            enrollment_workflow_id(ORG, journey.routing_key, customer_id)
        )
        try:
            description = await handle.describe()
        except Exception:
            continue
        found.append(journey.id)
        if description.status is WorkflowExecutionStatus.RUNNING:
            await handle.terminate("scenario finished")
    return found


def check(run: ScenarioRun, scenario: Scenario) -> None:
    """Assert the run did what the scenario documents."""
    assert run.result.outcome == scenario.outcome, run.result.path
    assert run.sends == scenario.sends, run.result.path
    assert run.tasks == scenario.tasks, run.result.path
    assert run.transitioned_to == ([scenario.transition] if scenario.transition else [])
    if scenario.stage is not None:
        assert run.stage == scenario.stage
    for step in scenario.visits:
        assert step in run.result.path
    for name, value in scenario.attributes.items():
        assert run.attributes.get(name) == value


@asynccontextmanager
async def fresh_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the scenario's own.

    Journeys transition into long-lived journeys that are ended when a
    scenario finishes; a server of its own keeps their timers out of the next
    scenario's skipped time.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client, env.client.namespace)
    try:
        yield env
    finally:
        await env.shutdown()
