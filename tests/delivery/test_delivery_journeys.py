"""Sends inside the real JourneyWorkflow on the dev server: fallback order, outage then recovery."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.enrollment import EnrollmentInput, EnrollmentStatus
from journeys.language import JourneyDefinition
from journeys.store.customers import upsert_customer
from journeys.store.tables.communication import CommunicationLog, ProviderAttempt
from tests.support.delivery import ORG, customer, provider_settings
from tests.support.provider_servers import Behaviour, HttpProviderServer, SmtpServer
from tests.support.temporal import running_worker
from workflows.journey_workflow import JourneyWorkflow


def outreach_journey(channels: list[str]) -> JourneyDefinition:
    return JourneyDefinition.model_validate(
        {
            "id": "delivery_test",
            "version": 1,
            "metadata": {"name": "Delivery test"},
            "start": "outreach",
            "steps": {
                "outreach": {
                    "type": "send",
                    "channels": channels,
                    "template": "churn_outreach",
                    "next": "done",
                },
                "done": {"type": "exit"},
            },
        }
    )


async def run_journey(env: WorkflowEnvironment, settings, store, customer_id, channels):
    async with running_worker(env.client, settings, store):
        handle = await env.client.start_workflow(
            JourneyWorkflow.run,
            EnrollmentInput(
                org_id=ORG, customer_id=customer_id, definition=outreach_journey(channels)
            ),
            id=f"delivery-test-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
        result = await handle.result()
    assert result.status is EnrollmentStatus.COMPLETED
    with store.transaction() as session:
        return [
            (row.channel, row.status)
            for row in session.scalars(
                select(CommunicationLog)
                .where(CommunicationLog.customer_id == customer_id)
                .order_by(CommunicationLog.id)
            )
        ]


async def test_fallback_chain_is_tried_in_order(dev_env, settings, store):
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    try:
        config = provider_settings(settings, smtp, http)
        customer(store, "fallback")
        with store.transaction() as session:
            profile = upsert_customer(session, org_id=ORG, customer_id="fallback")
            profile.attributes = {k: v for k, v in profile.attributes.items() if k != "push_token"}
        http.script.append(Behaviour(400))  # the SMS API refuses the number: permanent
        log = await run_journey(dev_env, config, store, "fallback", ["sms", "push", "email"])
    finally:
        smtp.stop()
        http.stop()
    assert log == [("sms", "failed"), ("push", "failed"), ("email", "sent")]
    assert [m["To"] for m in smtp.messages] == ["fallback@example.com"]


async def test_provider_outage_on_the_last_channel_retries_until_recovery(dev_env, settings, store):
    smtp, http, alerts = (
        SmtpServer().start(),
        HttpProviderServer().start(),
        HttpProviderServer().start(),
    )
    try:
        config = provider_settings(
            settings, smtp, http, ops_alert_webhook_url=alerts.url + "/slack"
        )
        customer(store, "outage")
        http.script.extend([Behaviour(503), Behaviour(429, {"Retry-After": "1"})])
        log = await run_journey(dev_env, config, store, "outage", ["push"])
    finally:
        smtp.stop()
        http.stop()
        alerts.stop()
    assert log == [("push", "sent")]
    assert len(http.requests) == 1
    assert smtp.messages == []
    with store.transaction() as session:
        attempts = session.scalars(
            select(ProviderAttempt.outcome).order_by(ProviderAttempt.id)
        ).all()
    assert attempts == ["retrying", "retrying", "sent"]
    [alert] = alerts.requests  # one outage, one alert (rate-limited)
    assert "provider_failing" in alert.json()["text"]


async def test_channel_failure_retries_once_then_switches_to_the_backup(dev_env, settings, store):
    """Seed 001: channel failure -> retry once; switch to backup channel; log; alert ops."""
    smtp, http, alerts = (
        SmtpServer().start(),
        HttpProviderServer().start(),
        HttpProviderServer().start(),
    )
    try:
        config = provider_settings(
            settings, smtp, http, ops_alert_webhook_url=alerts.url + "/slack"
        )
        customer(store, "backup")
        http.script.extend([Behaviour(503), Behaviour(503), Behaviour(503)])
        log = await run_journey(dev_env, config, store, "backup", ["push", "email"])
    finally:
        smtp.stop()
        http.stop()
        alerts.stop()
    assert log == [("push", "failed"), ("email", "sent")]
    assert len(smtp.messages) == 1
    with store.transaction() as session:
        attempts = session.scalars(
            select(ProviderAttempt.outcome).order_by(ProviderAttempt.id)
        ).all()
    assert attempts == ["retrying", "failed", "sent"]
    [alert] = alerts.requests  # the push outage alerts ops once (rate-limited)
    assert "provider_failing" in alert.json()["text"]
