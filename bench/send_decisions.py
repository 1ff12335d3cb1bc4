"""Throughput of the send path with every guarantee (lock, caps, consent, idempotency).

Runs the real ``deliver_message`` activity with the in-app provider (no
network) from several threads: first spread over many customers, then all on
one customer (every decision serialises on that customer's lock; caps turn
most sends into ``capped``). Saves the figures to
``bench/results/send_decisions.json``.

Usage: ``.venv/bin/python -m bench.send_decisions [--sends 2000] [--threads 8]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from activities.message_delivery import MessageDeliveryActivities
from journeys.contracts.activities import SendRequest
from journeys.language.channels import Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.structured_logs import configure_logging
from workers.journey_worker import build_providers

RESULTS = Path(__file__).parent / "results" / "send_decisions.json"


def run(store: Store, sends: int, threads: int, customers: int) -> dict[str, Any]:
    settings = JourneySettings(data_dir=Path(tempfile.mkdtemp()))
    delivery = MessageDeliveryActivities(store, build_providers(settings, store), settings)
    tag = uuid.uuid4().hex[:6]

    def send(number: int) -> tuple[str, float]:
        started = time.perf_counter()
        outcome = delivery.deliver_message(
            SendRequest(
                org_id="bench",
                customer_id=f"c-{tag}-{number % customers}",
                journey_id="bench",
                journey_version=1,
                workflow_id=f"wf-{number}",
                enrollment_id=f"enr-{tag}-{number}",
                step_key="s#1",
                channel=Channel.IN_APP,
                template="welcome",
            )
        )
        return outcome.status.value, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(send, range(sends)))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for _, latency in results)
    return {
        "sends": sends,
        "customers": customers,
        "threads": threads,
        "sends_per_second": round(sends / elapsed, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "statuses": dict(Counter(status for status, _ in results)),
    }


def scenarios(store: Store, sends: int, threads: int) -> dict[str, Any]:
    store.migrate()
    return {
        "many_customers": run(store, sends, threads, customers=max(1, sends // 10)),
        "one_customer": run(store, sends // 4, threads, customers=1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgres", default="")
    arguments = parser.parse_args()
    configure_logging(JourneySettings(log_level="warning", log_format="json"))
    figures: dict[str, Any] = {"machine": platform.platform(), "cpus": os.cpu_count()}
    sqlite = Store(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    figures["sqlite"] = scenarios(sqlite, arguments.sends, arguments.threads)
    sqlite.dispose()
    if arguments.postgres:
        admin_url = JourneySettings(database_url=arguments.postgres).database_url
        name = f"journeys_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        store = Store(make_url(admin_url).set(database=name).render_as_string(False))
        try:
            figures["postgresql"] = scenarios(store, arguments.sends, arguments.threads)
        finally:
            store.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
