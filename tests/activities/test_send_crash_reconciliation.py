"""SIGKILL a worker process repeatedly in the middle of a stream of sends.

Then reconcile what the real SMTP and HTTP servers received against the
communication log: zero duplicates, every message delivered or recorded unknown.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.store.inbox import list_inbox
from journeys.store.tables.communication import CommunicationLog
from tests.support.delivery import ORG, customer
from tests.support.provider_servers import HttpProviderServer, SmtpServer
from tests.support.send_stream_worker import READY, WORKFLOW_NAME, SendStream

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = 24
CHANNELS = ["email", "sms", "push", "webhook", "in_app"]
KILLS = 6


def worker_environment(settings, smtp: SmtpServer, http: HttpProviderServer, address: str):
    return {
        **os.environ,
        "JOURNEYS_TEMPORAL_ADDRESS": address,
        "JOURNEYS_TASK_QUEUE": settings.task_queue,
        "JOURNEYS_DATABASE_URL": settings.database_url,
        "JOURNEYS_DATA_DIR": str(settings.data_dir),
        "JOURNEYS_LOG_LEVEL": "warning",
        "JOURNEYS_EMAIL_PROVIDER": "smtp",
        "JOURNEYS_SMTP_PORT": str(smtp.port),
        "JOURNEYS_SMS_PROVIDER": "http",
        "JOURNEYS_SMS_API_BASE_URL": http.url,
        "JOURNEYS_SMS_ACCOUNT_SID": "AC123",
        "JOURNEYS_SMS_AUTH_TOKEN": "tok",
        "JOURNEYS_PUSH_PROVIDER": "http",
        "JOURNEYS_PUSH_API_BASE_URL": http.url,
        "JOURNEYS_PUSH_PROJECT_ID": "proj",
        "JOURNEYS_WEBHOOK_PROVIDER": "http",
        "JOURNEYS_WEBHOOK_URL": http.url + "/hooks",
        "JOURNEYS_WEBHOOK_SECRET": "s",
        "JOURNEYS_DELIVERY_FREQUENCY_CAPS": "[]",
    }


async def start_worker(environment: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as stderr:  # the child keeps its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.send_stream_worker",
            cwd=REPO,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.decode().strip() == READY, f"worker did not start; see {log}"
    return process


async def test_sigkill_mid_send_never_duplicates_and_records_everything(
    dev_env: WorkflowEnvironment, settings, store, tmp_path: Path
):
    smtp, http = SmtpServer(), HttpProviderServer(delay=0.15)
    smtp.delay = 0.15
    smtp.start()
    http.start()
    try:
        for number in range(CUSTOMERS):
            customer(store, f"kill-{number}")
        environment = worker_environment(
            settings, smtp, http, dev_env.client.service_client.config.target_host
        )
        run_id = uuid.uuid4().hex[:8]
        handles = [
            await dev_env.client.start_workflow(
                WORKFLOW_NAME,
                SendStream(org_id=ORG, customer_id=f"kill-{number}", channels=CHANNELS),
                id=f"stream-{run_id}-{number}",
                task_queue=settings.task_queue,
                result_type=list[str],
            )
            for number in range(CUSTOMERS)
        ]
        worker_log = tmp_path / "worker.log"
        kills_mid_send = 0
        for _ in range(KILLS):
            # The HTTP provider holds the next request: the worker dies while a send is in flight.
            http.release.clear()
            http.arrived.clear()
            process = await start_worker(environment, worker_log)
            assert await asyncio.to_thread(http.arrived.wait, 60), "no send reached the provider"
            with store.transaction() as session:
                in_flight = session.scalars(
                    select(CommunicationLog.id).where(CommunicationLog.status == "reserved")
                ).all()
            kills_mid_send += bool(in_flight)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            http.release.set()
        process = await start_worker(environment, worker_log)
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(handle.result() for handle in handles)), timeout=120
            )
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
    finally:
        smtp.stop()
        http.stop()

    received = Counter(
        message_id.strip("<>").split("@")[0] for message_id in smtp.message_ids()
    ) + Counter(http.keys())
    with store.transaction() as session:
        rows = session.scalars(select(CommunicationLog)).all()
        inbox_counts = Counter(
            len(list_inbox(session, org_id=ORG, customer_id=f"kill-{n}")) for n in range(CUSTOMERS)
        )
    statuses = Counter(row.status for row in rows)
    unknown_delivered = sum(
        1 for row in rows if row.status == "unknown" and received[row.idempotency_key]
    )
    print(
        f"\nSIGKILL reconciliation: sends={len(rows)} kills={KILLS}"
        f" kills_with_send_in_flight={kills_mid_send} statuses={dict(statuses)}"
        f" received={sum(received.values())} duplicates="
        f"{sum(1 for count in received.values() if count > 1)}"
        f" unknown_delivered={unknown_delivered}"
        f" unknown_not_delivered={statuses['unknown'] - unknown_delivered}"
    )
    assert len(rows) == CUSTOMERS * len(CHANNELS)
    assert all(set(result) <= {"sent", "unknown"} for result in results)
    assert set(statuses) <= {"sent", "unknown"}, statuses
    assert max(received.values()) == 1, "a message was delivered twice"
    keys = {row.idempotency_key for row in rows}
    assert set(received) <= keys, "a delivered message has no log row"
    for row in rows:
        if row.status == "sent" and row.channel != "in_app":
            assert received[row.idempotency_key] == 1, row.idempotency_key
    assert inbox_counts == {1: CUSTOMERS}
    assert kills_mid_send == KILLS
