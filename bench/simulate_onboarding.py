"""Simulate 1,000 synthetic customers through the 30-day onboarding journey.

Prints and saves the distribution of outcomes and paths and the wall time to
``bench/results/simulate_onboarding.txt``. Run: ``.venv/bin/python -m bench.simulate_onboarding``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from journeys.devtools.simulation import print_progress, simulate
from journeys.settings import JourneySettings
from journeys.structured_logs import configure_logging

RESULTS = Path(__file__).parent / "results" / "simulate_onboarding.txt"


def main() -> None:
    customers = int(os.environ.get("CUSTOMERS", "1000"))
    configure_logging(JourneySettings(log_level="warning"))
    report = asyncio.run(
        simulate("journey_onboarding_v2", customers, 30, progress=print_progress(sys.stderr))
    )
    text = report.render(top=15)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        f"$ .venv/bin/python -m bench.simulate_onboarding  (CUSTOMERS={customers})\n\n{text}\n"
    )


if __name__ == "__main__":
    main()
