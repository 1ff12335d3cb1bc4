"""The last channel retries until the step's deadline, then fails visibly (revision 2).

Real JourneyWorkflow on the time-skipping server, a real HTTP provider server
that fails (then recovers, or not) and a real HTTP server receiving ops alerts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.enrollment import (
    INTERPRETER_REVISION,
    EnrollmentInput,
    EnrollmentState,
    EnrollmentStatus,
)
from journeys.language import JourneyDefinition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog, ProviderAttempt
from tests.support.delivery import ORG, customer, provider_settings
from tests.support.provider_servers import Behaviour, HttpProviderServer, SmtpServer
from tests.support.temporal import running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

OUTAGE = Behaviour(503, {"Retry-After": "1"})
"""A provider outage answer; ``Retry-After`` keeps real retries one second apart."""


def push_journey(deadline: timedelta | None = None) -> JourneyDefinition:
    extra = {} if deadline is None else {"send_deadline": deadline}
    return JourneyDefinition.model_validate(
        {
            "id": "deadline_test",
            "version": 1,
            "metadata": {"name": "Deadline test"},
            "start": "outreach",
            "steps": {
                "outreach": {
                    "type": "send",
                    "channels": ["push"],
                    "template": "churn_outreach",
                    "next": "done",
                },
                "done": {"type": "exit"},
            },
            **extra,
        }
    )


async def run_to_the_end(
    env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    customer_id: str,
    definition: JourneyDefinition,
) -> EnrollmentState:
    async with running_worker(env.client, settings, store):
        handle = await env.client.start_workflow(
            JourneyWorkflow.run,
            EnrollmentInput(
                org_id=ORG,
                customer_id=customer_id,
                definition=definition,
                interpreter_revision=INTERPRETER_REVISION,
            ),
            id=f"deadline-test-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        result = await handle.result()
        assert result.status is EnrollmentStatus.COMPLETED
        return await handle.query(JourneyWorkflow.state)


def sends(store: Store, customer_id: str) -> list[tuple[str, str, str]]:
    with store.transaction() as session:
        return [
            (row.channel, row.status, row.detail)
            for row in session.scalars(
                select(CommunicationLog).where(CommunicationLog.customer_id == customer_id)
            )
        ]


def attempts(store: Store) -> list[str]:
    with store.transaction() as session:
        return list(session.scalars(select(ProviderAttempt.outcome).order_by(ProviderAttempt.id)))


async def test_an_outage_longer_than_six_attempts_still_delivers(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    try:
        config = provider_settings(settings, smtp, http)
        customer(store, "long-outage")
        http.script.extend([OUTAGE] * 9)
        state = await run_to_the_end(
            time_skipping_env, config, store, "long-outage", push_journey()
        )
    finally:
        smtp.stop()
        http.stop()
    assert [(channel, status) for channel, status, _ in sends(store, "long-outage")] == [
        ("push", "sent")
    ]
    assert attempts(store) == ["retrying"] * 9 + ["sent"]
    assert len(http.requests) == 1
    assert [entry.note for entry in state.path] == [None, None]


async def test_a_send_past_its_deadline_fails_visibly(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    smtp, http, alerts = (
        SmtpServer().start(),
        HttpProviderServer().start(),
        HttpProviderServer().start(),
    )
    try:
        config = provider_settings(
            settings, smtp, http, ops_alert_webhook_url=alerts.url + "/slack"
        )
        customer(store, "dead-provider")
        http.failing = OUTAGE
        state = await run_to_the_end(
            time_skipping_env,
            config,
            store,
            "dead-provider",
            push_journey(deadline=timedelta(seconds=5)),
        )
    finally:
        smtp.stop()
        http.stop()
        alerts.stop()
    [(channel, status, detail)] = sends(store, "dead-provider")
    assert (channel, status) == ("push", "failed")
    assert "deadline of 0:00:05" in detail
    outcomes = attempts(store)
    assert outcomes[-1] == "failed"
    assert set(outcomes[:-1]) == {"retrying"}
    assert http.requests == []
    alerted = [alert.json()["text"] for alert in alerts.requests]
    assert any("[send_failed] push" in text for text in alerted), alerted
    outreach = state.path[0]
    assert outreach.step == "outreach"
    assert outreach.note == "send failed on push: not delivered within the deadline of 0:00:05"


def test_the_send_deadline_is_declared_by_the_journey() -> None:
    assert push_journey().send_deadline == timedelta(days=1)
    assert push_journey(timedelta(hours=2)).send_deadline == timedelta(hours=2)


async def test_a_store_outage_past_the_deadline_is_recorded_not_dropped(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    customer(store, "store-down")
    bounded = Store(settings.resolved_database_url, busy_timeout=0.2)
    definition = JourneyDefinition.model_validate(
        {
            **push_journey(deadline=timedelta(seconds=3)).model_dump(),
            "start": "pause",
            "steps": {
                "pause": {"type": "wait", "duration": timedelta(minutes=1), "next": "outreach"},
                "outreach": {
                    "type": "send",
                    "channels": ["in_app"],
                    "template": "churn_outreach",
                    "next": "done",
                },
                "done": {"type": "exit"},
            },
        }
    )
    holder = sqlite3.connect(str(settings.resolved_database_url).removeprefix("sqlite:///"))
    holder.isolation_level = None
    try:
        async with running_worker(time_skipping_env.client, settings, bounded):
            handle = await time_skipping_env.client.start_workflow(
                JourneyWorkflow.run,
                EnrollmentInput(
                    org_id=ORG,
                    customer_id="store-down",
                    definition=definition,
                    interpreter_revision=INTERPRETER_REVISION,
                ),
                id=f"deadline-test-{uuid.uuid4().hex[:8]}",
                task_queue=settings.task_queue,
            )

            async def waiting() -> bool:
                state = await handle.query(JourneyWorkflow.state)
                return state.current_step == "pause" and state.wait_until is not None

            await eventually(waiting, seconds=60)
            # The store goes down while the enrollment waits; the send meets the outage.
            holder.execute("BEGIN EXCLUSIVE")
            finishing = asyncio.create_task(handle.result())

            async def noted() -> bool:
                state = await handle.query(JourneyWorkflow.state)
                return state.path[-1].note is not None

            await eventually(noted, seconds=120)
            holder.execute("ROLLBACK")
            result = await finishing
            state = await handle.query(JourneyWorkflow.state)
    finally:
        holder.close()
        bounded.dispose()
    assert result.status is EnrollmentStatus.COMPLETED
    assert [entry.step for entry in state.path] == ["pause", "outreach", "done"]
    assert state.path[1].note == (
        "send failed on in_app: not delivered within the deadline of 0:00:03"
    )
    [(channel, status, detail)] = sends(store, "store-down")
    assert (channel, status) == ("in_app", "failed")
    assert "deadline" in detail
