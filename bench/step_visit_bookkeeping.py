"""Worker CPU of an enrollment's bookkeeping writes, with and without step visits.

The throughput benchmark's journey (wait for an event, send, exit) writes its
enrollment row through the local bookkeeping activities. This script calls those
activities (``ActivityEnvironment``, a real store) the way each interpreter
revision does for one enrollment of that journey, in alternating blocks in one
process, and prints the CPU per enrollment of each:

- ``no_visits`` (revision 1): the start; the end.
- ``revision_2``: the start; the first step's visit where the enrollment first
  rests (a second local activity); the end with the other two visits.
- ``revision_3``: the start with the first step's visit; the end with the other two.

What it leaves out is the same for every shape except revision 2's extra local
activity, whose history event and activation the throughput benchmark counts.

Usage: ``.venv/bin/python -m bench.step_visit_bookkeeping [--enrollments 3000]
[--rounds 5] [--database-url URL]``
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.enrollment_records import EnrollmentRecordActivities
from bench.bench_journeys import BENCH_CATALOG, BENCH_JOURNEY
from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus, StepVisit
from journeys.routing.live_versions import LiveVersions
from journeys.store import Store

RESULTS = Path(__file__).parent / "results" / "step_visit_bookkeeping.json"
ORG = "bench"

Enrollment = Callable[[EnrollmentRecordActivities, ActivityEnvironment, str], None]
"""Writes one enrollment's bookkeeping the way one interpreter revision does."""


def _record(customer: str, status: EnrollmentStatus, visits: list[str]) -> EnrollmentRecord:
    now = datetime.now(UTC)
    return EnrollmentRecord(
        org_id=ORG,
        customer_id=customer,
        journey_id=BENCH_JOURNEY.id,
        journey_version=BENCH_JOURNEY.version,
        workflow_id=f"journey:{ORG}:{BENCH_JOURNEY.id}:{customer}",
        enrollment_id=f"run-{customer}",
        status=status,
        outcome=None if status is EnrollmentStatus.ACTIVE else "converted",
        at=now,
        visits=[StepVisit(step=step, visit=1, entered_at=now) for step in visits],
        final_step=None if status is EnrollmentStatus.ACTIVE else "done",
    )


def no_visits(activities: EnrollmentRecordActivities, env: ActivityEnvironment, c: str) -> None:
    """Revision 1: start and end, no visits."""
    env.run(activities.begin_enrollment, _record(c, EnrollmentStatus.ACTIVE, []))
    end = _record(c, EnrollmentStatus.COMPLETED, []).model_copy(update={"final_step": None})
    env.run(activities.record_enrollment, end)


def revision_2(activities: EnrollmentRecordActivities, env: ActivityEnvironment, c: str) -> None:
    """Revision 2: the first visit in a write of its own where the enrollment rests."""
    env.run(activities.begin_enrollment, _record(c, EnrollmentStatus.ACTIVE, []))
    env.run(activities.record_enrollment, _record(c, EnrollmentStatus.ACTIVE, ["wait_for_click"]))
    end = _record(c, EnrollmentStatus.COMPLETED, ["send_thanks", "done"])
    env.run(activities.record_enrollment, end)


def revision_3(activities: EnrollmentRecordActivities, env: ActivityEnvironment, c: str) -> None:
    """Revision 3: the first visit written with the start."""
    env.run(activities.begin_enrollment, _record(c, EnrollmentStatus.ACTIVE, ["wait_for_click"]))
    end = _record(c, EnrollmentStatus.COMPLETED, ["send_thanks", "done"])
    env.run(activities.record_enrollment, end)


SHAPES: dict[str, Enrollment] = {
    "no_visits": no_visits,
    "revision_2": revision_2,
    "revision_3": revision_3,
}


def cpu_ms_per_enrollment(
    shape: Enrollment, activities: EnrollmentRecordActivities, count: int
) -> float:
    """CPU milliseconds per enrollment of ``count`` fresh enrollments written by ``shape``."""
    env = ActivityEnvironment()
    customers = [f"c-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    started = time.process_time()
    for customer in customers:
        shape(activities, env, customer)
    return (time.process_time() - started) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=3_000, help="per shape and round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of all shapes")
    parser.add_argument("--database-url", default="", help="store URL (default: SQLite)")
    arguments = parser.parse_args()
    if arguments.enrollments < 1 or arguments.rounds < 1:
        parser.error("--enrollments and --rounds must be at least 1")
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(arguments.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}")
        store.migrate()
        activities = EnrollmentRecordActivities(store, LiveVersions(BENCH_CATALOG, 60.0))
        cpu_ms_per_enrollment(revision_3, activities, 200)  # warm caches and the pool
        runs: dict[str, list[float]] = {name: [] for name in SHAPES}
        for round_ in range(arguments.rounds):
            for name, shape in SHAPES.items():
                runs[name].append(cpu_ms_per_enrollment(shape, activities, arguments.enrollments))
            print(
                f"round {round_ + 1}/{arguments.rounds}: "
                + ", ".join(f"{name} {values[-1]:.3f} ms" for name, values in runs.items())
            )
        store.dispose()
    medians = {name: statistics.median(values) for name, values in runs.items()}
    result = {
        "benchmark": "worker CPU of an enrollment's bookkeeping writes (benchmark journey)",
        "command": "python -m bench.step_visit_bookkeeping",
        "store": "postgresql" if arguments.database_url else "sqlite",
        "enrollments_per_round": arguments.enrollments,
        "rounds": arguments.rounds,
        "machine": f"{platform.machine()} {platform.system()} python {platform.python_version()}",
        "cpus": os.cpu_count(),
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_ms_per_enrollment_median": {name: round(v, 3) for name, v in medians.items()},
        "cpu_ms_per_enrollment_rounds": {
            name: [round(v, 3) for v in values] for name, values in runs.items()
        },
        "step_visits_cost_ms": {
            name: round(medians[name] - medians["no_visits"], 3)
            for name in ("revision_2", "revision_3")
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
