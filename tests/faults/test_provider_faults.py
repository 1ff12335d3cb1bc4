"""Providers that fail, and provider feedback during a Temporal outage.

Journey sends through a real worker on a real Temporal dev server to a real
HTTP provider on loopback that answers 500, 429 with ``Retry-After``, hangs
past the client timeout or drops the connection after acting on the request.
Each message is delivered exactly once as the provider counts deliveries (by
idempotency key), or recorded with its reason. Then a click webhook posted
while Temporal is stopped: accepted, and heard once by the waiting journey
after Temporal is back.

Each test prints one figure line (``FAULT ...``); ``pytest -s`` shows them.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.delivery.feedback_events import EMAIL_EVENTS_PATH, email_api_signature
from journeys.devtools.dev_stack import TemporalDevServer
from journeys.language.channels import Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.api_process import api_process
from tests.support.delivery import ORG, customer, provider_settings
from tests.support.fault_journeys import (
    CATALOG_SETTING,
    CLICK_JOURNEY,
    FAULT_CATALOG,
    webhook_journey,
)
from tests.support.network import free_port, new_customer_id
from tests.support.provider_servers import Behaviour, HttpProviderServer, SmtpServer
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually
from workers.journey_worker import sweeping_unrouted_events
from workflows.journey_workflow import JourneyWorkflow

HUNG_SECONDS = 1.5
"""Past the providers' client timeout in these tests (``provider_timeout_seconds`` 0.5)."""

NO_ANSWER = "no answer"
"""How the send log says the provider may have acted on a request it did not answer."""

WEBHOOK_SECRET = "whsec_" + "ZmF1bHQtdGVzdHMtd2ViaG9vay1zZWNyZXQ="
REQUEST_BOUND_SECONDS = 30.0
"""Far above the API's bound on a Temporal call that fails, far below a hang."""


@dataclass
class ProviderFault:
    """One way a provider fails, and what the send must end as."""

    script: list[Behaviour]
    status: str
    received: int
    """Requests the provider acted on (the same idempotency key each time)."""
    resend_in_doubt: bool = False
    detail: str = ""
    standing: Behaviour | None = None


FAULTS = {
    "500-twice": ProviderFault([Behaviour(500)] * 2, "sent", 1),
    "429-twice": ProviderFault([Behaviour(429, {"Retry-After": "1"})] * 2, "sent", 1),
    "hang-resent": ProviderFault([Behaviour(hang=HUNG_SECONDS)], "sent", 2, True),
    "drop-resent": ProviderFault([Behaviour(drop=True)], "sent", 2, True),
    "hang-in-doubt": ProviderFault([Behaviour(hang=HUNG_SECONDS)], "unknown", 1, detail=NO_ANSWER),
    "drop-in-doubt": ProviderFault([Behaviour(drop=True)], "unknown", 1, detail=NO_ANSWER),
    "500-past-the-deadline": ProviderFault(
        [], "failed", 0, detail="deadline", standing=Behaviour(500)
    ),
}


def log_rows(store: Store, customer_id: str) -> list[tuple[str, str, str, str]]:
    with store.transaction() as session:
        return [
            (row.channel, row.status, row.detail, row.idempotency_key)
            for row in session.scalars(
                select(CommunicationLog).where(CommunicationLog.customer_id == customer_id)
            )
        ]


@pytest.mark.parametrize("name", list(FAULTS))
async def test_a_failing_provider_gets_each_message_once_or_it_is_recorded_with_its_reason(
    name: str, dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    fault = FAULTS[name]
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    resend = [Channel.IN_APP, Channel.WEBHOOK] if fault.resend_in_doubt else [Channel.IN_APP]
    config = provider_settings(settings, smtp, http, delivery_resend_unknown_channels=resend)
    catalog = Catalog([webhook_journey(timedelta(seconds=8))])
    who = new_customer_id()
    customer(store, who)
    http.script.extend(fault.script)
    http.failing = fault.standing
    try:
        async with running_worker(dev_env.client, config, store, catalog):
            client = journey_client(dev_env.client, store, config, catalog)
            started = await client.enroll(ORG, who, "fault_webhook")
            handle = dev_env.client.get_workflow_handle_for(
                JourneyWorkflow.run, started.workflow_id
            )
            result = await handle.result()

            async def provider_done() -> bool:
                return len(http.keys()) >= fault.received

            # A hung request is acted on after the client gave up on it.
            await eventually(provider_done, seconds=10)
            state = await handle.query(JourneyWorkflow.state)
    finally:
        smtp.stop()
        http.stop()
    assert result.status is EnrollmentStatus.COMPLETED
    [(channel, status, detail, send_key)] = log_rows(store, who)
    assert (channel, status) == ("webhook", fault.status), detail
    assert fault.detail in detail
    keys = http.keys()
    assert len(keys) == fault.received
    # What the provider counts as new deliveries: one key, the send's, whatever the repeats.
    assert set(keys) == ({send_key} if fault.received else set()), keys
    if fault.status == "failed":
        assert state.path[0].note is not None
        assert "deadline" in state.path[0].note
    delivered = len(set(keys))
    print(
        f"\nFAULT provider {name}: runs=1 faults={len(fault.script) or 'standing'} events=0"
        f" sends=1 requests={len(keys)} delivered={delivered} recorded={status} losses=0"
        f" duplicates={len(keys) and delivered - 1} (a repeat carries the same idempotency key)"
    )


def click_webhook(key: str, event_id: str) -> dict[str, Any]:
    """A signed email API ``email.clicked`` webhook for the send ``key``."""
    body = json.dumps(
        {
            "type": "email.clicked",
            "created_at": datetime.now(UTC).isoformat(),
            "data": {
                "email_id": "m1",
                "tags": {"org_id": ORG, "idempotency_key": key},
                "click": {"link": "https://example.com/book-a-call"},
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    return {
        "content": body,
        "headers": {
            "svix-id": event_id,
            "svix-timestamp": stamp,
            "svix-signature": email_api_signature(WEBHOOK_SECRET, event_id, stamp, body),
            "content-type": "application/json",
        },
    }


def sent_keys(store: Store, customer_id: str) -> list[str]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(CommunicationLog.idempotency_key)
                .where(
                    CommunicationLog.customer_id == customer_id,
                    CommunicationLog.status == "sent",
                )
                .order_by(CommunicationLog.id)
            )
        )


@pytest.fixture
def outage_settings(tmp_path: Path) -> JourneySettings:
    return JourneySettings(
        data_dir=tmp_path / "data",
        task_queue=f"feedback-outage-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        unrouted_event_sweep_seconds=0.5,
        unrouted_event_grace_seconds=0,
    )


async def waiting_for_the_click(temporal: Client, workflow_id: str) -> None:
    handle = temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)

    async def waiting() -> bool:
        return (await handle.query(JourneyWorkflow.state)).waiting_for == ["email_clicked"]

    await eventually(waiting, seconds=30)


async def test_a_click_webhook_during_a_temporal_outage_is_accepted_and_heard_once_after_it(
    outage_settings: JourneySettings, tmp_path: Path
) -> None:
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    settings = provider_settings(
        outage_settings, smtp, http, email_webhook_secret=WEBHOOK_SECRET, catalog=CATALOG_SETTING
    )
    store = Store(settings.resolved_database_url)
    store.migrate()
    who = new_customer_id()
    customer(store, who)
    server = TemporalDevServer(settings)
    temporal = await server.start()
    try:
        with api_process(
            settings,
            settings.temporal_address,
            tmp_path / "api.log",
            JOURNEYS_EMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
            JOURNEYS_CATALOG=CATALOG_SETTING,
        ) as url:
            async with running_worker(temporal, settings, store, FAULT_CATALOG):
                client = journey_client(temporal, store, settings, FAULT_CATALOG)
                started = await client.enroll(ORG, who, CLICK_JOURNEY.id)
                await waiting_for_the_click(temporal, started.workflow_id)
            [first] = sent_keys(store, who)
            await server.stop()
            webhook = click_webhook(first, f"msg_{uuid.uuid4().hex}")
            async with httpx.AsyncClient(base_url=url, timeout=REQUEST_BOUND_SECONDS) as api:
                accepted = await api.post(EMAIL_EVENTS_PATH, **webhook)
                assert accepted.status_code == 200, accepted.text
                assert accepted.json()["recorded"] is True
                assert accepted.json()["routed"] is False
                retried = await api.post(EMAIL_EVENTS_PATH, **webhook)
                assert retried.status_code == 200, retried.text
                assert retried.json()["recorded"] is False
                temporal = await server.start()
                async with (
                    running_worker(temporal, settings, store, FAULT_CATALOG),
                    sweeping_unrouted_events(temporal, settings, store, FAULT_CATALOG),
                ):
                    handle = temporal.get_workflow_handle_for(
                        JourneyWorkflow.run, started.workflow_id
                    )
                    result = await handle.result()
                    # The provider's retry after the outage changes nothing.
                    again = await api.post(EMAIL_EVENTS_PATH, **webhook)
                    assert again.status_code == 200, again.text
                    assert again.json()["recorded"] is False
                    state = await handle.query(JourneyWorkflow.state)
    finally:
        await server.stop()
        smtp.stop()
        http.stop()
        store.dispose()
    assert result.status is EnrollmentStatus.COMPLETED
    assert [entry.step for entry in state.path] == ["first", "hold", "thanks", "done"]
    assert state.event_counts.get("email_clicked") == 1
    assert len(sent_keys(store, who)) == 2
    print(
        "\nFAULT feedback during a Temporal outage: runs=1 faults=1 events=1 sends=2"
        " losses=0 duplicates=0 (webhook posted twice during the outage, once after)"
    )
