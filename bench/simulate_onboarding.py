"""Simulate synthetic customers through the 30-day onboarding journey on the simulator.

For each population size (default 1,000 and 100,000) a fresh process runs
``journeys simulate``'s engine (shipped behaviour profiles, seed 7, the default
delivery rules, one worker process per core) and reports its wall time and peak
RSS (the largest resident set of the process or any of its workers), and the CPU
seconds it used with its workers (on a shared machine the wall time also counts
the other processes' turns). Prints the
figures and saves them to ``bench/results/simulate_onboarding.json`` and the
1,000-customer report to ``bench/results/simulate_onboarding.txt``.

Run: ``.venv/bin/python -m bench.simulate_onboarding [--customers 1000 100000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from journeys.catalog import default_catalog
from journeys.settings import JourneySettings
from journeys.simulation.engine import (
    SimulationSettings,
    default_workers,
    simulate_population,
    synthetic_population,
)

RESULTS = Path(__file__).parent / "results"
JOURNEY = "journey_onboarding_v2"
DAYS = 30


def run_one(customers: int) -> dict[str, Any]:
    """Simulate ``customers`` in this process; the figures."""
    settings = JourneySettings(log_level="warning")
    catalog = default_catalog()
    simulation = SimulationSettings.of_catalog(catalog, settings)
    workers = default_workers(customers)
    load_before = os.getloadavg()[0]
    report = simulate_population(
        catalog.get(JOURNEY), synthetic_population(customers), DAYS, simulation, workers=workers
    )
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "customers": customers,
        "days": DAYS,
        "workers": workers,
        "wall_seconds": round(report.wall_seconds, 2),
        "customers_per_second": round(customers / report.wall_seconds),
        "cpu_seconds": round(
            own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 1
        ),
        "peak_rss_mb": round(max(own.ru_maxrss, children.ru_maxrss) / 1024, 1),
        "load_average_before": round(load_before, 1),
        "load_average_after": round(os.getloadavg()[0], 1),
        "outcomes": dict(report.outcomes.most_common()),
        "report": report.render(top=5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one is not None:
        print(json.dumps(run_one(arguments.one)))
        return
    runs = []
    for customers in arguments.customers:
        done = subprocess.run(
            [sys.executable, "-m", "bench.simulate_onboarding", "--one", str(customers)],
            check=True,
            capture_output=True,
            text=True,
        )
        run = json.loads(done.stdout)
        print(
            f"{customers:>7} customers x {DAYS} days: {run['wall_seconds']:7.2f} s wall"
            f" ({run['customers_per_second']} customers/s, {run['workers']} processes),"
            f" {run['cpu_seconds']} CPU s, peak RSS {run['peak_rss_mb']} MB,"
            f" load average {run['load_average_before']} -> {run['load_average_after']}",
            flush=True,
        )
        runs.append(run)
    load = os.getloadavg()
    figures = {
        "command": "python -m bench.simulate_onboarding --customers "
        + " ".join(str(c) for c in arguments.customers),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()}"
        f" {platform.python_version()}, load average at the end {load[0]:.1f}",
        "runs": [{key: value for key, value in run.items() if key != "report"} for run in runs],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "simulate_onboarding.json").write_text(json.dumps(figures, indent=2) + "\n")
    (RESULTS / "simulate_onboarding.txt").write_text(
        f"$ .venv/bin/python -m bench.simulate_onboarding\n\n{runs[0]['report']}\n"
    )


if __name__ == "__main__":
    main()
