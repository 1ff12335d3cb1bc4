"""Next-best-action decision latency for a customer with a realistic history.

Stores a synthetic population, trains the models on it, gives one customer
>= 1,000 behavioural events and a communication log, then times the
next-best-action decision (features, two model predictions, consent, frequency
caps, ranking and the audit-trail write) in-process and through the Temporal
activity (``ActivityEnvironment``), and saves the figures to
``bench/results/decisions.json``.

Usage: ``.venv/bin/python -m bench.decisions [--decisions 10000] [--events 1200]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.next_best_action import NextBestActionActivities
from journeys.decisioning.customer_decisions import CustomerDecisions
from journeys.decisioning.next_best_action import NextBestActionRequest
from journeys.delivery.frequency_caps import BLUEPRINT_FREQUENCY_CAPS
from journeys.devtools.synthetic_history import OUTCOME_HORIZON, generate_history
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring.model_training import store_history, train_models
from journeys.scoring.predictive_models import ModelRegistry
from journeys.store import Store
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog

RESULTS = Path(__file__).parent / "results" / "decisions.json"
ORG = "bench"
CUSTOMER = "bench-customer"
WARMUP = 200


def seed_customer(store: Store, now: datetime, events: int) -> None:
    rng = random.Random(7)
    names = [event.value for event in BehaviourEvent if "offer" not in event.value][:6]
    with store.transaction() as session:
        upsert_customer(
            session,
            org_id=ORG,
            customer_id=CUSTOMER,
            attributes={
                "name": "Jane Smith",
                "plan": "starter",
                "adoption_score": 62,
                "mrr": 49,
                "signup_at": (now - timedelta(days=180)).isoformat(),
            },
        )
        for number in range(events):
            record_event(
                session,
                org_id=ORG,
                event_id=f"bench-{number}",
                customer_id=CUSTOMER,
                name=rng.choice(names),
                occurred_at=now - timedelta(minutes=rng.uniform(1, 90 * 24 * 60)),
                properties={"source": "bench"},
            )
        for number in range(20):
            at = now - timedelta(days=number * 2 + 1)
            session.add(
                CommunicationLog(
                    idempotency_key=uuid.uuid4().hex,
                    org_id=ORG,
                    customer_id=CUSTOMER,
                    journey_id="bench",
                    journey_version=1,
                    workflow_id="bench",
                    enrollment_id="bench",
                    step_key=f"send#{number}",
                    channel=["email", "push", "in_app"][number % 3],
                    template="bench",
                    status="sent",
                    created_at=at,
                    updated_at=at,
                    slot_at=at,
                    opened_at=at if number % 2 else None,
                )
            )


def percentiles(samples: list[float], prefix: str) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]

    return {
        f"{prefix}p50_ms": round(at(0.50), 3),
        f"{prefix}p90_ms": round(at(0.90), 3),
        f"{prefix}p99_ms": round(at(0.99), 3),
        f"{prefix}max_ms": round(ordered[-1], 3),
        f"{prefix}mean_ms": round(statistics.fmean(ordered), 3),
    }


def measure(call: Callable[[], Any], count: int) -> dict[str, float]:
    """Wall-clock latency, and the CPU time of the calling thread (unaffected by other load)."""
    for _ in range(WARMUP):
        call()
    wall, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {"decisions": count, **percentiles(wall, ""), **percentiles(cpu, "cpu_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_200)
    parser.add_argument("--customers", type=int, default=1_500, help="training population")
    parser.add_argument("--database-url", default="", help="store URL (default: SQLite)")
    arguments = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        store = Store(arguments.database_url or f"sqlite:///{folder / 'bench.db'}")
        store.migrate()
        now = datetime.now(UTC)
        as_of = now - OUTCOME_HORIZON
        store_history(
            store,
            org_id=ORG,
            history=generate_history(org_id=ORG, customers=arguments.customers, as_of=as_of),
        )
        registry = ModelRegistry(folder / "models")
        trained = train_models(store, registry, org_id=ORG, as_of=as_of, now=now)
        seed_customer(store, now, arguments.events)
        decisions = CustomerDecisions(store, registry)
        activities = NextBestActionActivities(decisions)
        environment = ActivityEnvironment()
        request = NextBestActionRequest(
            org_id=ORG, customer_id=CUSTOMER, frequency_caps=list(BLUEPRINT_FREQUENCY_CAPS)
        )
        unrecorded = request.model_copy(update={"record": False})
        sample = decisions.next_best_action(unrecorded)
        figures = {
            "in_process_recorded": measure(
                lambda: decisions.next_best_action(request), arguments.decisions
            ),
            "in_process_not_recorded": measure(
                lambda: decisions.next_best_action(unrecorded), arguments.decisions
            ),
            "activity_recorded": measure(
                lambda: environment.run(activities.next_best_action, request), arguments.decisions
            ),
        }
        store.dispose()
    result = {
        "benchmark": "next_best_action decision latency",
        "command": "python -m bench.decisions",
        "store": "postgresql" if arguments.database_url else "sqlite",
        "customer_events": arguments.events,
        "training_customers": arguments.customers,
        "model_version": sample.model_version,
        "models": {
            outcome.name.value: round(outcome.metadata.metrics.auc, 3)
            for outcome in trained
            if outcome.metadata
        },
        "sample_choice": sample.choice,
        "machine": f"{platform.machine()} {platform.system()} python {platform.python_version()}",
        "cpus": os.cpu_count(),
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "measured_at": now.isoformat(timespec="seconds"),
        **figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
