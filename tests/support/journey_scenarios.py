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
from journeys.language.steps import (
    HumanTaskStep,
    SendStep,
    WaitForEventStep,
    WaitStep,
    WaitUntilDateStep,
    WaitUntilTimeStep,
)
from journeys.routing.rollout_control import RolloutControl
from journeys.settings import JourneySettings
from journeys.simulation.report import journey_day
from journeys.store import Store
from journeys.store.customers import find_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, HumanTask
from journeys.temporal_connection import register_search_attributes
from tests.support.temporal import finished, journey_client, running_worker

ORG = "acme"

HELD_BACK_STATUSES = ("suppressed", "deferred", "capped")
"""Communication log statuses of send attempts that were not made."""


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
    timezone: str = "UTC"
    version: int | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class JourneyTrace:
    """What an enrollment did, as the differential test compares it across runtimes.

    ``sends`` are (channel, template, journey day) of the sends made, in order;
    ``held_back`` (channel, template, status) of the attempts suppressed, deferred
    by quiet hours or capped, in order; ``decisions`` (decide step, choice, tier,
    score) in order.
    """

    outcome: str
    path: list[str]
    sends: list[tuple[str, str, int]]
    held_back: list[tuple[str, str, str]]
    decisions: list[tuple[str, str, str | None, float | None]]
    tasks: list[str]
    transitions: list[str]


@dataclass
class ScenarioRun:
    """What a scenario did."""

    customer_id: str
    workflow_id: str
    result: EnrollmentResult
    sends: list[str]
    sent_at: dict[str, datetime | None]
    tasks: list[str]
    transitioned_to: list[str]
    stage: str | None
    attributes: dict[str, Any]
    start: datetime
    """The reference time the scenario's event days count from."""
    enrolled_at: datetime
    enrollment_id: str
    """The first run's id (a later run's differs after continue-as-new)."""
    definition: JourneyDefinition
    trace: JourneyTrace


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


def documented_send_moments(
    definition: JourneyDefinition, path: list[str], enrolled_at: datetime
) -> dict[str, datetime]:
    """When each send visit on ``path`` is documented to go out, by step key (``name#visit``).

    A send's moment is its last "Day N" wait (plus the fixed delays after it);
    sends after a wait for an event or for a local time have no documented
    moment and are left out.
    """
    moments: dict[str, datetime] = {}
    visits: dict[str, int] = {}
    anchor: datetime | None = enrolled_at
    for name in path:
        visits[name] = visits.get(name, 0) + 1
        step = definition.steps[name]
        if isinstance(step, WaitStep) and step.day is not None:
            day = enrolled_at + timedelta(days=step.day)
            anchor = day if anchor is None else max(anchor, day)
        elif isinstance(step, WaitStep) and step.duration is not None and anchor is not None:
            anchor += step.duration
        elif isinstance(step, WaitForEventStep | WaitUntilTimeStep | WaitUntilDateStep) or (
            isinstance(step, HumanTaskStep) and step.outcomes
        ):
            anchor = None
        elif isinstance(step, SendStep) and anchor is not None:
            moments[f"{name}#{visits[name]}"] = anchor
    return moments


def send_delay_allowed(definition: JourneyDefinition) -> timedelta:
    """How late a send may go out and still be on its day: the quiet hours' length, if any."""
    quiet = definition.quiet_hours
    if quiet is None:
        return timedelta(minutes=5)
    start = timedelta(hours=quiet.start.hour, minutes=quiet.start.minute)
    end = timedelta(hours=quiet.end.hour, minutes=quiet.end.minute)
    return (end - start) % timedelta(days=1) + timedelta(minutes=5)


async def run_scenario(
    env: WorkflowEnvironment,
    store: Store,
    settings: JourneySettings,
    scenario: Scenario,
    *,
    catalog: Catalog | None = None,
    max_signals_per_run: int | None = None,
) -> ScenarioRun:
    """Enroll a fresh customer, play the behaviour, and collect what the journey did.

    Args:
        catalog: The journeys, as they are (default: the shipped catalog with the
            scenario's journey stripped of caps and quiet hours).
        max_signals_per_run: Continue as new after this many signals (the setting's
            lower bound does not apply: scenarios continue as new after one).
    """
    customer_id = f"{scenario.name}-{uuid.uuid4().hex[:6]}"
    update: dict[str, Any] = {}
    if max_signals_per_run is not None:
        update["max_signals_per_run"] = max_signals_per_run
    settings = settings.model_copy(update=update)
    if catalog is None:
        # The shipped defaults: the journeys as shipped, caps and quiet hours included.
        catalog = default_catalog()
    client = journey_client(env.client, store, settings, catalog)
    await client.identify(ORG, customer_id, attributes=scenario.profile, timezone=scenario.timezone)
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
        if (
            scenario.version is not None
            and scenario.version != catalog.get(scenario.journey).version
        ):
            # An older version takes entries only when the operator lets it (rollouts).
            rollouts = RolloutControl(env.client, store, client.versions)
            await rollouts.publish(ORG, scenario.journey, scenario.version, actor="scenario")
        started = await client.enroll(ORG, customer_id, scenario.journey, version=scenario.version)
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
        sent = session.execute(
            select(CommunicationLog.template, CommunicationLog.step_key, CommunicationLog.slot_at)
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
        enrolled_at, enrollment_id = session.execute(
            select(Enrollment.started_at, Enrollment.enrollment_id).where(
                Enrollment.customer_id == customer_id, Enrollment.journey_id == scenario.journey
            )
        ).one()
        logged = session.execute(
            select(
                CommunicationLog.channel,
                CommunicationLog.template,
                CommunicationLog.status,
                CommunicationLog.slot_at,
            )
            .where(
                CommunicationLog.customer_id == customer_id,
                CommunicationLog.journey_id == scenario.journey,
            )
            .order_by(CommunicationLog.id)
        ).all()
        decisions = session.execute(
            select(
                DecisionAudit.decision,
                DecisionAudit.choice,
                DecisionAudit.inputs,
            )
            .where(
                DecisionAudit.customer_id == customer_id,
                DecisionAudit.journey_id == scenario.journey,
            )
            .order_by(DecisionAudit.id)
        ).all()
    trace = JourneyTrace(
        outcome=result.outcome,
        path=result.path,
        sends=[
            (channel, template, journey_day(slot_at, enrolled_at))
            for channel, template, status, slot_at in logged
            if status == "sent" and slot_at is not None
        ],
        held_back=[
            (channel, template, status)
            for channel, template, status, _ in logged
            if status in HELD_BACK_STATUSES
        ],
        decisions=[
            # A decision activity's audit (channel, offer, next best action) has no score.
            (step, choice, inputs.get("tier"), _score(inputs.get("score")))
            for step, choice, inputs in decisions
        ],
        tasks=list(tasks),
        transitions=transitioned,
    )
    return ScenarioRun(
        customer_id=customer_id,
        workflow_id=started.workflow_id,
        result=result,
        sends=[template for template, _, _ in sent],
        sent_at={step_key: at for _, step_key, at in sent},
        tasks=list(tasks),
        transitioned_to=transitioned,
        stage=stage,
        attributes=attributes,
        start=start,
        enrolled_at=enrolled_at,
        enrollment_id=enrollment_id,
        definition=catalog.get(scenario.journey, scenario.version),
        trace=trace,
    )


def _score(value: object) -> float | None:
    return None if value is None else float(str(value))


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
    check_send_days(run, scenario)


def check_send_days(run: ScenarioRun, scenario: Scenario) -> None:
    """Assert every send went out on its documented day, under the shipped caps and quiet hours."""
    definition = default_catalog().get(scenario.journey, scenario.version)
    enrolled_at = run.enrolled_at
    assert enrolled_at is not None
    moments = documented_send_moments(definition, run.result.path, enrolled_at)
    allowed = send_delay_allowed(definition)
    checked = 0
    for step_key, sent_at in run.sent_at.items():
        documented = moments.get(step_key.split(".")[0])
        if documented is None:
            continue
        assert sent_at is not None, f"{step_key} holds no slot"
        assert documented <= sent_at < documented + allowed, (
            f"{step_key} documented for Day {(documented - enrolled_at).days}"
            f" went out at {sent_at - enrolled_at}"
        )
        checked += 1
    assert checked or not run.sends, "no send had a documented day"


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
