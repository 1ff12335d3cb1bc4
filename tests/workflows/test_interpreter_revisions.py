"""Interpreter revisions: what new enrollments record, and what older inputs keep doing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.converter import default
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.client import TrackedEvent
from journeys.contracts import search_attributes as sa
from journeys.contracts.activities import COMPUTE_SCORE_ACTIVITY
from journeys.contracts.enrollment import (
    INTERPRETER_REVISION,
    EnrollmentInput,
    EnrollmentResult,
    EnrollmentState,
    EnrollmentStatus,
    EventSignal,
)
from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
    EventCountCondition,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    ScoreCondition,
    SendStep,
    WaitForEventStep,
    WaitStep,
)
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.enrollments import Enrollment, StepVisitRow
from tests.support.journey_scenarios import ORG
from tests.support.temporal import finished, journey_client, running_worker
from workflows.journey_workflow import JourneyWorkflow

PASS_THROUGH = JourneyDefinition(
    id="revision_pass_through",
    version=1,
    metadata=JourneyMetadata(name="Rests, sends, rests again"),
    start="pause",
    steps={
        "pause": WaitStep(duration=timedelta(seconds=1), next="tell"),
        "tell": SendStep(channels=[Channel.IN_APP], template="tour_done", next="listen"),
        "listen": WaitForEventStep(
            events={"clicked": "done"}, timeout=timedelta(days=1), on_timeout="quiet"
        ),
        "done": ExitStep(outcome="clicked"),
        "quiet": ExitStep(outcome="quiet"),
    },
    channels=[Channel.IN_APP],
)

TWO_WAITS = JourneyDefinition(
    id="revision_two_waits",
    version=1,
    metadata=JourneyMetadata(name="Two waits in a row"),
    start="first",
    steps={
        "first": WaitForEventStep(
            events={"go": "second"}, timeout=timedelta(days=1), on_timeout="quiet"
        ),
        "second": WaitForEventStep(
            events={"stop": "done"}, timeout=timedelta(days=3), on_timeout="quiet"
        ),
        "done": ExitStep(outcome="stopped"),
        "quiet": ExitStep(outcome="quiet"),
    },
    channels=[Channel.IN_APP],
)

FAILED_FIRST_CONDITION = JourneyDefinition(
    id="revision_short_circuit",
    version=1,
    metadata=JourneyMetadata(name="A case whose first condition fails"),
    start="choose",
    steps={
        "choose": BranchStep(
            cases=[
                BranchCase(
                    when=EventCountCondition(event="never_sent"),
                    also=[ScoreCondition(scorer="engagement", value=0)],
                    next="engaged",
                )
            ],
            otherwise="other",
        ),
        "engaged": ExitStep(outcome="engaged"),
        "other": ExitStep(outcome="other"),
    },
    channels=[Channel.IN_APP],
)

PATCH_MARKER = "core_patch"
"""The marker name the SDK records for ``workflow.patched``."""


def upserted_steps(events: Sequence[HistoryEvent]) -> list[str]:
    """The ``JourneyStep`` values of the history's search-attribute upserts, in order."""
    steps: list[str] = []
    for event in events:
        if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            continue
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        payload = fields.indexed_fields.get(sa.CURRENT_STEP.name)
        if payload is not None:
            steps.append(default().payload_converter.from_payload(payload, str))
    return steps


def scheduled_activities(events: Sequence[HistoryEvent]) -> list[str]:
    """The activity types the history scheduled, in order."""
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def marker_names(events: Sequence[HistoryEvent]) -> list[str]:
    """The names of the history's markers, in order."""
    return [
        event.marker_recorded_event_attributes.marker_name
        for event in events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]


async def wait_for_step(handle: WorkflowHandle[object, object], step: str) -> EnrollmentState:
    for _ in range(200):
        state: EnrollmentState = await handle.query("state", result_type=EnrollmentState)
        if state.current_step == step and state.wait_until is not None:
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never rested at {step}")


async def start_at_revision(
    env: WorkflowEnvironment,
    settings: JourneySettings,
    definition: JourneyDefinition,
    customer: str,
    revision: int,
) -> WorkflowHandle[JourneyWorkflow, EnrollmentResult]:
    """Start an enrollment as a client of interpreter ``revision`` would."""
    return await env.client.start_workflow(
        JourneyWorkflow.run,
        EnrollmentInput(
            org_id=ORG,
            customer_id=customer,
            definition=definition,
            interpreter_revision=revision,
        ),
        id=f"revision-{revision}-{customer}",
        task_queue=settings.task_queue,
    )


async def test_new_enrollments_upsert_search_attributes_only_where_they_rest(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    customer = f"rest-{uuid.uuid4().hex[:6]}"
    client = journey_client(dev_env.client, store, settings, Catalog([PASS_THROUGH]))
    async with running_worker(dev_env.client, settings, store):
        started = await client.enroll(ORG, customer, PASS_THROUGH.id)
        handle = dev_env.client.get_workflow_handle(started.workflow_id)
        await wait_for_step(handle, "listen")
        resting = (await handle.describe()).typed_search_attributes
        assert resting.get(sa.CURRENT_STEP) == "listen"
        assert resting.get(sa.STATUS) == "active"
        await client.track(TrackedEvent(org_id=ORG, customer_id=customer, name="clicked"))
        result = await finished(dev_env, started.workflow_id)
        ended = (await handle.describe()).typed_search_attributes
        history = await handle.fetch_history()
    assert result.outcome == "clicked"
    assert result.path == ["pause", "tell", "listen", "done"]
    assert (ended.get(sa.CURRENT_STEP), ended.get(sa.STATUS)) == ("done", "completed")
    # "pause" was set at start; "tell" was passed through without an upsert.
    assert upserted_steps(history.events) == ["listen", "done"]
    assert PATCH_MARKER not in marker_names(history.events)
    with store.transaction() as session:
        row = session.query(Enrollment).filter_by(customer_id=customer).one()
    assert (row.status, row.outcome) == (EnrollmentStatus.COMPLETED.value, "clicked")


async def test_inputs_without_a_revision_keep_their_patched_behaviour(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """An enrollment started by an older client (revision 0) replays the patched branches."""
    customer = f"rev0-{uuid.uuid4().hex[:6]}"
    async with running_worker(dev_env.client, settings, store):
        handle = await dev_env.client.start_workflow(
            JourneyWorkflow.run,
            EnrollmentInput(org_id=ORG, customer_id=customer, definition=PASS_THROUGH),
            id=f"rev0-{customer}",
            task_queue=settings.task_queue,
        )
        await wait_for_step(handle, "listen")  # type: ignore[arg-type]
        await handle.signal(
            JourneyWorkflow.record_event,
            EventSignal(event_id="c1", name="clicked", occurred_at=datetime.now(UTC)),
        )
        result = await handle.result()
        history = await handle.fetch_history()
    assert result.outcome == "clicked"
    assert PATCH_MARKER in marker_names(history.events)
    assert upserted_steps(history.events) == ["pause", "tell", "listen", "done"]


async def test_continue_as_new_between_steps_enters_the_next_step(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    """A run that continues as new right after a step ends starts the next one afresh."""
    env = time_skipping_env
    settings = settings.model_copy(update={"max_signals_per_run": 10})
    customer = f"boundary-{uuid.uuid4().hex[:6]}"
    client = journey_client(env.client, store, settings, Catalog([TWO_WAITS]))
    async with running_worker(env.client, settings, store):
        started = await client.enroll(ORG, customer, TWO_WAITS.id)
        handle = env.client.get_workflow_handle(started.workflow_id)
        # The tenth signal both ends the first wait and fills the run: it continues as new.
        for index, name in enumerate([*["noise"] * 9, "go"]):
            await handle.signal(
                JourneyWorkflow.record_event,
                EventSignal(event_id=f"e{index}", name=name, occurred_at=datetime.now(UTC)),
            )
        for _ in range(100):
            if (await handle.describe()).run_id != started.run_id:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the enrollment never continued as new")
        state = await wait_for_step(handle, "second")
        described = await handle.describe()
    assert [entry.step for entry in state.path] == ["first", "second"]
    assert state.wait_until is not None
    assert state.wait_until - state.path[-1].entered_at == TWO_WAITS.steps["second"].timeout  # type: ignore[union-attr]
    assert described.typed_search_attributes.get(sa.CURRENT_STEP) == "second"


def test_an_input_from_a_newer_interpreter_is_refused() -> None:
    """An older worker must not run an enrollment whose behaviour it does not know."""
    with pytest.raises(ValidationError, match="interpreter_revision"):
        EnrollmentInput(
            org_id=ORG,
            customer_id="c",
            definition=TWO_WAITS,
            interpreter_revision=INTERPRETER_REVISION + 1,
        )


@pytest.mark.parametrize(("revision", "scored"), [(1, [COMPUTE_SCORE_ACTIVITY]), (2, [])])
async def test_a_failed_condition_ends_its_case_from_revision_2(
    time_skipping_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    revision: int,
    scored: list[str],
) -> None:
    """Revision 2 runs no scorer for a case whose first condition failed; 1 replays its call."""
    env = time_skipping_env
    customer = f"branch{revision}-{uuid.uuid4().hex[:6]}"
    async with running_worker(env.client, settings, store):
        handle = await start_at_revision(env, settings, FAILED_FIRST_CONDITION, customer, revision)
        result = await handle.result()
        history = await handle.fetch_history()
    assert (result.outcome, result.path) == ("other", ["choose", "other"])
    scheduled = scheduled_activities(history.events)
    assert [name for name in scheduled if name == COMPUTE_SCORE_ACTIVITY] == scored


LOCAL_ACTIVITY_MARKER = "core_local_activity"
"""The marker name the SDK records for a local activity's result."""


@pytest.mark.parametrize(("revision", "bookkeeping_writes"), [(2, 2), (3, 1)])
async def test_the_first_steps_visit_is_written_with_the_enrollment_from_revision_3(
    time_skipping_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    revision: int,
    bookkeeping_writes: int,
) -> None:
    """Revision 3 records a first step's visit when it records the start; 2 replays its write."""
    env = time_skipping_env
    customer = f"first{revision}-{uuid.uuid4().hex[:6]}"
    async with running_worker(env.client, settings, store):
        handle = await start_at_revision(env, settings, TWO_WAITS, customer, revision)
        await wait_for_step(handle, "first")  # type: ignore[arg-type]
        history = await handle.fetch_history()
    with store.transaction() as session:
        visits = session.scalars(
            select(StepVisitRow.step).where(StepVisitRow.customer_id == customer)
        ).all()
    assert visits == ["first"]
    assert marker_names(history.events).count(LOCAL_ACTIVITY_MARKER) == bookkeeping_writes
