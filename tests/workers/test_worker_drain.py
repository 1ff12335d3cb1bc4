"""A worker told to stop (SIGTERM, a deploy) lets the sends in flight finish.

A real ``journeys worker`` process on the dev server, a real slow HTTP webhook
receiver, and the store: the send in flight when SIGTERM arrives ends ``sent``,
never ``unknown``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.enrollment import INTERPRETER_REVISION, EnrollmentInput
from journeys.language import JourneyDefinition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.api_process import ROOT, server_env
from tests.support.delivery import ORG, SECRET, customer
from tests.support.provider_servers import HttpProviderServer
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

PROVIDER_SECONDS = 3.0
"""How long the webhook receiver takes to answer: the send is in flight that long."""

WORKER_START_SECONDS = 120.0


def webhook_journey() -> JourneyDefinition:
    return JourneyDefinition.model_validate(
        {
            "id": "drain_test",
            "version": 1,
            "metadata": {"name": "Drain test"},
            "start": "notify",
            "steps": {
                "notify": {
                    "type": "send",
                    "channels": ["webhook"],
                    "template": "churn_outreach",
                    "next": "done",
                },
                "done": {"type": "exit"},
            },
        }
    )


def send_status(store: Store, customer_id: str) -> str | None:
    with store.transaction() as session:
        return session.scalar(
            select(CommunicationLog.status).where(CommunicationLog.customer_id == customer_id)
        )


async def test_sigterm_lets_the_send_in_flight_finish(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    receiver = HttpProviderServer(delay=PROVIDER_SECONDS).start()
    customer(store, "drain")
    env = server_env(
        settings,
        dev_env.client.service_client.config.target_host,
        JOURNEYS_WEBHOOK_PROVIDER="http",
        JOURNEYS_WEBHOOK_URL=receiver.url + "/hooks",
        JOURNEYS_WEBHOOK_SECRET=SECRET,
        JOURNEYS_PROVIDER_TIMEOUT_SECONDS="30",
        JOURNEYS_WORKER_GRACEFUL_SHUTDOWN_SECONDS="20",
    )
    log_path = tmp_path / "worker.log"
    workflow_id = f"drain-{uuid.uuid4().hex[:8]}"
    with log_path.open("wb") as log:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "journeys.cli",
            "worker",
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        handle = await dev_env.client.start_workflow(
            JourneyWorkflow.run,
            EnrollmentInput(
                org_id=ORG,
                customer_id="drain",
                definition=webhook_journey(),
                interpreter_revision=INTERPRETER_REVISION,
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
        )

        async def in_flight() -> bool:
            assert worker.returncode is None, log_path.read_text()[-3000:]
            return send_status(store, "drain") == "reserved"

        await eventually(in_flight, seconds=WORKER_START_SECONDS)
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(worker.wait(), timeout=60)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        receiver.stop()
    assert send_status(store, "drain") == "sent", log_path.read_text()[-3000:]
    assert len(receiver.requests) == 1
    assert exit_code == 0, log_path.read_text()[-3000:]
    await handle.terminate("test over")
