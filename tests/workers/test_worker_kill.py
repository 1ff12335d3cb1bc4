"""Fault injection: a worker killed with SIGKILL in the middle of a send.

Real ``journeys worker`` processes on the dev server and a real slow webhook
receiver. The send in flight when the worker dies is never made twice: the next
worker finds it reserved and records it ``unknown`` with its reason (webhooks do
not de-duplicate), and the enrollment goes on to its end.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.contracts.enrollment import INTERPRETER_REVISION, EnrollmentInput, EnrollmentStatus
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.api_process import ROOT, server_env
from tests.support.delivery import ORG, SECRET, customer
from tests.support.provider_servers import HttpProviderServer
from tests.support.waiting import eventually
from tests.workers.test_worker_drain import webhook_journey
from workflows.journey_workflow import JourneyWorkflow

RESULT_BOUND_SECONDS = 180.0
"""The lost attempt is retried after the send's start-to-close timeout (60 s)."""


async def start_worker(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "journeys.cli",
            "worker",
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )


def send_row(store: Store, customer_id: str) -> tuple[str, str] | None:
    with store.transaction() as session:
        row = session.scalars(
            select(CommunicationLog).where(CommunicationLog.customer_id == customer_id)
        ).one_or_none()
        return None if row is None else (row.status, row.detail)


async def test_a_send_cut_by_kill_9_is_never_made_twice_and_says_why(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    receiver = HttpProviderServer(delay=3.0).start()
    customer(store, "killed")
    env = server_env(
        settings,
        dev_env.client.service_client.config.target_host,
        JOURNEYS_WEBHOOK_PROVIDER="http",
        JOURNEYS_WEBHOOK_URL=receiver.url + "/hooks",
        JOURNEYS_WEBHOOK_SECRET=SECRET,
        JOURNEYS_PROVIDER_TIMEOUT_SECONDS="30",
    )
    log_path = tmp_path / "workers.log"
    workers = [await start_worker(env, log_path)]
    try:
        handle = await dev_env.client.start_workflow(
            JourneyWorkflow.run,
            EnrollmentInput(
                org_id=ORG,
                customer_id="killed",
                definition=webhook_journey(),
                interpreter_revision=INTERPRETER_REVISION,
            ),
            id=f"kill-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )

        async def in_flight() -> bool:
            row = send_row(store, "killed")
            return row is not None and row[0] == "reserved"

        await eventually(in_flight, seconds=120)
        workers[0].send_signal(signal.SIGKILL)
        await workers[0].wait()
        workers.append(await start_worker(env, log_path))
        result = await asyncio.wait_for(handle.result(), RESULT_BOUND_SECONDS)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.terminate()
                await worker.wait()
        receiver.stop()
    assert result.status is EnrollmentStatus.COMPLETED
    row = send_row(store, "killed")
    assert row is not None
    status, detail = row
    assert status == "unknown", log_path.read_text()[-3000:]
    assert detail.startswith("outcome unknown: an attempt ended between the provider call"), detail
    assert len(receiver.requests) <= 1  # the call cut by the kill; never a second one
