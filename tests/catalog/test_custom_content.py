"""Content owned by the catalog: a team's journeys bring their own template and scorer."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.commands.exit_codes import EXIT_INVALID
from journeys.contracts.enrollment import EnrollmentResult
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import InboxMessage
from journeys.store.tables.decisions import DecisionAudit
from tests.support.api_process import ROOT, server_env
from tests.support.provider_servers import SmtpServer
from tests.support.team_catalog import TEAM_CATALOG, TEAM_DECISION_JOURNEY, TEAM_JOURNEY
from tests.support.temporal import journey_client, running_worker

ORG = "acme"


def add_team_customer(store: Store, customer_id: str) -> None:
    with store.transaction() as session:
        upsert_customer(
            session,
            org_id=ORG,
            customer_id=customer_id,
            attributes={"first_name": "Ada", "team": "Growth"},
        )


async def test_a_journey_with_its_own_template_sends_it(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    add_team_customer(store, "team-1")
    client = journey_client(time_skipping_env.client, store, settings, TEAM_CATALOG)
    async with running_worker(time_skipping_env.client, settings, store, TEAM_CATALOG):
        started = await client.enroll(ORG, "team-1", TEAM_JOURNEY.id)
        handle = time_skipping_env.client.get_workflow_handle(
            started.workflow_id, result_type=EnrollmentResult
        )
        assert (await handle.result()).outcome == "completed"
    with store.transaction() as session:
        [message] = session.scalars(
            select(InboxMessage).where(InboxMessage.customer_id == "team-1")
        ).all()
        assert (message.template, message.subject) == ("team_hello", "Hello Ada from Growth")
        assert message.body.startswith("Ada, the Growth team made this journey")


async def preview(settings: JourneySettings, *args: str, **env_extra: str) -> tuple[int, str, str]:
    env = server_env(
        settings,
        "127.0.0.1:1",
        JOURNEYS_CATALOG="tests.support.team_catalog:TEAM_CATALOG",
        **env_extra,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "journeys.cli",
        "preview",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_preview_renders_a_catalog_template_with_the_customer_data(
    store: Store, settings: JourneySettings
) -> None:
    add_team_customer(store, "team-2")
    code, out, _ = await preview(settings, "team_hello", "--customer", "team-2", "--org", ORG)
    assert code == 0
    assert "Subject: Hello Ada from Growth" in out
    assert "content: personalised; links: https://example.com/team" in out
    code, out, _ = await preview(
        settings, "team_hello", "--customer", "team-2", "--org", ORG, "--data", "team=Sales"
    )
    assert code == 0
    assert "Hello Ada from Sales" in out
    code, _, err = await preview(settings, "nope", "--customer", "team-2", "--org", ORG)
    assert code == EXIT_INVALID
    assert "template: unknown template 'nope'" in err
    code, _, err = await preview(settings, "team_hello", "--customer", "ghost", "--org", ORG)
    assert code == EXIT_INVALID
    assert "--customer: no customer 'ghost'" in err
    code, _, err = await preview(settings, "team_hello", "--customer", "team-2", "--data", "x")
    assert code == EXIT_INVALID
    assert "--data" in err


async def test_preview_sends_a_test_email_to_a_named_address(
    store: Store, settings: JourneySettings
) -> None:
    add_team_customer(store, "team-3")
    smtp = SmtpServer().start()
    try:
        args = ("team_hello", "--customer", "team-3", "--org", ORG)
        smtp_env = {"JOURNEYS_EMAIL_PROVIDER": "smtp", "JOURNEYS_SMTP_PORT": str(smtp.port)}
        code, out, _ = await preview(settings, *args, "--send-to", "qa@example.com", **smtp_env)
        assert code == 0
        assert "test email sent to qa@example.com via smtp" in out
        [message] = smtp.messages
        assert (message["To"], message["Subject"]) == ("qa@example.com", "Hello Ada from Growth")
        code, _, err = await preview(settings, *args, "--send-to", "not-an-address", **smtp_env)
        assert code == EXIT_INVALID
        assert "--send-to" in err
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()


async def test_a_journey_decides_with_its_catalog_own_scorer(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    now = datetime.now(UTC)
    for customer, login_days in (("team-active", 3), ("team-quiet", 1)):
        add_team_customer(store, customer)
        with store.transaction() as session:
            for day in range(login_days):
                record_event(
                    session,
                    org_id=ORG,
                    event_id=uuid.uuid4().hex,
                    customer_id=customer,
                    name="login",
                    occurred_at=now - timedelta(days=day, hours=1),
                    properties={},
                )
    client = journey_client(time_skipping_env.client, store, settings, TEAM_CATALOG)
    outcomes = {}
    async with running_worker(time_skipping_env.client, settings, store, TEAM_CATALOG):
        for customer in ("team-active", "team-quiet"):
            started = await client.enroll(ORG, customer, TEAM_DECISION_JOURNEY.id)
            handle = time_skipping_env.client.get_workflow_handle(
                started.workflow_id, result_type=EnrollmentResult
            )
            outcomes[customer] = (await handle.result()).outcome
    assert outcomes == {"team-active": "ready", "team-quiet": "not_ready"}
    with store.transaction() as session:
        rows = session.execute(
            select(DecisionAudit.customer_id, DecisionAudit.model_version, DecisionAudit.choice)
            .where(DecisionAudit.journey_id == TEAM_DECISION_JOURNEY.id)
            .order_by(DecisionAudit.customer_id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("team-active", "team-1", "ready"),
        ("team-quiet", "team-1", "not_ready"),
    ]
