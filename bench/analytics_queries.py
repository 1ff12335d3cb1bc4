"""Timings of the analytics queries on a generated store (target: under 1 s each).

Generates ``--enrollments`` enrollments (100,000 by default) of one journey over
60 days in a fresh PostgreSQL database (or SQLite): each with its step visits
(the path of seed 000's onboarding shape), an experiment arm, an ending, about
two sends and one decision, plus ``ALERTS`` health alerts (one in ten open);
then times the report (whole range, one version, one arm), the experiment
verdict, the health check, the live view, the web dashboard's journey page,
one customer's paths (its customer page), the rollout status's ended
enrollments and the alert reads (the API's ``/metrics`` reads the open counts
on every scrape). Saves the figures to ``bench/results/analytics_queries.json``.

Usage: ``.venv/bin/python -m bench.analytics_queries [--enrollments 100000]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]``
"""

from __future__ import annotations

import argparse
import json
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

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from activities.health_checks import AlertDelivery, HealthCheckActivities
from journeys.analytics.experiments import experiment_result
from journeys.analytics.queries import ReportRequest, requested_report
from journeys.catalog import Catalog
from journeys.dashboard.live_view import live_view
from journeys.dashboard.web_figures import journey_page
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.health_alerts import alert_history, open_alert_counts
from journeys.store.journey_analytics import customer_paths
from journeys.store.journey_versions import ended_enrollments
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, StepVisitRow
from journeys.store.tables.journeys import HealthAlert
from tests.support.measured_population import MEASURED

RESULTS = Path(__file__).parent / "results" / "analytics_queries.json"
ORG = "bench"
NOW = datetime(2026, 11, 30, tzinfo=UTC)
BATCH = 5_000
ALERTS = 5_000
PATHS = [
    (["split", "ARM", "day_0"], "exited", "goal_reached", 0.25),
    (["split", "ARM", "day_0", "day_3", "done"], "completed", "completed_journey", 0.35),
    (["split", "ARM", "day_0", "nudge", "day_3", "done"], "completed", "completed_journey", 0.2),
    (["split", "ARM", "day_0"], "exited", "exit_event:account_closed", 0.1),
    (["split", "ARM", "day_0"], "active", None, 0.1),
]


def generate(store: Store, count: int, seed: int = 7) -> float:
    """Insert ``count`` enrollments with their visits, sends and decisions; seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    weights = [p[3] for p in PATHS]
    rows: dict[Any, list[dict[str, Any]]] = {
        Enrollment: [],
        StepVisitRow: [],
        CommunicationLog: [],
        DecisionAudit: [],
    }

    def flush() -> None:
        with store.transaction() as session:
            for model, batch in rows.items():
                if batch:
                    session.execute(insert(model), batch)
                    batch.clear()

    for index in range(count):
        enrollment_id = uuid.uuid4().hex
        customer = f"c{index}"
        arm = "short" if rng.random() < 0.5 else "long"
        steps, status, outcome, _ = rng.choices(PATHS, weights)[0]
        steps = [f"welcome_{arm}" if s == "ARM" else s for s in steps]
        start = NOW - timedelta(days=60 * rng.random())
        version = 1 if rng.random() < 0.7 else 2
        ended = None if status == "active" else start + timedelta(days=rng.uniform(0.1, 3))
        rows[Enrollment].append(
            {
                "enrollment_id": enrollment_id,
                "org_id": ORG,
                "customer_id": customer,
                "journey_id": MEASURED.id,
                "journey_version": version,
                "workflow_id": f"wf-{enrollment_id}",
                "status": status,
                "outcome": outcome,
                "started_at": start,
                "ended_at": ended,
                "experiment_arms": {"welcome_copy": arm},
                "final_step": None if ended is None else steps[-1],
            }
        )
        for visit, step in enumerate(steps):
            rows[StepVisitRow].append(
                {
                    "org_id": ORG,
                    "enrollment_id": enrollment_id,
                    "customer_id": customer,
                    "journey_id": MEASURED.id,
                    "journey_version": version,
                    "step": step,
                    "visit": 1,
                    "entered_at": start + timedelta(hours=visit),
                    "experiment": "welcome_copy" if step == "split" else None,
                    "arm": arm if step == "split" else None,
                }
            )
        for step in [s for s in steps if s.startswith(("welcome", "nudge"))]:
            key = uuid.uuid4().hex
            rows[CommunicationLog].append(
                {
                    "idempotency_key": key,
                    "org_id": ORG,
                    "customer_id": customer,
                    "journey_id": MEASURED.id,
                    "journey_version": version,
                    "workflow_id": f"wf-{enrollment_id}",
                    "enrollment_id": enrollment_id,
                    "step_key": f"{step}#1",
                    "channel": rng.choice(["email", "in_app", "push"]),
                    "template": "t",
                    "status": rng.choices(
                        ["sent", "capped", "suppressed", "failed"], [0.9, 0.05, 0.03, 0.02]
                    )[0],
                    "created_at": start,
                    "updated_at": start,
                }
            )
        rows[DecisionAudit].append(
            {
                "org_id": ORG,
                "customer_id": customer,
                "journey_id": MEASURED.id,
                "enrollment_id": enrollment_id,
                "step_key": "check#1",
                "decision": "check",
                "model_name": "engagement",
                "model_version": "unavailable" if rng.random() < 0.02 else "seed-000",
                "inputs": {},
                "candidates": [{"name": "high", "score": rng.random()}],
                "choice": "high",
                "rationale": "",
                "decided_at": start,
                "recorded_at": start,
            }
        )
        if len(rows[Enrollment]) >= BATCH:
            flush()
    flush()
    with store.transaction() as session:
        session.execute(insert(HealthAlert), [_alert(rng, index) for index in range(ALERTS)])
    return time.perf_counter() - started


def _alert(rng: random.Random, index: int) -> dict[str, Any]:
    """One generated health alert over the 60 days; one in ten is still open."""
    raised = NOW - timedelta(days=60 * rng.random())
    return {
        "org_id": ORG,
        "journey_id": f"journey_{index % 50}",
        "journey_version": 1,
        "rule": rng.choice(["drop_off_rate", "completion_rate", "decision_error_rate"]),
        "severity": "critical",
        "message": "m",
        "value": 0.5,
        "threshold": 0.3,
        "raised_at": raised,
        "last_seen_at": raised,
        "resolved_at": None if index % 10 == 0 else raised + timedelta(hours=6),
        "delivered": "slack",
    }


def timed(label: str, run: Callable[[], object], repeat: int = 3) -> dict[str, Any]:
    """The median of ``repeat`` runs after one warm-up run, in seconds.

    The median, not the best: the machine is shared, and one lucky run would
    hide a query that is slow whenever anything else is running.
    """
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"  {label:<44} {median * 1000:8.1f} ms   (runs: {runs})")
    return {"query": label, "median_seconds": median, "runs": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--postgres", default="", help="admin URL of a PostgreSQL server")
    parser.add_argument(
        "--label", default="", help="suffix of the results file, e.g. 'before' or 'after'"
    )
    arguments = parser.parse_args()
    database = ""
    admin = None
    if arguments.postgres:
        database = f"bench_analytics_{uuid.uuid4().hex[:8]}"
        admin = create_engine(arguments.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(arguments.postgres).set(database=database).render_as_string(False)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    store = Store(url)
    try:
        store.migrate()
        print(f"generating {arguments.enrollments:,} enrollments in {store.dialect}...")
        seconds = generate(store, arguments.enrollments)
        print(f"  generated in {seconds:.1f} s")
        if store.dialect == "postgresql":
            with store.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        catalog = Catalog([MEASURED])
        settings = JourneySettings()
        since = NOW - timedelta(days=30)

        def report(**extra: Any) -> Callable[[], object]:
            request = ReportRequest(
                org_id=ORG, journey_id=MEASURED.id, since=since, until=NOW, **extra
            )
            return lambda: requested_report(store, catalog, request)

        def read(query: Callable[..., object], *args: Any, **kwargs: Any) -> Callable[[], object]:
            def run() -> object:
                with store.transaction() as session:
                    return query(session, *args, **kwargs)

            return run

        checker = HealthCheckActivities(store, catalog, settings, AlertDelivery("", "", ""))
        print("timings (median of 3 after a warm-up run):")
        figures = [
            timed("report, 30 days, all versions", report()),
            timed("report, 30 days, version 1", report(version=1)),
            timed(
                "report, 30 days, arm welcome_copy=long",
                report(experiment="welcome_copy", arm="long"),
            ),
            timed(
                "experiment verdict (500 per arm)",
                lambda: experiment_result(
                    store,
                    MEASURED,
                    org_id=ORG,
                    experiment="welcome_copy",
                    min_sample_per_arm=500,
                    alpha=0.05,
                ),
            ),
            timed("health check (7-day window, 28-day baseline)", lambda: checker.check(NOW)),
            timed("live view (seed 001)", lambda: live_view(store, ORG, NOW)),
            timed(
                "web dashboard journey page (3 reports, verdict)",
                lambda: journey_page(
                    store, settings, MEASURED, org_id=ORG, version=None, now=NOW, days=30
                ),
            ),
            timed("one customer's paths (customer page)", read(customer_paths, ORG, "c54321")),
            timed(
                "ended enrollments (rollout status)",
                read(ended_enrollments, ORG, MEASURED.id),
            ),
            timed("open alerts of the org (live view)", read(alert_history, ORG, active_only=True)),
            timed("open alert counts (API /metrics scrape)", read(open_alert_counts)),
        ]
        results = (
            RESULTS.with_stem(f"{RESULTS.stem}-{arguments.label}") if arguments.label else RESULTS
        )
        results.parent.mkdir(exist_ok=True)
        results.write_text(
            json.dumps(
                {
                    "enrollments": arguments.enrollments,
                    "dialect": store.dialect,
                    "generated_seconds": seconds,
                    "machine": platform.platform(),
                    "label": arguments.label,
                    "figures": figures,
                },
                indent=2,
            )
        )
        print(f"saved {results}")
    finally:
        store.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
