"""The interpreter's edge cases: opt-out mid-wait, pause/resume, calendar waits, experiments,
human tasks with outcomes, capped sends, re-entry, and the state query."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.contracts.enrollment import (
    EnrollmentState,
    EnrollmentStatus,
    EventSignal,
    PauseRequest,
)
from journeys.errors import EnrollmentRefusedError
from journeys.language import (
    CappedPolicy,
    EntryTrigger,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    WaitForEventStep,
)
from journeys.language.evaluation import experiment_arm
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.journey_status import set_journey_status
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.enrollments import HumanTask
from tests.support.interpreter_journeys import CATALOG, INTERPRETER, PAUSABLE
from tests.support.journey_scenarios import ORG, fresh_time_skipping_env
from tests.support.temporal import finished, journey_client, running_worker
from tests.support.waiting import eventually


def no_global_caps(settings: JourneySettings) -> JourneySettings:
    return settings.model_copy(update={"delivery_frequency_caps": []})


def sends(store: Store, customer_id: str) -> list[tuple[str, str, str]]:
    with store.transaction() as session:
        rows = session.execute(
            select(CommunicationLog.template, CommunicationLog.channel, CommunicationLog.status)
            .where(CommunicationLog.customer_id == customer_id)
            .order_by(CommunicationLog.id)
        ).all()
    return [(template, channel, status) for template, channel, status in rows]


async def state(env: WorkflowEnvironment, workflow_id: str) -> EnrollmentState:
    result: EnrollmentState = await env.client.get_workflow_handle(workflow_id).query(
        "state", result_type=EnrollmentState
    )
    return result


async def test_every_step_kind_and_the_state_query(settings: JourneySettings, store: Store) -> None:
    # Bucketing is a pure hash: this customer is in the "control" arm, the only way to "morning"
    # (each test has its own Temporal server and store, so a fixed id is unique).
    customer = "interp-0"
    async with fresh_time_skipping_env() as env:
        now = await env.get_current_time()
        renewal = (now + timedelta(days=10)).date().isoformat()
        client = journey_client(env.client, store, settings, CATALOG)
        await client.identify(
            ORG, customer, attributes={"renewal_date": renewal}, timezone="Asia/Tokyo"
        )
        async with running_worker(env.client, settings, store):
            started = await client.enroll(ORG, customer, INTERPRETER.id)
            await env.sleep(timedelta(days=9, hours=12))
            waiting = await state(env, started.workflow_id)
            assert waiting.current_step == "call"
            assert waiting.waiting_for == ["csm_call_completed"]
            assert waiting.wait_until is not None
            assert waiting.lifecycle_stage == "retention"
            assert [(d.step, d.scorer, d.tier) for d in waiting.decisions] == [
                ("score", "engagement", "low")
            ]
            handle = env.client.get_workflow_handle(started.workflow_id)
            await handle.signal(
                "record_event",
                EventSignal(event_id="call-1", name="csm_call_completed", occurred_at=now),
            )
            result = await finished(env, started.workflow_id)
    arm = experiment_arm(INTERPRETER.steps["split"].arms, INTERPRETER.id, "cadence", customer)  # type: ignore[union-attr]
    assert arm.name == "control"
    assert result.outcome == "called"
    assert result.path == ["score", "split", "morning", "tag", "renewal", "call", "done"]
    morning = next(p for p in waiting.path if p.step == "tag").entered_at.astimezone(UTC)
    assert (morning.hour, morning.minute) == (0, 0)  # 09:00 in Tokyo
    assert morning.weekday() in range(5)
    renewal_at = next(p for p in waiting.path if p.step == "call").entered_at
    assert renewal_at.date().isoformat() < renewal
    with store.transaction() as session:
        tasks = session.scalars(
            select(HumanTask.kind).where(HumanTask.customer_id == customer)
        ).all()
    assert tasks == ["csm_call"]


async def test_opt_out_mid_wait_ends_the_enrollment_at_once(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    customer = f"optout-{uuid.uuid4().hex[:6]}"
    client = journey_client(env.client, store, no_global_caps(settings))
    async with running_worker(env.client, no_global_caps(settings), store):
        started = await client.enroll(ORG, customer, "journey_onboarding_v2")

        async def resting_on_day_1() -> bool:
            return (await state(env, started.workflow_id)).current_step == "day_1"

        await eventually(resting_on_day_1)
        await client.exit(ORG, customer, "journey_onboarding_v2", reason="opt_out")
        result = await finished(env, started.workflow_id)
    assert result.status is EnrollmentStatus.EXITED
    assert result.outcome == "exit_requested:opt_out"
    assert result.path[-1] == "day_1"
    assert [template for template, _, _ in sends(store, customer)] == ["welcome", "tour_general"]


async def test_pause_holds_before_the_next_send_and_resume_continues(
    settings: JourneySettings, store: Store
) -> None:
    customer = f"pause-{uuid.uuid4().hex[:6]}"
    async with fresh_time_skipping_env() as env:
        client = journey_client(env.client, store, settings, CATALOG)
        async with running_worker(env.client, settings, store):
            started = await client.enroll(ORG, customer, PAUSABLE.id)
            handle = env.client.get_workflow_handle(started.workflow_id)
            await handle.signal("set_paused", PauseRequest(paused=True, reason="regulatory review"))
            await env.sleep(timedelta(days=3))
            held = await state(env, started.workflow_id)
            assert (held.paused, held.current_step) == (True, "send")
            assert sends(store, customer) == []
            await handle.signal("set_paused", PauseRequest(paused=False))
            result = await finished(env, started.workflow_id)
    assert result.outcome == "sent"
    assert sends(store, customer) == [("welcome", "email", "sent")]


async def test_enrollments_of_a_paused_journey_start_held(
    settings: JourneySettings, store: Store
) -> None:
    customer = f"paused-{uuid.uuid4().hex[:6]}"
    with store.transaction() as session:
        set_journey_status(session, PAUSABLE.id, paused=True, reason="compliance")
    async with fresh_time_skipping_env() as env:
        client = journey_client(env.client, store, settings, CATALOG)
        async with running_worker(env.client, settings, store):
            started = await client.enroll(ORG, customer, PAUSABLE.id)
            await env.sleep(timedelta(days=2))
            assert (await state(env, started.workflow_id)).paused
            assert sends(store, customer) == []
            handle = env.client.get_workflow_handle(started.workflow_id)
            await handle.signal("set_paused", PauseRequest(paused=False))
            assert (await finished(env, started.workflow_id)).outcome == "sent"


@pytest.mark.parametrize(
    ("policy", "second"),
    [
        (
            CappedPolicy.FALLBACK,
            [("great_start", "email", "capped"), ("great_start", "in_app", "sent")],
        ),
        (CappedPolicy.SKIP, [("great_start", "email", "capped")]),
    ],
)
async def test_capped_send_follows_on_capped(
    time_skipping_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    policy: CappedPolicy,
    second: list[tuple[str, str, str]],
) -> None:
    env = time_skipping_env
    customer = f"capped-{uuid.uuid4().hex[:6]}"
    settings = no_global_caps(settings)
    client = journey_client(env.client, store, settings, CATALOG)
    async with running_worker(env.client, settings, store):
        started = await client.enroll(ORG, customer, f"journey_capped_{policy.value}")
        await finished(env, started.workflow_id)
    assert sends(store, customer) == [("welcome", "email", "sent"), *second]


async def test_churn_prevention_is_not_re_entered_within_30_days(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    customer = f"reentry-{uuid.uuid4().hex[:6]}"
    client = journey_client(env.client, store, no_global_caps(settings))
    await client.identify(ORG, customer, attributes={"clv": 1})
    async with running_worker(env.client, no_global_caps(settings), store):
        started = await client.enroll(ORG, customer, "journey_churn_prevention_v1")
        await client.exit(ORG, customer, "journey_churn_prevention_v1", reason="test")
        await finished(env, started.workflow_id)
        with pytest.raises(EnrollmentRefusedError, match="less than 30 days"):
            await client.enroll(ORG, customer, "journey_churn_prevention_v1")


def test_signal_names_stay_stable() -> None:
    """The client and API address the workflow by these names."""
    from workflows.journey_workflow import JourneyWorkflow

    definition = JourneyWorkflow.__temporal_workflow_definition  # type: ignore[attr-defined]
    assert {"record_event", "request_exit", "set_paused"} <= set(definition.signals)
    assert "state" in definition.queries


async def test_rapid_re_trigger_keeps_one_enrollment(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    from journeys.client import TrackedEvent
    from journeys.store.tables.enrollments import Enrollment

    env = time_skipping_env
    customer = f"rapid-{uuid.uuid4().hex[:6]}"
    client = journey_client(env.client, store, no_global_caps(settings))
    # The churn journey's entry rule: churn probability > 0.60 and a high or critical tier.
    await client.identify(
        ORG, customer, attributes={"churn_probability": 0.9, "churn_risk_tier": "high"}
    )
    async with running_worker(env.client, no_global_caps(settings), store):
        first = await client.track(
            TrackedEvent(org_id=ORG, customer_id=customer, name="churn_risk_detected")
        )
        second = await client.track(
            TrackedEvent(org_id=ORG, customer_id=customer, name="churn_risk_detected")
        )
        assert first.enrolled == second.enrolled
        await client.exit(ORG, customer, "journey_churn_prevention_v1", reason="test")
        await finished(env, first.enrolled[0])
    with store.transaction() as session:
        rows = session.scalars(select(Enrollment).where(Enrollment.customer_id == customer)).all()
    assert [(row.journey_id, row.status) for row in rows] == [
        ("journey_churn_prevention_v1", "exited")
    ]


FIRST_STEP_WAITS = JourneyDefinition(
    id="first_step_waits",
    version=1,
    metadata=JourneyMetadata(name="First step waits"),
    entry=EntryTrigger(event="trial_started"),
    start="wait",
    steps={
        "wait": WaitForEventStep(
            events={"trial_started": "entry_counted", "feature_used": "used"},
            timeout=timedelta(days=1),
            on_timeout="quiet",
        ),
        "entry_counted": ExitStep(outcome="entry_counted"),
        "used": ExitStep(outcome="used"),
        "quiet": ExitStep(outcome="quiet"),
    },
)


@pytest.mark.parametrize(
    ("events", "outcome"),
    [(["trial_started", "feature_used"], "used"), (["trial_started"], "quiet")],
    ids=["event_before_first_task_counts", "entry_event_does_not_count"],
)
async def test_first_step_waits_count_events_since_enrollment(
    time_skipping_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    events: list[str],
    outcome: str,
) -> None:
    from journeys.client import TrackedEvent

    env = time_skipping_env
    customer = f"early-{uuid.uuid4().hex[:6]}"
    client = journey_client(env.client, store, settings, Catalog([FIRST_STEP_WAITS]))
    # Tracked before any worker runs: the enrollment's first task sees them all at once.
    results = [
        await client.track(TrackedEvent(org_id=ORG, customer_id=customer, name=name))
        for name in events
    ]
    workflow_id = results[0].enrolled[0]
    async with running_worker(env.client, settings, store):
        result = await finished(env, workflow_id)
    assert result.outcome == outcome
